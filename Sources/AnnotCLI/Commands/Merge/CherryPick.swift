import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct CherryPick: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cherry-pick", abstract: "Apply the label changes of a commit onto HEAD.")
    @Option(name: .customShort("X"), help: "Settle every conflict one way: ours or theirs.") var strategy: ConflictChoice?
    @OptionGroup var output: QuietOption
    @Argument(help: "Commit to apply.") var revision: String
    func run() throws { try reportMerge(try openRepository().replay(revision, revert: false, strategy: strategy), what: "Cherry-pick", output: output) }
  }
}
