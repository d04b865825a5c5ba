import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension ConflictChoice: ExpressibleByArgument {}

func reportMerge(_ result: Repository.MergeResult, what: String, output: QuietOption = QuietOption()) throws {
  switch result {
  case .upToDate: output.say("Already up to date.")
  case .fastForward(let id): output.say("Fast-forward to \(id.short)")
  case .merged(let id, let notes):
    for n in notes { output.say(n) }
    output.say("\(what) made commit \(id.short)")
  case .conflicts(let conflicts, let notes):
    for n in notes { emit(n) }
    for c in conflicts { emit(Console.red("CONFLICT \(c.description)")) }
    emit("Automatic \(what.lowercased()) found \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"); settle them with 'annot resolve', then run 'annot merge --continue'.")
    throw ExitCode(1)
  }
}

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

  struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Settle merge conflicts of one image: all with --ours/--theirs, or one annotation with --annotation ID=ours|theirs.")
    @Flag(help: "Keep our side.") var ours = false
    @Flag(help: "Take their side.") var theirs = false
    @Flag(help: "Take the merge base's value.") var base = false
    @Option(help: "ID=ours|theirs|base for one annotation (repeatable).") var annotation: [String] = []
    @OptionGroup var output: QuietOption
    @Argument(help: "Image path (images/x.png) or annot.json.") var path: String
    func run() throws {
      let repo = try openRepository()
      var done = 0, left = 0
      if annotation.isEmpty {
        let flags = [ours, theirs, base].filter { $0 }.count
        guard flags == 1 else { throw ValidationError("choose one of --ours, --theirs, --base, or use --annotation ID=ours|theirs") }
        (done, left) = try repo.resolve(path: path, choice: ours ? .ours : (theirs ? .theirs : .base))
      }
      for spec in annotation {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let choice = ConflictChoice(rawValue: parts[1]) else {
          throw ValidationError("--annotation takes ID=ours, ID=theirs or ID=base, not '\(spec)'")
        }
        let r = try repo.resolve(path: path, choice: choice, annotation: parts[0])
        done += r.resolved; left = r.remaining
      }
      output.say("resolved \(done) conflict\(done == 1 ? "" : "s") in \(path); \(left) left\(left == 0 ? ": run 'annot merge --continue'" : "")")
    }
  }

  struct CherryPick: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cherry-pick", abstract: "Apply the label changes of a commit onto HEAD.")
    @Option(name: .customShort("X"), help: "Settle every conflict one way: ours or theirs.") var strategy: ConflictChoice?
    @OptionGroup var output: QuietOption
    @Argument(help: "Commit to apply.") var revision: String
    func run() throws { try reportMerge(try openRepository().replay(revision, revert: false, strategy: strategy), what: "Cherry-pick", output: output) }
  }

  struct Revert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Undo the label changes of a commit with a new commit.")
    @Option(name: .customShort("X"), help: "Settle every conflict one way: ours or theirs.") var strategy: ConflictChoice?
    @OptionGroup var output: QuietOption
    @Argument(help: "Commit to undo.") var revision: String
    func run() throws { try reportMerge(try openRepository().replay(revision, revert: true, strategy: strategy), what: "Revert", output: output) }
  }
}
