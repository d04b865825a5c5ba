/// The image an annotation document describes. The image bytes live beside the document in
/// the tree (`images/<path>`); this record holds what annot read from their header.
public struct ImageRecord: Sendable, Hashable {
  /// Dataset path of the image, relative to `images/` (for example `train/0001.png`).
  public var path: String
  public var width: Int
  public var height: Int
  /// `image/jpeg`, `image/png`, …
  public var mediaType: String
  /// The id the source format gave the image (COCO image id), written back on export.
  public var sourceID: String?
  /// train / val / test, if assigned.
  public var split: String?
  /// Image-level attributes (CVAT image attributes, Label Studio choices that are not classes).
  public var attributes: [String: AttributeValue]

  public init(path: String, width: Int, height: Int, mediaType: String, sourceID: String? = nil,
              split: String? = nil, attributes: [String: AttributeValue] = [:]) {
    self.path = path; self.width = width; self.height = height; self.mediaType = mediaType
    self.sourceID = sourceID; self.split = split; self.attributes = attributes
  }
}

/// One image's labels: the canonical annotation document stored at `labels/<path>.json`.
public struct LabelDocument: Sendable, Hashable {
  /// The format version this build writes. Readers accept this version and older ones.
  public static let currentVersion = 1

  public var image: ImageRecord
  /// Annotations, kept sorted by id (the canonical order).
  public var annotations: [Annotation]

  public init(image: ImageRecord, annotations: [Annotation] = []) {
    self.image = image
    self.annotations = annotations.sorted { CanonicalJSON.utf8Precedes($0.id, $1.id) }
  }

  /// Annotation by id.
  public func annotation(id: String) -> Annotation? { annotations.first { $0.id == id } }
}

/// A document or manifest that does not follow the format, with the JSON path of the problem.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Where in the document, for example `annotations[3].bbox`.
  public var place: String
  public var message: String
  public init(_ place: String, _ message: String) { self.place = place; self.message = message }
  public var description: String { place.isEmpty ? message : "\(place): \(message)" }
}

// MARK: - Encoding

extension LabelDocument {
  /// The canonical bytes: equal documents give equal bytes, and so equal blob ids.
  public func canonicalBytes() -> [UInt8] { writeCanonical() }

  /// The same bytes through the `JSONValue` tree: the reference `canonicalBytes()` is tested against.
  public func canonicalBytesThroughTree() -> [UInt8] { CanonicalJSON.writeDocumentLayout(json) }

  public var json: JSONValue {
    var img: [String: JSONValue] = [
      "path": .string(image.path), "width": .number(Double(image.width)),
      "height": .number(Double(image.height)), "media_type": .string(image.mediaType),
    ]
    if let s = image.sourceID { img["source_id"] = .string(s) }
    if let s = image.split { img["split"] = .string(s) }
    if !image.attributes.isEmpty { img["attributes"] = .object(image.attributes.mapValues(\.json)) }
    return .object([
      "version": .number(Double(Self.currentVersion)),
      "image": .object(img),
      "annotations": .array(annotations.sorted { CanonicalJSON.utf8Precedes($0.id, $1.id) }.map(\.json)),
    ])
  }
}

extension Annotation {
  public var json: JSONValue {
    var o: [String: JSONValue] = ["id": .string(id), "label": .string(label), "kind": .string(shape.kind)]
    func nums(_ a: [Double]) -> JSONValue { .array(a.map { .number($0) }) }
    switch shape {
    case .box(let b, let rotation):
      o["bbox"] = nums(b.array)
      if rotation != 0 { o["rotation"] = .number(rotation) }
    case .polygon(let parts): o["polygon"] = .array(parts.map(nums))
    case .polyline(let p): o["polyline"] = nums(p)
    case .points(let p): o["points"] = nums(p)
    case .ellipse(let cx, let cy, let rx, let ry, let rotation):
      o["ellipse"] = nums([cx, cy, rx, ry])
      if rotation != 0 { o["rotation"] = .number(rotation) }
    case .mask(let m):
      let counts: JSONValue = switch m.counts {
      case .compressed(let s): .string(s)
      case .runs(let r): .array(r.map { .number(Double($0)) })
      }
      o["mask"] = .object(["size": .array([.number(Double(m.height)), .number(Double(m.width))]), "counts": counts])
    case .keypoints(let k): o["keypoints"] = nums(k)
    case .tag: break
    }
    if case .box = shape {} else if let b = bbox { o["bbox"] = nums(b.array) }
    if !attributes.isEmpty { o["attributes"] = .object(attributes.mapValues(\.json)) }
    if let score { o["score"] = .number(score) }
    if let group { o["group"] = .number(Double(group)) }
    if let zOrder { o["z_order"] = .number(Double(zOrder)) }
    if crowd { o["crowd"] = .bool(true) }
    if let sourceID { o["source_id"] = .string(sourceID) }
    if let sourceArea { o["area"] = .number(sourceArea) }
    return .object(o)
  }
}

