// The canonical document's bytes written and read directly, without a `JSONValue` tree.
//
// Why: building a dictionary per annotation (and hashing every key into it) was a third of a
// first import's CPU and most of what `diff`, the index build and export spend decoding. The
// tree-based pair (`LabelDocument.json` + `CanonicalJSON.writeDocumentLayout`, and
// `LabelDocument.decode(JSONValue)`) stays as the reference: the writer must give the same bytes
// (a property test checks it), and the reader gives up on anything but a plain document (an
// unknown or repeated key, a null, an escape it does not expect, any syntax error) and lets the
// reference decoder read it, so every error message is the reference's. The document fuzz
// target checks that whatever the direct reader accepts, the reference reads the same.

// MARK: - Writing

extension CanonicalJSON {
  /// `number(d)` appended as bytes; integers are written without a String.
  @inline(__always)
  static func writeNumber(_ d: Double, into out: inout [UInt8]) {
    precondition(d.isFinite, "canonical JSON cannot hold a non-finite number")
    if d == 0 { out.append(0x30); return }
    if d == d.rounded(), abs(d) < 1e15 {
      var v = Int64(d)
      if v < 0 { out.append(UInt8(ascii: "-")); v = -v }
      var digits: (UInt64, UInt64) = (0, 0)   // 15 digits at most, backwards, in a fixed buffer
      let n = withUnsafeMutableBytes(of: &digits) { buf -> Int in
        var k = 0
        while v > 0 { buf[15 - k] = UInt8(truncatingIfNeeded: 0x30 + v % 10); v /= 10; k += 1 }
        return k
      }
      withUnsafeBytes(of: &digits) { out.append(contentsOf: $0[(16 - n)...]) }
      return
    }
    out.append(contentsOf: "\(d)".utf8)
  }
}

extension LabelDocument {
  /// The canonical bytes, written in key order directly (see the file comment).
  func writeCanonical() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(160 + annotations.count * 120)
    out.append(contentsOf: "{\n  \"annotations\": ".utf8)
    let inOrder = zip(annotations, annotations.dropFirst()).allSatisfy { CanonicalJSON.utf8Precedes($0.id, $1.id) }
    let sorted = inOrder ? annotations : annotations.sorted { CanonicalJSON.utf8Precedes($0.id, $1.id) }
    if sorted.isEmpty {
      out.append(contentsOf: "[]".utf8)
    } else {
      out.append(contentsOf: "[\n".utf8)
      for (j, a) in sorted.enumerated() {
        out.append(contentsOf: "    ".utf8)
        a.writeCanonical(into: &out)
        if j < sorted.count - 1 { out.append(UInt8(ascii: ",")) }
        out.append(0x0A)
      }
      out.append(contentsOf: "  ]".utf8)
    }
    out.append(contentsOf: ",\n  \"image\": ".utf8)
    var w = ObjectWriter(out: out)
    out = []   // hand the buffer over: one owner, so the writer's appends do not copy it
    if !image.attributes.isEmpty { w.key("attributes"); writeAttributes(image.attributes, into: &w.out) }
    w.key("height"); CanonicalJSON.writeNumber(Double(image.height), into: &w.out)
    w.key("media_type"); CanonicalJSON.writeString(image.mediaType, into: &w.out)
    w.key("path"); CanonicalJSON.writeString(image.path, into: &w.out)
    if let s = image.sourceID { w.key("source_id"); CanonicalJSON.writeString(s, into: &w.out) }
    if let s = image.split { w.key("split"); CanonicalJSON.writeString(s, into: &w.out) }
    w.key("width"); CanonicalJSON.writeNumber(Double(image.width), into: &w.out)
    out = w.close()
    out.append(contentsOf: ",\n  \"version\": ".utf8)
    CanonicalJSON.writeNumber(Double(Self.currentVersion), into: &out)
    out.append(contentsOf: "\n}\n".utf8)
    return out
  }
}

