import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Revert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Undo the label changes of a commit with a new commit.")
    @Option(name: .customShort("X"), help: "Settle every conflict one way: ours or theirs.") var strategy: ConflictChoice?
    @OptionGroup var output: QuietOption
    @Argument(help: "Commit to undo.") var revision: String
    func run() throws { try reportMerge(try openRepository().replay(revision, revert: true, strategy: strategy), what: "Revert", output: output) }
  }
}
