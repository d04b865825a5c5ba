import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

/// The `annot` directory format: lossless, byte-identical round trips, strict pairing.
@Suite struct AnnotDirTests {
  static let manifest = DatasetManifest(classes: [
    LabelClass(id: 1, name: "car", color: "#ff0000"),
    LabelClass(id: 2, name: "person", color: "#00ff00", supercategory: "living"),
  ])

  static let docs = [
    LabelDocument(image: ImageRecord(path: "a/one.png", width: 100, height: 80, mediaType: "image/png", split: "train",
                                     attributes: ["night": .bool(true)]), annotations: [
      Annotation(id: "a1", label: "car", shape: .box(Box(x: 1.5, y: 2, w: 10, h: 20), rotation: 15),
                 attributes: ["color": .string("red"), "n": .number(3)], score: 0.75, group: 2, zOrder: 1),
      Annotation(id: "a2", label: "person", shape: .mask(RLEMask(height: 80, width: 100, counts: .compressed(RLE.encode([81, 2, 7917])))),
                 crowd: true, sourceID: "17"),
      Annotation(id: "a3", label: "person", shape: .polygon([[0, 0, 10, 0, 10, 10]])),
    ]),
    LabelDocument(image: ImageRecord(path: "two.png", width: 40, height: 30, mediaType: "image/png")),
  ]

  static func exported() throws -> MemorySink {
    let sink = MemorySink()
    let items = [ExportItem(document: docs[0]) { Images.png100x80 }, ExportItem(document: docs[1]) { Images.png40x30 }]
    let report = try AnnotDirExporter().export(manifest: manifest, items: items, to: sink, options: ExportOptions())
    #expect(report == ExportReport(losses: [:], filesWritten: 5))
    return sink
  }

  @Test func exportWritesCanonicalBytes() throws {
    let sink = try Self.exported()
    #expect(Set(sink.files.keys) == ["annot.json", "images/a/one.png", "images/two.png", "labels/a/one.png.json", "labels/two.png.json"])
    #expect(sink.files["annot.json"] == Self.manifest.canonicalBytes())
    #expect(sink.files["labels/a/one.png.json"] == Self.docs[0].canonicalBytes())
    #expect(sink.files["images/two.png"] == Images.png40x30)
  }

  @Test func roundTripIsByteIdentical() throws {
    let sink = try Self.exported()
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    sink.dump(to: dir)
    #expect(AnnotDirImporter().detect(dir) == .high)
    let ds = try AnnotDirImporter().importDataset(from: dir, options: ImportOptions())
    #expect(ds.manifest == Self.manifest)
    #expect(ds.items.map(\.document) == Self.docs)
    #expect(ds.warnings.isEmpty)
    let again = MemorySink()
    _ = try AnnotDirExporter().export(manifest: ds.manifest, items: exportItems(ds), to: again, options: ExportOptions())
    #expect(again.files == sink.files)
  }

  @Test func detection() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(AnnotDirImporter().detect(dir) == .none)
    put(dir, "annot.json", #"{"format": "coco"}"#)
    #expect(AnnotDirImporter().detect(dir) == .none)
  }

  /// Each case edits the exported tree and names the expected one-line error.
  @Test func errorsNameFileAndPlace() throws {
    func run(_ edit: (URL) throws -> Void) throws -> String? {
      let dir = makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      try Self.exported().dump(to: dir)
      try edit(dir)
      return errorLine { _ = try AnnotDirImporter().importDataset(from: dir, options: ImportOptions()) }
    }
    let fm = FileManager.default
    #expect(try run { try fm.removeItem(at: $0.appendingPathComponent("labels/two.png.json")) }
            == "images/two.png: no document labels/two.png.json")
    #expect(try run { try fm.removeItem(at: $0.appendingPathComponent("images/two.png")) }
            == "labels/two.png.json: no image images/two.png")
    let badWidth = try run { put($0, "labels/two.png.json", #"{"version": 1, "image": {"path": "two.png", "width": "40"}}"#) }
    #expect(badWidth == "labels/two.png.json: image.width: expected a number, found string")
    #expect(try run { put($0, "labels/two.png.json", String(decoding: Self.docs[1].canonicalBytes(), as: UTF8.self)
                            .replacingOccurrences(of: "\"two.png\"", with: "\"three.png\"")) }
            == "labels/two.png.json: image.path: \"three.png\" but the file describes images/two.png")
    #expect(try run { put($0, "labels/two.png.json", String(decoding: Self.docs[1].canonicalBytes(), as: UTF8.self)
                            .replacingOccurrences(of: "40", with: "41")) }
            == "labels/two.png.json: image: says 41x30 but images/two.png is 40x30")
    #expect(try run { put($0, "annot.json", #"{"format": "annot", "version": 1, "classes": 3}"#) }
            == "annot.json: classes: missing or not an array")
    #expect(try run { put($0, "labels/notes.txt", "x") }
            == "labels/notes.txt: not a document (labels/ holds only <image path>.json)")
    #expect(try run { put($0, "annot.json", String(decoding: DatasetManifest(classes: [LabelClass(id: 1, name: "car")]).canonicalBytes(), as: UTF8.self)) }?
              .hasPrefix("labels/a/one.png.json: annotations[") == true)
  }
}