/// A compact object written key by key; the caller gives the keys in canonical order.
private struct ObjectWriter {
  var out: [UInt8]
  var first = true
  init(out: [UInt8]) { self.out = out; self.out.append(UInt8(ascii: "{")) }
  mutating func key(_ k: StaticString) {
    if !first { out.append(UInt8(ascii: ",")) }
    first = false
    out.append(0x22)
    out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
    out.append(contentsOf: [0x22, UInt8(ascii: ":")])
  }
  consuming func close() -> [UInt8] { out.append(UInt8(ascii: "}")); return out }
}

private func writeNumbers(_ a: [Double], into out: inout [UInt8]) {
  out.append(UInt8(ascii: "["))
  for (k, d) in a.enumerated() {
    if k > 0 { out.append(UInt8(ascii: ",")) }
    CanonicalJSON.writeNumber(d, into: &out)
  }
  out.append(UInt8(ascii: "]"))
}

private func writeAttributes(_ attributes: [String: AttributeValue], into out: inout [UInt8]) {
  out.append(UInt8(ascii: "{"))
  for (k, key) in attributes.keys.sorted(by: CanonicalJSON.utf8Precedes).enumerated() {
    if k > 0 { out.append(UInt8(ascii: ",")) }
    CanonicalJSON.writeString(key, into: &out)
    out.append(UInt8(ascii: ":"))
    switch attributes[key]! {
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .number(let d): CanonicalJSON.writeNumber(d, into: &out)
    case .string(let s): CanonicalJSON.writeString(s, into: &out)
    }
  }
  out.append(UInt8(ascii: "}"))
}

extension Annotation {
  /// One annotation as a compact object, keys in UTF-8 order: area, attributes, bbox, crowd,
  /// ellipse, group, id, keypoints, kind, label, mask, points, polygon, polyline, rotation,
  /// score, source_id, z_order (the keys `json` gives, sorted).
  func writeCanonical(into out: inout [UInt8]) {
    var w = ObjectWriter(out: out)
    out = []   // hand the buffer over: one owner, so the writer's appends do not copy it
    if let a = sourceArea { w.key("area"); CanonicalJSON.writeNumber(a, into: &w.out) }
    if !attributes.isEmpty { w.key("attributes"); writeAttributes(attributes, into: &w.out) }
    var rotation = 0.0
    switch shape {
    case .box(let b, let r): w.key("bbox"); writeNumbers(b.array, into: &w.out); rotation = r
    default: if let b = bbox { w.key("bbox"); writeNumbers(b.array, into: &w.out) }
    }
    if crowd { w.key("crowd"); w.out.append(contentsOf: "true".utf8) }
    if case .ellipse(let cx, let cy, let rx, let ry, let r) = shape {
      w.key("ellipse"); writeNumbers([cx, cy, rx, ry], into: &w.out); rotation = r
    }
    if let g = group { w.key("group"); CanonicalJSON.writeNumber(Double(g), into: &w.out) }
    w.key("id"); CanonicalJSON.writeString(id, into: &w.out)
    if case .keypoints(let k) = shape { w.key("keypoints"); writeNumbers(k, into: &w.out) }
    w.key("kind"); CanonicalJSON.writeString(shape.kind, into: &w.out)
    w.key("label"); CanonicalJSON.writeString(label, into: &w.out)
    if case .mask(let m) = shape {
      w.key("mask")
      w.out.append(contentsOf: "{\"counts\":".utf8)
      switch m.counts {
      case .compressed(let s): CanonicalJSON.writeString(s, into: &w.out)
      case .runs(let r): writeNumbers(r.map(Double.init), into: &w.out)
      }
      w.out.append(contentsOf: ",\"size\":".utf8)
      writeNumbers([Double(m.height), Double(m.width)], into: &w.out)
      w.out.append(UInt8(ascii: "}"))
    }
    if case .points(let p) = shape { w.key("points"); writeNumbers(p, into: &w.out) }
    if case .polygon(let parts) = shape {
      w.key("polygon")
      w.out.append(UInt8(ascii: "["))
      for (k, p) in parts.enumerated() {
        if k > 0 { w.out.append(UInt8(ascii: ",")) }
        writeNumbers(p, into: &w.out)
      }
      w.out.append(UInt8(ascii: "]"))
    }
    if case .polyline(let p) = shape { w.key("polyline"); writeNumbers(p, into: &w.out) }
    if rotation != 0 { w.key("rotation"); CanonicalJSON.writeNumber(rotation, into: &w.out) }
    if let s = score { w.key("score"); CanonicalJSON.writeNumber(s, into: &w.out) }
    if let s = sourceID { w.key("source_id"); CanonicalJSON.writeString(s, into: &w.out) }
    if let z = zOrder { w.key("z_order"); CanonicalJSON.writeNumber(Double(z), into: &w.out) }
    out = w.close()
  }
}

