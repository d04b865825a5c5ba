import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Merge a labeling round into the current branch, per annotation and per field.")
    @Flag(help: "Create a merge commit even when a fast-forward is possible.") var noFf = false
    @Option(name: .shortAndLong, help: "Merge commit message.") var message: String?
    @Option(name: .customShort("X"), help: "Settle every conflict one way: ours or theirs.") var strategy: ConflictChoice?
    @Flag(name: .customLong("continue"), help: "Commit a merge whose conflicts are settled.") var continueMerge = false
    @Flag(help: "Abandon the merge in progress and restore the state before it.") var abort = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Branch or revision to merge.") var revision: String?
    func run() throws {
      let repo = try openRepository()
      if continueMerge {
        let id = try repo.mergeContinue(message: message)
        output.say("[\(try repo.currentBranch() ?? "detached HEAD") \(id.short)] merge committed")
        return
      }
      if abort { try repo.mergeAbort(); output.say("Merge aborted."); return }
      guard let revision else { throw ValidationError("name the branch or revision to merge") }
      var o = Repository.MergeOptions()
      o.noFastForward = noFf
      o.message = message
      o.strategy = strategy
      try reportMerge(try repo.merge(revision, options: o), what: "Merge", output: output)
    }
  }
}
