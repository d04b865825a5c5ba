import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

/// The format conformance suite: every format in `FormatRegistry.builtIn` against its fixture
/// dataset in `Fixtures/<format>/`. A format ships with a fixture, is found by `auto`, imports
/// to the documents pinned in `Fixtures/<format>.expected.txt` (rewritten with
/// ANNOT_UPDATE_SNAPSHOTS=1, reviewed as a diff), and, when it also exports, writes the same
/// bytes twice and reads its own export back to the same documents. A format type that is not
/// registered fails here too.
@Suite struct ConformanceTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let registry = FormatRegistry.builtIn
  static var names: [String] { registry.importers.map(\.name) }

  /// One line per image and per annotation: what an import produced, in path order.
  static func summary(_ d: ImportedDataset) -> String {
    var lines = ["classes: " + d.manifest.classes.map { "\($0.id)=\($0.name)" }.joined(separator: " ")]
    for item in d.items.sorted(by: { $0.document.image.path < $1.document.image.path }) {
      let doc = item.document
      lines.append("image \(doc.image.path) \(doc.image.width)x\(doc.image.height)")
      for a in doc.annotations.sorted(by: { ($0.label, $0.shape.kind) < ($1.label, $1.shape.kind) }) {
        let box = a.boundingBox.map { b in [b.x, b.y, b.w, b.h].map { CanonicalJSON.number(($0 * 100).rounded() / 100) }.joined(separator: ",") } ?? "-"
        lines.append("  \(a.shape.kind) \(a.label) [\(box)]")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func load(_ name: String) throws -> (any DatasetImporter, ImportedDataset) {
    let importer = try registry.importer(named: name)
    return (importer, try importer.importDataset(from: fixtures.appendingPathComponent(name), options: ImportOptions()))
  }

  @Test func everyRegisteredFormatHasAFixtureAndEveryFixtureAFormat() throws {
    let dirs = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter { !$0.hasSuffix(".txt") }
    #expect(Set(dirs) == Set(Self.names))
    // Every exporter has an importer of the same name (an export can be read back).
    #expect(Set(Self.registry.exporters.map(\.name)).isSubset(of: Set(Self.names)))
  }

  @Test func everyFormatTypeInTheSourcesIsRegistered() throws {
    let sources = Self.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Sources/AnnotFormats")
    var declared: Set<String> = []
    let e = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
    let pattern = try NSRegularExpression(pattern: #"(?:struct|final class|class)\s+(\w+)\s*:\s*[^{]*\bDataset(?:Importer|Exporter)\b"#)
    while let url = e?.nextObject() as? URL {
      guard url.pathExtension == "swift" else { continue }
      let text = try String(contentsOf: url, encoding: .utf8)
      for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
        declared.insert(String(text[Range(m.range(at: 1), in: text)!]))
      }
    }
    let registered = Set(Self.registry.importers.map { String(describing: type(of: $0)) } + Self.registry.exporters.map { String(describing: type(of: $0)) })
    #expect(!declared.isEmpty)
    #expect(declared.subtracting(registered).isEmpty, "format types not in FormatRegistry.builtIn: \(declared.subtracting(registered).sorted())")
  }

  @Test(arguments: FormatRegistry.builtIn.importers.map(\.name))
  func autoDetectionPicksTheFormat(_ name: String) throws {
    #expect(try Self.registry.detect(Self.fixtures.appendingPathComponent(name)).name == name)
  }

  @Test(arguments: FormatRegistry.builtIn.importers.map(\.name))
  func importMatchesItsSnapshotAndValidates(_ name: String) throws {
    let (_, d) = try Self.load(name)
    #expect(!d.items.isEmpty)
    for item in d.items {
      #expect(DatasetPath.validate(item.document.image.path) == nil)
      #expect(FileManager.default.fileExists(atPath: item.imageFile.path) || item.imageData != nil)
      let problems = DocumentValidation.problems(item.document, schema: d.manifest)
      #expect(problems.isEmpty, "\(name) \(item.document.image.path): \(problems)")
    }
    let file = Self.fixtures.appendingPathComponent("\(name).expected.txt")
    let text = Self.summary(d)
    if ProcessInfo.processInfo.environment["ANNOT_UPDATE_SNAPSHOTS"] == "1" { try Data(text.utf8).write(to: file); return }
    #expect(text == (try? String(contentsOf: file, encoding: .utf8)), "\(name): import differs from \(file.lastPathComponent)")
  }

  @Test(arguments: FormatRegistry.builtIn.exporters.map(\.name))
  func exportIsDeterministicAndReadsBack(_ name: String) throws {
    let (importer, d) = try Self.load(name)
    let exporter = try Self.registry.exporter(named: name)
    let first = MemorySink(), second = MemorySink()
    _ = try exporter.export(manifest: d.manifest, items: exportItems(d), to: first, options: ExportOptions())
    _ = try exporter.export(manifest: d.manifest, items: exportItems(d), to: second, options: ExportOptions())
    #expect(first.files == second.files)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(name)-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    first.dump(to: dir)
    let again = try importer.importDataset(from: dir, options: ImportOptions())
    #expect(Self.summary(again) == Self.summary(d), "\(name): its own export reads back differently")
  }
}