// MARK: - Reading

extension LabelDocument {
  /// The document in `bytes` if it is a plain one this reader takes on its own; nil means "let
  /// the reference decoder read it" (which then gives the document or the precise error).
  static func decodeDirect(_ bytes: [UInt8]) -> LabelDocument? {
    bytes.withUnsafeBufferPointer { buf in
      var r = DirectReader(JSONParser(buf))
      return try? r.document()
    }
  }
}

/// Thrown inside `DirectReader` for "not plain": never reaches a caller.
private struct NotPlain: Error {}

private struct DirectReader {
  var p: JSONParser
  init(_ p: JSONParser) { self.p = p }

  mutating func document() throws(NotPlain) -> LabelDocument {
    var version: Int?, image: ImageRecord?, annotations: [Annotation]?
    if try begin(UInt8(ascii: "{")) { repeat { let key = try key()
      switch key {
      case "version" where version == nil: version = try int()
      case "image" where image == nil: image = try imageRecord()
      case "annotations" where annotations == nil: annotations = try annotationList()
      default: throw NotPlain()
      }
    } while try more(UInt8(ascii: "}")) }
    p.skipWhitespace()
    guard p.i == p.b.count, let version, version >= 1, version <= LabelDocument.currentVersion,
          let image, let annotations else { throw NotPlain() }
    var ids = Set<String>(minimumCapacity: annotations.count)
    for a in annotations where !ids.insert(a.id).inserted { throw NotPlain() }
    return LabelDocument(image: image, annotations: annotations)
  }

  mutating func imageRecord() throws(NotPlain) -> ImageRecord {
    var path: String?, width: Int?, height: Int?, media: String?, source: String?, split: String?
    var attributes: [String: AttributeValue]?
    if try begin(UInt8(ascii: "{")) { repeat { let key = try key()
      switch key {
      case "path" where path == nil: path = try string()
      case "width" where width == nil: width = try int()
      case "height" where height == nil: height = try int()
      case "media_type" where media == nil: media = try string()
      case "source_id" where source == nil: source = try string()
      case "split" where split == nil: split = try string()
      case "attributes" where attributes == nil: attributes = try attributeObject()
      default: throw NotPlain()
      }
    } while try more(UInt8(ascii: "}")) }
    guard let path, let width, let height, let media else { throw NotPlain() }
    return ImageRecord(path: path, width: width, height: height, mediaType: media, sourceID: source,
                       split: split, attributes: attributes ?? [:])
  }

  mutating func annotationList() throws(NotPlain) -> [Annotation] {
    var out: [Annotation] = []
    if try begin(UInt8(ascii: "[")) { repeat { out.append(try annotation()) } while try more(UInt8(ascii: "]")) }
    return out
  }

