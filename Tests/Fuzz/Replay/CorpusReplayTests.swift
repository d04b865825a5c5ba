import Foundation
import Testing
import AnnotFuzzEntries

/// Replays every file of Tests/Fuzz/Corpus/<target>/ through the same entry point the fuzzer
/// calls (`FuzzEntries.run`): seeds and every input that once crashed stay fixed.
@Suite struct CorpusReplayTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Corpus")

  @Test func everyTargetHasASeedCorpus() throws {
    for t in FuzzEntries.targets {
      let files = (try? FileManager.default.contentsOfDirectory(atPath: Self.corpus.appendingPathComponent(t).path)) ?? []
      #expect(!files.isEmpty, "no seeds for fuzz target \(t)")
    }
    let dirs = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { !$0.hasPrefix(".") }
    #expect(Set(dirs) == Set(FuzzEntries.targets), "corpus folders without a target: \(Set(dirs).subtracting(FuzzEntries.targets))")
  }

  @Test(arguments: FuzzEntries.targets)
  func replaysTheCorpus(_ target: String) throws {
    let dir = Self.corpus.appendingPathComponent(target)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    for f in files.sorted() where !f.hasPrefix(".") {
      let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(f)))
      #expect(FuzzEntries.run(target, bytes))
    }
  }
}
