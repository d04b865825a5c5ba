import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Split: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Assign train/val/test splits deterministically by hash and stage them in the documents.")
    @Option(help: "NAME=RATIO,… (default train=0.8,val=0.1,test=0.1).") var ratios: String = "train=0.8,val=0.1,test=0.1"
    @Flag(help: "Balance each split by each image's most frequent class.") var stratify = false
    @Option(help: "Seed mixed into the hash.") var seed: String = ""
    @Option(help: "Only images matching this query filter (at HEAD).") var `where`: String?
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      var parsed: [(String, Double)] = []
      for part in ratios.split(separator: ",") {
        let kv = part.split(separator: "=").map(String.init)
        guard kv.count == 2, let r = Double(kv[1]) else { throw ValidationError("--ratios takes NAME=RATIO,…, not '\(part)'") }
        parsed.append((kv[0], r))
      }
      let only = try `where`.map { try repo.imagesMatching($0, at: "HEAD") }
      let counts = try repo.split(ratios: parsed, seed: seed, stratify: stratify, only: only)
      output.say(parsed.map { "\($0.0) \(counts[$0.0] ?? 0)" }.joined(separator: ", ") + " (staged; commit to record)")
    }
  }
}
