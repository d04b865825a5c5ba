import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Switch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Switch to a branch; -c NEW [START] creates it first (at HEAD, keeping the stage, or at START).")
    @Flag(name: .customShort("c"), help: "Create the branch first.") var create = false
    @Flag(help: "Detach HEAD at a revision.") var detach = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Branch (or revision with --detach).") var name: String
    @Argument(help: "With -c: where the new branch starts (default HEAD).") var start: String?
    func run() throws {
      if start != nil && !create { throw ValidationError("a start point needs -c: 'annot switch -c \(name) \(start!)'") }
      let repo = try openRepository()
      try repo.switchTo(name, create: create, detach: detach, startPoint: start)
      output.say(detach ? "HEAD is now at \(try repo.headCommit()?.short ?? "?")" : (create ? "Switched to a new branch '\(name)'" : "Switched to branch '\(name)'"))
    }
  }
}
