import AnnotModel

/// The constructed diffs the diff tests and the renderer tests share: one pair of documents
/// carrying every change kind, and a tree diff with every image status.
public enum DiffFixtures {
  public static func pentagon(_ dy: Double) -> [[Double]] { [[0, 0, 40, 0, 40, 40, 20, 40 - dy, 0, 40]] }

  public static let old: LabelDocument = {
    var a5 = F.box("a05", "car", 0, 0, 5, 5)
    a5.attributes = ["occluded": .bool(false), "color": .string("red"), "n": .number(1)]
    var a6 = F.box("a06", "car", 0, 0, 6, 6); a6.score = 0.5
    var a7 = F.box("a07", "car", 0, 0, 7, 7); a7.group = 1
    var a17 = F.polygon("a17", "person", pentagon(0)); a17.bbox = Box(x: 0, y: 0, w: 40, h: 40)
    return LabelDocument(image: F.image(), annotations: [
      F.box("a01", "car", 10, 10, 20, 20),
      F.box("a02", "car", 100, 100, 40, 20),
      F.polygon("a03", "person", pentagon(0)),
      F.box("a04", "car", 50, 50, 10, 10),
      a5, a6, a7,
      F.box("a08", "dog", 300, 300, 10, 10),
      F.box("a10", "car", 1, 1, 1, 1),
      // 4x4 mask, foreground column 1 rows 1-2 (linear 5, 6).
      Annotation(id: "a11", label: "blob", shape: F.mask(4, 4, [5, 2, 9])),
      Annotation(id: "a12", label: "blob", shape: F.mask(4, 4, [5, 2, 9])),
      Annotation(id: "a13", label: "person", shape: .keypoints([10, 10, 2, 20, 30, 2, 0, 0, 0])),
      Annotation(id: "a14", label: "person", shape: .keypoints([10, 10, 2, 20, 30, 2])),
      F.box("a15", "car", 0, 0, 10, 10),
      Annotation(id: "a16", label: "ball", shape: .ellipse(cx: 50, cy: 50, rx: 10, ry: 5, rotation: 0)),
      a17,
      F.box("a18", "car", 10, 10, 20, 20),
    ])
  }()

  public static let new: LabelDocument = {
    var a5 = F.box("a05", "car", 0, 0, 5, 5)
    a5.attributes = ["occluded": .bool(true), "n": .number(1 + 1e-9), "size": .string("L")]
    var a6 = F.box("a06", "car", 0, 0, 6, 6); a6.score = 0.75
    var a7 = F.box("a07", "car", 0, 0, 7, 7); a7.zOrder = 2; a7.crowd = true
    var a17 = F.polygon("a17", "person", pentagon(0)); a17.bbox = Box(x: 0, y: 0, w: 41, h: 40)
    var image = F.image(width: 800)
    image.split = "train"
    return LabelDocument(image: image, annotations: [
      F.box("a01", "car", 22, 7, 20, 20),                 // moved (+12, -3)
      F.box("a02", "car", 100, 100, 60, 10),              // resized ×1.5, ×0.5
      F.polygon("a03", "person", pentagon(20)),           // reshaped: a vertex pushed in
      F.box("a04", "truck", 50, 50, 10, 10),              // relabeled
      a5, a6, a7,                                          // attributes, score, other fields
      F.box("a09", "cat", 5, 5, 10, 10),                  // added (a08 removed)
      F.box("a10", "car", 1 + 1e-9, 1, 1, 1 - 1e-9),      // float noise: no change
      Annotation(id: "a11", label: "blob", shape: F.mask(4, 4, [10, 2, 4])),  // moved one column right, one row down
      Annotation(id: "a12", label: "blob", shape: F.mask(4, 4, [5, 3, 8])),   // one pixel added
      Annotation(id: "a13", label: "person", shape: .keypoints([15, 15, 2, 25, 35, 2, 0, 0, 0])),  // moved (+5, +5)
      Annotation(id: "a14", label: "person", shape: .keypoints([10, 10, 2, 20, 30, 1])),  // visibility edit
      F.box("a15", "car", 0, 0, 10, 10, rotation: 15),    // rotated: reshaped
      Annotation(id: "a16", label: "ball", shape: .ellipse(cx: 50, cy: 50, rx: 20, ry: 5, rotation: 0)),  // resized ×2, ×1 and moved -10
      a17,                                                 // only the explicit bbox changed
      F.box("a18", "truck", 20, 10, 20, 20),              // moved and relabeled
    ])
  }()

