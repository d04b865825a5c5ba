import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fetch, then merge the remote branch into the current one, per annotation (conflicts as in 'annot merge').")
    @Option(name: .customShort("X"), help: "Settle every conflict one way: ours or theirs.") var strategy: ConflictChoice?
    @Flag(help: "Create a merge commit even when a fast-forward is possible.") var noFf = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Remote (default: upstream or origin).") var remote: String?
    @Argument(help: "Remote branch (default: the upstream branch).") var branch: String?
    func run() throws {
      let repo = try openRepository()
      var m = Repository.MergeOptions()
      m.strategy = strategy
      m.noFastForward = noFf
      var o = Repository.FetchOptions()
      o.callbacks = transferCallbacks()
      let out = try repo.pull(remote, branch: branch, merge: m, options: o)
      for n in out.fetch.notes { Console.warn(n) }
      try reportMerge(out.merge, what: "Merge", output: output)
    }
  }
}