  mutating func annotation() throws(NotPlain) -> Annotation {
    var id: String?, label: String?, kind: String?, bbox: [Double]?, rotation: Double?
    var geometry: [Double]?, polygon: [[Double]]?, mask: RLEMask?, attributes: [String: AttributeValue]?
    var score: Double?, group: Int?, zOrder: Int?, crowd: Bool?, source: String?, area: Double?
    var geometryKey = ""
    if try begin(UInt8(ascii: "{")) { repeat { let key = try key()
      switch key {
      case "id" where id == nil: id = try string()
      case "label" where label == nil: label = try string()
      case "kind" where kind == nil: kind = try string()
      case "bbox" where bbox == nil: bbox = try numbers()
      case "rotation" where rotation == nil: rotation = try number()
      case "polyline", "points", "keypoints", "ellipse":
        guard geometry == nil else { throw NotPlain() }
        geometry = try numbers(); geometryKey = key
      case "polygon" where polygon == nil:
        var parts: [[Double]] = []
        if try begin(UInt8(ascii: "[")) { repeat { parts.append(try numbers()) } while try more(UInt8(ascii: "]")) }
        polygon = parts
      case "mask" where mask == nil: mask = try maskObject()
      case "attributes" where attributes == nil: attributes = try attributeObject()
      case "score" where score == nil: score = try number()
      case "group" where group == nil: group = try int()
      case "z_order" where zOrder == nil: zOrder = try int()
      case "crowd" where crowd == nil: crowd = try bool()
      case "source_id" where source == nil: source = try string()
      case "area" where area == nil: area = try number()
      default: throw NotPlain()
      }
    } while try more(UInt8(ascii: "}")) }
    guard let id, !id.isEmpty, let label, let kind else { throw NotPlain() }
    var box: Box?
    if let b = bbox {
      guard b.count == 4 else { throw NotPlain() }
      box = Box(x: b[0], y: b[1], w: b[2], h: b[3])
    }
    // Only the field the kind names may hold geometry here; anything else is left to the
    // reference decoder (which ignores such fields, and so must decide on its own).
    func only(_ k: String) -> Bool { (geometry == nil || geometryKey == k) && (polygon == nil || k == "polygon") && (mask == nil || k == "mask") }
    guard only(kind) else { throw NotPlain() }
    let shape: Shape
    switch kind {
    case "box":
      guard let b = box else { throw NotPlain() }
      shape = .box(b, rotation: rotation ?? 0); box = nil
    case "polygon": guard let polygon else { throw NotPlain() }; shape = .polygon(polygon)
    case "polyline": guard let g = geometry else { throw NotPlain() }; shape = .polyline(g)
    case "points": guard let g = geometry else { throw NotPlain() }; shape = .points(g)
    case "ellipse":
      guard let e = geometry, e.count == 4 else { throw NotPlain() }
      shape = .ellipse(cx: e[0], cy: e[1], rx: e[2], ry: e[3], rotation: rotation ?? 0)
    case "mask": guard let mask else { throw NotPlain() }; shape = .mask(mask)
    case "keypoints":
      guard let k = geometry, k.count % 3 == 0 else { throw NotPlain() }
      shape = .keypoints(k)
    case "tag": shape = .tag
    default: throw NotPlain()
    }
    return Annotation(id: id, label: label, shape: shape, bbox: box, attributes: attributes ?? [:], score: score,
                      group: group, zOrder: zOrder, crowd: crowd ?? false, sourceID: source, sourceArea: area)
  }

  mutating func maskObject() throws(NotPlain) -> RLEMask {
    var size: [Double]?, counts: RLEMask.Counts?
    if try begin(UInt8(ascii: "{")) { repeat { let key = try key()
      switch key {
      case "size" where size == nil: size = try numbers()
      case "counts" where counts == nil:
        guard p.i < p.b.count else { throw NotPlain() }
        if p.b[p.i] == 0x22 { counts = .compressed(try string()); break }
        var runs: [Int] = []
        if try begin(UInt8(ascii: "[")) {
          repeat {
            guard let r = JSONValue.number(try number()).intValue, r >= 0 else { throw NotPlain() }
            runs.append(r)
          } while try more(UInt8(ascii: "]"))
        }
        counts = .runs(runs)
      default: throw NotPlain()
      }
    } while try more(UInt8(ascii: "}")) }
    guard let size, let counts, size.count == 2, let h = JSONValue.number(size[0]).intValue,
          let w = JSONValue.number(size[1]).intValue, h >= 0, w >= 0 else { throw NotPlain() }
    return RLEMask(height: h, width: w, counts: counts)
  }

