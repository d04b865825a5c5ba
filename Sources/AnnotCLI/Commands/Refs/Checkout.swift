import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Switch branches (alias of switch; -b NEW [START] creates).")
    @Flag(name: .customShort("b"), help: "Create the branch first.") var create = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Branch or revision.") var name: String
    @Argument(help: "With -b: where the new branch starts (default HEAD).") var start: String?
    func run() throws {
      if start != nil && !create { throw ValidationError("a start point needs -b: 'annot checkout -b \(name) \(start!)'") }
      let repo = try openRepository()
      let isBranch = try repo.branches().contains { $0.name == name }
      try repo.switchTo(name, create: create, detach: !create && !isBranch, startPoint: start)
      output.say(create ? "Switched to a new branch '\(name)'" : (isBranch ? "Switched to branch '\(name)'" : "HEAD is now at \(try repo.headCommit()?.short ?? "?")"))
    }
  }
}
