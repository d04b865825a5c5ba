import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Drop the query index and rebuild it for HEAD and every branch.")
    @OptionGroup var output: QuietOption
    func run() throws {
      let n = try openRepository().reindex()
      output.say("indexed \(n) revision\(n == 1 ? "" : "s")")
    }
  }
}