  mutating func attributeObject() throws(NotPlain) -> [String: AttributeValue] {
    var out: [String: AttributeValue] = [:]
    if try begin(UInt8(ascii: "{")) { repeat { let key = try key()
      guard p.i < p.b.count else { throw NotPlain() }
      let v: AttributeValue
      switch p.b[p.i] {
      case 0x22: v = .string(try string())
      case UInt8(ascii: "t"), UInt8(ascii: "f"): v = .bool(try bool())
      default: v = .number(try number())
      }
      guard out.updateValue(v, forKey: key) == nil else { throw NotPlain() }
    } while try more(UInt8(ascii: "}")) }
    return out
  }

  // Structure: `{ "key": value, … }` and `[ value, … ]` with the parser's own whitespace rule.

  /// Opens `{` or `[`; false if it is closed at once (`{}`, `[]`).
  mutating func begin(_ open: UInt8) throws(NotPlain) -> Bool {
    p.skipWhitespace()
    guard p.i < p.b.count, p.b[p.i] == open else { throw NotPlain() }
    p.i += 1
    p.skipWhitespace()
    if p.i < p.b.count, p.b[p.i] == open + 2 { p.i += 1; return false }   // `}` and `]` are two past
    return true
  }

  /// A member's key and its colon.
  mutating func key() throws(NotPlain) -> String {
    p.skipWhitespace()
    let k = try string()
    p.skipWhitespace()
    guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: ":") else { throw NotPlain() }
    p.i += 1
    p.skipWhitespace()
    return k
  }

  /// After a value: true at `,` (another follows), false at the closing `close`.
  mutating func more(_ close: UInt8) throws(NotPlain) -> Bool {
    p.skipWhitespace()
    guard p.i < p.b.count else { throw NotPlain() }
    if p.b[p.i] == UInt8(ascii: ",") { p.i += 1; p.skipWhitespace(); return true }
    if p.b[p.i] == close { p.i += 1; return false }
    throw NotPlain()
  }

  // Scalars, through the parser's own routines: the same strings and the same doubles.

  mutating func string() throws(NotPlain) -> String {
    guard p.i < p.b.count, p.b[p.i] == 0x22 else { throw NotPlain() }
    do { return try p.parseString() } catch { throw NotPlain() }
  }
  mutating func number() throws(NotPlain) -> Double {
    guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "-") || (p.b[p.i] >= 0x30 && p.b[p.i] <= 0x39) else { throw NotPlain() }
    do { return try p.parseNumber() } catch { throw NotPlain() }
  }
  mutating func int() throws(NotPlain) -> Int {
    guard let i = JSONValue.number(try number()).intValue else { throw NotPlain() }
    return i
  }
  mutating func bool() throws(NotPlain) -> Bool {
    func word(_ w: StaticString) -> Bool {
      let n = w.utf8CodeUnitCount
      guard p.i + n <= p.b.count else { return false }
      for k in 0..<n where p.b[p.i + k] != w.utf8Start[k] { return false }
      p.i += n
      return true
    }
    if word("true") { return true }
    if word("false") { return false }
    throw NotPlain()
  }
  mutating func numbers() throws(NotPlain) -> [Double] {
    var out: [Double] = []
    if try begin(UInt8(ascii: "[")) { repeat { out.append(try number()) } while try more(UInt8(ascii: "]")) }
    return out
  }
}
