import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
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
}
