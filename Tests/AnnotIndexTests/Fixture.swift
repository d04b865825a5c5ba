import AnnotModel
import Foundation
@testable import AnnotIndex
import AnnotTestSupport

/// Generated datasets for the index tests. Expected answers are computed from these values
/// directly in Swift, never through the index.
enum Fixture {
  static let labels = ["person", "car", "dog", "cat", "bicycle"]
  static let tagLabels = ["night", "day", "blurry"]

  /// A git-like blob id for a document: first 20 bytes of SHA-256 of its canonical bytes.
  static func blobID(_ doc: LabelDocument) -> ObjectID {
    ObjectID(bytes: Array(SHA256.hash(doc.canonicalBytes()).prefix(20)))
  }

  static func commitID(_ n: Int) -> ObjectID {
    ObjectID(bytes: Array(SHA256.hash(Array("commit \(n)".utf8)).prefix(20)))
  }

  static func manifest() -> DatasetManifest {
    var m = DatasetManifest()
    for l in labels + tagLabels + ["unused-class"] { m.ensureClass(l) }
    return m
  }

  /// One document for `path`; `variant` changes its content deterministically.
  static func document(path: String, rng: inout SeededRNG, annotationCount: Int? = nil) -> LabelDocument {
    let wide = Bool.random(using: &rng)
    let W = wide ? 1024 : 640, H = wide ? 768 : 480
    let splits: [String?] = ["train", "val", "test", nil]
    var imageAttrs: [String: AttributeValue] = [:]
    if Int.random(in: 0..<10, using: &rng) < 3 { imageAttrs["weather"] = .string(Bool.random(using: &rng) ? "rain" : "sun") }
    let image = ImageRecord(path: path, width: W, height: H, mediaType: "image/jpeg",
                            split: splits[Int.random(in: 0..<4, using: &rng)], attributes: imageAttrs)
    let n = annotationCount ?? (Int.random(in: 0..<10, using: &rng) == 0 ? 0 : Int.random(in: 1...8, using: &rng))
    var anns: [Annotation] = []
    for i in 0..<n {
      let id = "a" + String(1000 + i).dropFirst()
      let roll = Int.random(in: 0..<10, using: &rng)
      let x = Double(Int.random(in: 0..<(W - 50), using: &rng)), y = Double(Int.random(in: 0..<(H - 50), using: &rng))
      let w = Double(Int.random(in: 1...min(300, W - Int(x)), using: &rng)), h = Double(Int.random(in: 1...min(200, H - Int(y)), using: &rng))
      var shape: Shape
      var label = labels[Int.random(in: 0..<labels.count, using: &rng)]
      switch roll {
      case 0: shape = .polygon([[x, y, x + w, y, x + w / 2, y + h]])
      case 1: shape = .points([x, y, x + w, y + h])
      case 2:
        shape = .tag
        label = tagLabels[Int.random(in: 0..<tagLabels.count, using: &rng)]
      default: shape = .box(Box(x: x, y: y, w: w, h: h), rotation: 0)
      }
      var attrs: [String: AttributeValue] = [:]
      if Bool.random(using: &rng) { attrs["occluded"] = .bool(Bool.random(using: &rng)) }
      if Int.random(in: 0..<10, using: &rng) < 3 { attrs["color"] = .string(["red", "green", "blue"][Int.random(in: 0..<3, using: &rng)]) }
      if Int.random(in: 0..<10, using: &rng) < 3 { attrs["truncation"] = .number(Double(Int.random(in: 0...10, using: &rng)) / 10) }
      let score: Double? = Bool.random(using: &rng) ? Double(Int.random(in: 0...100, using: &rng)) / 100 : nil
      anns.append(Annotation(id: id, label: label, shape: shape, attributes: attrs, score: score,
                             crowd: Int.random(in: 0..<20, using: &rng) == 0))
    }
    return LabelDocument(image: image, annotations: anns)
  }

  /// `count` documents at `train/NNNNN.jpg` and `val/NNNNN.jpg` paths.
  static func dataset(count: Int, seed: UInt64 = 42) -> [(path: String, doc: LabelDocument)] {
    var rng = SeededRNG(seed: seed)
    return (0..<count).map { i in
      let path = (i % 3 == 0 ? "val/" : "train/") + String(100000 + i).dropFirst() + ".jpg"
      return (path, document(path: path, rng: &rng))
    }
  }

  static func temporaryPath(_ name: String = "index") -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("annot-index-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("\(name).sqlite").path
  }

  /// An index holding `docs` as one full revision `commitID(1)`.
  static func index(_ docs: [(path: String, doc: LabelDocument)], options: LabelIndex.Options = .init()) throws -> LabelIndex {
    let idx = try LabelIndex(path: temporaryPath(), options: options)
    try idx.indexDocuments(docs.map { (blobID($0.doc), $0.doc) })
    try idx.indexRevision(commit: commitID(1), entries: docs.map { ($0.path, blobID($0.doc)) }, manifest: manifest())
    return idx
  }

  static func sortedByPath(_ docs: [(path: String, doc: LabelDocument)]) -> [(path: String, doc: LabelDocument)] {
    docs.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
  }
}