  public struct Scenario {
    public let store = MemoryObjects()
    public var changes: [EntryChange] = []
    public var sizes: [ObjectID: Int] = [:]
    public var labelBlobs: Set<ObjectID> = []
    public init() {}

    public mutating func image(_ path: String, old: [UInt8]?, new: [UInt8]?) {
      let o = old.map { store.put($0) }, n = new.map { store.put($0) }
      if let o, let old { sizes[o] = old.count }
      if let n, let new { sizes[n] = new.count }
      changes.append(EntryChange(path: "images/" + path, oldBlob: o, newBlob: n))
    }
    public mutating func labels(_ path: String, old: LabelDocument?, new: LabelDocument?) {
      let o = old.map { store.put($0) }, n = new.map { store.put($0) }
      for id in [o, n].compactMap({ $0 }) { labelBlobs.insert(id) }
      changes.append(EntryChange(path: "labels/" + path + ".json", oldBlob: o, newBlob: n))
    }
  }

  public static func pixels(_ n: Int, _ seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0) &+ seed } }

  public static func scenario() -> Scenario {
    var s = Scenario()
    // a: labels only, one box moved.
    s.labels("train/a.png", old: F.doc("train/a.png", [F.box("1", "car", 0, 0, 10, 10)]),
             new: F.doc("train/a.png", [F.box("1", "car", 5, 0, 10, 10)]))
    // b: bytes replaced (100 → 120), labels untouched.
    s.image("train/b.png", old: pixels(100, 1), new: pixels(120, 2))
    // c → c2: same bytes, same labels.
    let cBytes = pixels(50, 3)
    s.image("train/c.png", old: cBytes, new: nil)
    s.image("train/c2.png", old: nil, new: cBytes)
    s.labels("train/c.png", old: F.doc("train/c.png", [F.box("9", "dog", 1, 1, 5, 5)]), new: nil)
    s.labels("train/c2.png", old: nil, new: F.doc("train/c2.png", [F.box("9", "dog", 1, 1, 5, 5)]))
    // d: removed with two annotations.
    s.image("train/d.png", old: pixels(30, 4), new: nil)
    s.labels("train/d.png", old: F.doc("train/d.png", [F.box("1", "car", 0, 0, 1, 1), F.box("2", "person", 0, 0, 1, 1)]), new: nil)
    // e: added with one annotation.
    s.image("val/e.png", old: nil, new: pixels(40, 5))
    s.labels("val/e.png", old: nil, new: F.doc("val/e.png", [F.box("1", "cat", 0, 0, 1, 1)]))
    // f → f2: same bytes but a label changed on the way: a removal and an addition.
    let fBytes = pixels(60, 6)
    s.image("train/f.png", old: fBytes, new: nil)
    s.image("train/f2.png", old: nil, new: fBytes)
    s.labels("train/f.png", old: F.doc("train/f.png", [F.box("7", "car", 0, 0, 3, 3)]), new: nil)
    s.labels("train/f2.png", old: nil, new: F.doc("train/f2.png", [F.box("7", "truck", 0, 0, 3, 3)]))
    // Ignored entries.
    s.changes.append(EntryChange(path: "README.md", oldBlob: nil, newBlob: s.store.put(Array("hi".utf8))))
    return s
  }
}
