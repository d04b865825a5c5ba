import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Upload a branch (and its labels mirror and new image shards) to a remote.")
    @Flag(help: "Push all tags too.") var tags = false
    @Flag(name: .shortAndLong, help: "Overwrite the remote branch even when it is not a fast-forward.") var force = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Remote (default: upstream or origin).") var remote: String?
    @Argument(help: "Branch (default: the current branch).") var branch: String?
    func run() throws {
      var o = Repository.PushOptions()
      o.tags = tags
      o.force = force
      o.callbacks = transferCallbacks()
      let out = try openRepository().push(remote, branch: branch, options: o)
      if out.upToDate && out.updated.allSatisfy({ $0 == "refs/heads/\(out.branch)" }) { output.say("Everything up-to-date"); return }
      let range = out.old.map { "\($0.short)..\(out.new.short)" } ?? "* [new branch]"
      output.say("To \(out.remote)\n   \(range)  \(out.branch) -> \(out.branch)\(force ? " (forced)" : "")")
    }
  }
}
