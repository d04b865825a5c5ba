import Foundation
import Testing

/// The CLI talks to AnnotKit only: its files import AnnotKit, AnnotModel, ArgumentParser and
/// AnnotVersion (the build's `git describe`, a leaf with no code of its own), plus the system
/// modules. SwiftPM's `--explicit-target-dependency-import-check` does not catch an import of a
/// module the CLI reaches transitively on Linux, so this reads the sources.
@Suite struct ImportBoundaryTests {
  static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources")

  static func imports(under dir: URL) throws -> [(file: String, module: String)] {
    var out: [(String, String)] = []
    let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
    while let url = e?.nextObject() as? URL {
      guard url.pathExtension == "swift" else { continue }
      for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
        let words = line.split(separator: " ").map(String.init)
        guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
              words[..<i].allSatisfy({ $0.hasPrefix("@") || $0 == "public" || $0 == "internal" }) else { continue }
        out.append((url.lastPathComponent, words[i + 1]))
      }
    }
    return out
  }

  @Test func theCLIImportsOnlyTheKitTheModelAndArgumentParser() throws {
    let allowed: Set = ["AnnotKit", "AnnotModel", "ArgumentParser", "AnnotVersion", "Foundation", "Glibc", "Darwin", "Dispatch"]
    let found = try Self.imports(under: Self.sources.appendingPathComponent("AnnotCLI"))
    #expect(!found.isEmpty)
    let bad = found.filter { !allowed.contains($0.module) }.map { "\($0.file) imports \($0.module)" }
    #expect(bad.isEmpty, "AnnotCLI must reach the rooms below through AnnotKit: \(bad)")
  }

  @Test func theKitDoesNotHandOutItsStore() throws {
    let dir = Self.sources.appendingPathComponent("AnnotKit")
    let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)
    var offenders: [String] = []
    while let url = e?.nextObject() as? URL {
      guard url.pathExtension == "swift" else { continue }
      let text = try String(contentsOf: url, encoding: .utf8)
      if text.range(of: #"public (let|var) git\b"#, options: .regularExpression) != nil { offenders.append(url.lastPathComponent) }
    }
    #expect(offenders.isEmpty, "Repository.git must stay internal: \(offenders)")
  }
}