// MARK: - Decoding

/// Typed field access with errors that carry the JSON path.
struct FieldReader {
  let object: [String: JSONValue]
  let place: String

  init(_ value: JSONValue, at place: String) throws(DocumentError) {
    guard case .object(let o) = value else { throw DocumentError(place, "expected an object, found \(value.typeName)") }
    object = o
    self.place = place
  }

  func path(_ key: String) -> String { place.isEmpty ? key : "\(place).\(key)" }

  func string(_ key: String) throws(DocumentError) -> String {
    guard let v = object[key] else { throw DocumentError(path(key), "missing") }
    guard case .string(let s) = v else { throw DocumentError(path(key), "expected a string, found \(v.typeName)") }
    return s
  }
  func optionalString(_ key: String) throws(DocumentError) -> String? {
    guard let v = object[key], !v.isNull else { return nil }
    guard case .string(let s) = v else { throw DocumentError(path(key), "expected a string, found \(v.typeName)") }
    return s
  }
  func number(_ key: String) throws(DocumentError) -> Double {
    guard let v = object[key] else { throw DocumentError(path(key), "missing") }
    guard case .number(let d) = v else { throw DocumentError(path(key), "expected a number, found \(v.typeName)") }
    return d
  }
  func optionalNumber(_ key: String) throws(DocumentError) -> Double? {
    guard let v = object[key], !v.isNull else { return nil }
    guard case .number(let d) = v else { throw DocumentError(path(key), "expected a number, found \(v.typeName)") }
    return d
  }
  func int(_ key: String) throws(DocumentError) -> Int {
    let d = try number(key)
    guard let i = JSONValue.number(d).intValue else { throw DocumentError(path(key), "expected an integer, found \(d)") }
    return i
  }
  func optionalInt(_ key: String) throws(DocumentError) -> Int? {
    guard let d = try optionalNumber(key) else { return nil }
    guard let i = JSONValue.number(d).intValue else { throw DocumentError(path(key), "expected an integer, found \(d)") }
    return i
  }
  func numbers(_ key: String, _ value: JSONValue? = nil) throws(DocumentError) -> [Double] {
    guard let v = value ?? object[key] else { throw DocumentError(path(key), "missing") }
    return try Self.numbers(v, at: path(key))
  }
  static func numbers(_ v: JSONValue, at place: String) throws(DocumentError) -> [Double] {
    guard case .array(let a) = v else { throw DocumentError(place, "expected an array of numbers, found \(v.typeName)") }
    var out: [Double] = []
    out.reserveCapacity(a.count)
    for (i, e) in a.enumerated() {
      guard case .number(let d) = e else { throw DocumentError("\(place)[\(i)]", "expected a number, found \(e.typeName)") }
      out.append(d)
    }
    return out
  }
  func attributes(_ key: String) throws(DocumentError) -> [String: AttributeValue] {
    guard let v = object[key], !v.isNull else { return [:] }
    guard case .object(let o) = v else { throw DocumentError(path(key), "expected an object, found \(v.typeName)") }
    var out: [String: AttributeValue] = [:]
    for (k, e) in o {
      guard let value = AttributeValue(e) else {
        throw DocumentError("\(path(key)).\(k)", "attribute values are booleans, numbers or strings, found \(e.typeName)")
      }
      out[k] = value
    }
    return out
  }
}

extension LabelDocument {
  /// Parses a canonical document; `file` only names it in errors.
  public static func decode(_ bytes: [UInt8]) throws(DocumentError) -> LabelDocument {
    if let plain = decodeDirect(bytes) { return plain }
    return try decodeThroughTree(bytes)
  }

  /// The reference decoder: parse to a `JSONValue` tree, then read it. `decode` gives the same
  /// document for every input this accepts, and this one's error for every input it refuses.
  public static func decodeThroughTree(_ bytes: [UInt8]) throws(DocumentError) -> LabelDocument {
    let value: JSONValue
    do { value = try JSONParser.parse(bytes) } catch { throw DocumentError("", "invalid JSON at \(error)") }
    return try decode(value)
  }

