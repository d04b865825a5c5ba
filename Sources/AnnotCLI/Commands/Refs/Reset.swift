import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Reset: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move the current branch; --soft keeps the stage, --hard replaces it.")
    @Flag(help: "Keep the stage.") var soft = false
    @Flag(help: "Replace the stage (default).") var mixed = false
    @Flag(help: "Replace the stage and abandon a merge in progress.") var hard = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Revision (default HEAD).") var revision: String = "HEAD"
    func run() throws {
      let repo = try openRepository()
      let mode: Repository.ResetMode = soft ? .soft : (hard ? .hard : .mixed)
      let id = try repo.reset(to: revision, mode: mode)
      let c = try repo.commitInfo(id)
      output.say(mode == .hard ? "HEAD is now at \(id.short) \(c.summary)" : "Reset to \(id.short)")
    }
  }
}