  public static func decode(_ value: JSONValue) throws(DocumentError) -> LabelDocument {
    let r = try FieldReader(value, at: "")
    let version = try r.int("version")
    guard version >= 1 else { throw DocumentError("version", "unsupported version \(version)") }
    guard version <= currentVersion else {
      throw DocumentError("version", "document version \(version) is newer than this annot reads (\(currentVersion)); upgrade annot")
    }
    let ir = try FieldReader(r.object["image"] ?? .null, at: "image")
    let image = ImageRecord(
      path: try ir.string("path"), width: try ir.int("width"), height: try ir.int("height"),
      mediaType: try ir.string("media_type"), sourceID: try ir.optionalString("source_id"),
      split: try ir.optionalString("split"), attributes: try ir.attributes("attributes"))
    guard case .array(let items)? = r.object["annotations"] else {
      throw DocumentError("annotations", "missing or not an array")
    }
    var anns: [Annotation] = []
    anns.reserveCapacity(items.count)
    var seen = Set<String>()
    for (i, item) in items.enumerated() {
      let a = try Annotation.decode(item, at: "annotations[\(i)]")
      guard seen.insert(a.id).inserted else { throw DocumentError("annotations[\(i)].id", "duplicate annotation id \"\(a.id)\"") }
      anns.append(a)
    }
    return LabelDocument(image: image, annotations: anns)
  }
}

extension Annotation {
  public static func decode(_ value: JSONValue, at place: String) throws(DocumentError) -> Annotation {
    let r = try FieldReader(value, at: place)
    let kind = try r.string("kind")
    var bbox: Box? = nil
    if let v = r.object["bbox"], !v.isNull {
      let b = try r.numbers("bbox")
      guard b.count == 4 else { throw DocumentError(r.path("bbox"), "expected 4 numbers [x, y, w, h], found \(b.count)") }
      bbox = Box(x: b[0], y: b[1], w: b[2], h: b[3])
    }
    let rotation = try r.optionalNumber("rotation") ?? 0
    let shape: Shape
    switch kind {
    case "box":
      guard let b = bbox else { throw DocumentError(r.path("bbox"), "missing") }
      shape = .box(b, rotation: rotation)
      bbox = nil
    case "polygon":
      guard case .array(let parts)? = r.object["polygon"] else { throw DocumentError(r.path("polygon"), "missing or not an array") }
      var ps: [[Double]] = []
      for (k, p) in parts.enumerated() { ps.append(try FieldReader.numbers(p, at: "\(r.path("polygon"))[\(k)]")) }
      shape = .polygon(ps)
    case "polyline": shape = .polyline(try r.numbers("polyline"))
    case "points": shape = .points(try r.numbers("points"))
    case "ellipse":
      let e = try r.numbers("ellipse")
      guard e.count == 4 else { throw DocumentError(r.path("ellipse"), "expected [cx, cy, rx, ry]") }
      shape = .ellipse(cx: e[0], cy: e[1], rx: e[2], ry: e[3], rotation: rotation)
    case "mask":
      let m = try FieldReader(r.object["mask"] ?? .null, at: r.path("mask"))
      let size = try m.numbers("size")
      guard size.count == 2, let h = JSONValue.number(size[0]).intValue, let w = JSONValue.number(size[1]).intValue, h >= 0, w >= 0
      else { throw DocumentError(m.path("size"), "expected [height, width]") }
      let counts: RLEMask.Counts
      switch m.object["counts"] {
      case .string(let s)?: counts = .compressed(s)
      case .array?:
        let runs = try m.numbers("counts")
        var ints: [Int] = []
        for (k, d) in runs.enumerated() {
          guard let i = JSONValue.number(d).intValue, i >= 0 else { throw DocumentError("\(m.path("counts"))[\(k)]", "expected a non-negative integer") }
          ints.append(i)
        }
        counts = .runs(ints)
      default: throw DocumentError(m.path("counts"), "expected a string or an array of run lengths")
      }
      shape = .mask(RLEMask(height: h, width: w, counts: counts))
    case "keypoints":
      let k = try r.numbers("keypoints")
      guard k.count % 3 == 0 else { throw DocumentError(r.path("keypoints"), "expected triples [x, y, visibility]") }
      shape = .keypoints(k)
    case "tag": shape = .tag
    default: throw DocumentError(r.path("kind"), "unknown kind \"\(kind)\"; known: \(Shape.kinds.joined(separator: ", "))")
    }
    let id = try r.string("id")
    guard !id.isEmpty else { throw DocumentError(r.path("id"), "empty id") }
    return Annotation(
      id: id, label: try r.string("label"), shape: shape, bbox: bbox, attributes: try r.attributes("attributes"),
      score: try r.optionalNumber("score"), group: try r.optionalInt("group"), zOrder: try r.optionalInt("z_order"),
      crowd: r.object["crowd"]?.boolValue ?? false, sourceID: try r.optionalString("source_id"),
      sourceArea: try r.optionalNumber("area"))
  }
}
