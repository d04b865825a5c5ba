/// How an attribute is typed, and what values it may take.
public struct AttributeDefinition: Sendable, Hashable {
  public enum Kind: String, Sendable, Hashable { case bool, number, string, select }
  public var name: String
  public var kind: Kind
  /// Allowed values for `select`.
  public var values: [String]
  public var defaultValue: AttributeValue?
  public init(name: String, kind: Kind, values: [String] = [], defaultValue: AttributeValue? = nil) {
    self.name = name; self.kind = kind; self.values = values; self.defaultValue = defaultValue
  }
}

/// A class of the label schema. `id` is stable: exports write it back (COCO category ids).
public struct LabelClass: Sendable, Hashable {
  public var id: Int
  public var name: String
  /// `#rrggbb`.
  public var color: String?
  public var supercategory: String?
  /// Keypoint names, in order (COCO person_keypoints).
  public var keypoints: [String]
  /// Skeleton edges as 1-based keypoint index pairs, as COCO writes them.
  public var skeleton: [[Int]]
  public var attributes: [AttributeDefinition]

  public init(id: Int, name: String, color: String? = nil, supercategory: String? = nil,
              keypoints: [String] = [], skeleton: [[Int]] = [], attributes: [AttributeDefinition] = []) {
    self.id = id; self.name = name; self.color = color; self.supercategory = supercategory
    self.keypoints = keypoints; self.skeleton = skeleton; self.attributes = attributes
  }
}

/// The dataset manifest stored at `annot.json`: format version and label schema.
public struct DatasetManifest: Sendable, Hashable {
  /// 2: a revision's trees may store large folders as buckets (FORMAT.md, "Large folders"), which
  /// an annot that reads only version 1 would take for folders named `@0` … `@f`; so it refuses.
  public static let currentVersion = 2
  /// Classes, kept sorted by id.
  public var classes: [LabelClass]
  /// Attributes every class may carry.
  public var attributes: [AttributeDefinition]
  /// The version this manifest was read at (`currentVersion` for a new one). Written back as is,
  /// so a manifest's canonical form is that of its version; not part of equality, since two
  /// versions of the same schema are the same schema. Writers of new trees set it to current.
  public var version: Int

  public init(classes: [LabelClass] = [], attributes: [AttributeDefinition] = [], version: Int = currentVersion) {
    self.classes = classes.sorted { $0.id < $1.id }
    self.attributes = attributes
    self.version = version
  }

  public static func == (a: DatasetManifest, b: DatasetManifest) -> Bool { a.classes == b.classes && a.attributes == b.attributes }
  public func hash(into h: inout Hasher) { h.combine(classes); h.combine(attributes) }

  public func labelClass(named name: String) -> LabelClass? { classes.first { $0.name == name } }
  public func labelClass(id: Int) -> LabelClass? { classes.first { $0.id == id } }

  /// Adds a class named `name` if missing, with the next free id, and returns it.
  @discardableResult
  public mutating func ensureClass(_ name: String) -> LabelClass {
    if let c = labelClass(named: name) { return c }
    let c = LabelClass(id: (classes.map(\.id).max() ?? 0) + 1, name: name, color: Self.defaultColor(for: name))
    classes.append(c)
    classes.sort { $0.id < $1.id }
    return c
  }

  /// A deterministic colour for a class without one (from the name's hash).
  public static func defaultColor(for name: String) -> String {
    let d = SHA256.hash(Array(name.utf8))
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = [UInt8(ascii: "#")]
    for i in 0..<3 {
      let v = d[i] / 2 + 64   // mid-range channels stay visible on photos
      out.append(hex[Int(v >> 4)]); out.append(hex[Int(v & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}

extension AttributeDefinition {
  var json: JSONValue {
    var o: [String: JSONValue] = ["name": .string(name), "type": .string(kind.rawValue)]
    if !values.isEmpty { o["values"] = .array(values.map { .string($0) }) }
    if let d = defaultValue { o["default"] = d.json }
    return .object(o)
  }
  static func decode(_ v: JSONValue, at place: String) throws(DocumentError) -> AttributeDefinition {
    let r = try FieldReader(v, at: place)
    let t = try r.string("type")
    guard let kind = Kind(rawValue: t) else { throw DocumentError(r.path("type"), "unknown attribute type \"\(t)\"") }
    var values: [String] = []
    if case .array(let a)? = r.object["values"] { values = a.compactMap(\.stringValue) }
    var d: AttributeValue? = nil
    switch r.object["default"] {
    case .bool(let b)?: d = .bool(b)
    case .number(let n)?: d = .number(n)
    case .string(let s)?: d = .string(s)
    default: break
    }
    return AttributeDefinition(name: try r.string("name"), kind: kind, values: values, defaultValue: d)
  }
}

extension DatasetManifest {
  public var json: JSONValue {
    .object([
      "format": .string("annot"),
      "version": .number(Double(version)),
      "classes": .array(classes.sorted { $0.id < $1.id }.map { c in
        var o: [String: JSONValue] = ["id": .number(Double(c.id)), "name": .string(c.name)]
        if let v = c.color { o["color"] = .string(v) }
        if let v = c.supercategory { o["supercategory"] = .string(v) }
        if !c.keypoints.isEmpty { o["keypoints"] = .array(c.keypoints.map { .string($0) }) }
        if !c.skeleton.isEmpty { o["skeleton"] = .array(c.skeleton.map { .array($0.map { .number(Double($0)) }) }) }
        if !c.attributes.isEmpty { o["attributes"] = .array(c.attributes.map(\.json)) }
        return .object(o)
      }),
      "attributes": .array(attributes.map(\.json)),
    ])
  }

  public func canonicalBytes() -> [UInt8] { CanonicalJSON.writeDocumentLayout(json) }

  public static func decode(_ bytes: [UInt8]) throws(DocumentError) -> DatasetManifest {
    let value: JSONValue
    do { value = try JSONParser.parse(bytes) } catch { throw DocumentError("", "invalid JSON at \(error)") }
    let r = try FieldReader(value, at: "")
    let version = try r.int("version")
    guard version <= currentVersion else {
      throw DocumentError("version", "manifest version \(version) is newer than this annot reads (\(currentVersion)); upgrade annot")
    }
    guard case .array(let items)? = r.object["classes"] else { throw DocumentError("classes", "missing or not an array") }
    var classes: [LabelClass] = []
    var ids = Set<Int>(), names = Set<String>()
    for (i, item) in items.enumerated() {
      let cr = try FieldReader(item, at: "classes[\(i)]")
      var c = LabelClass(id: try cr.int("id"), name: try cr.string("name"), color: try cr.optionalString("color"),
                         supercategory: try cr.optionalString("supercategory"))
      if case .array(let k)? = cr.object["keypoints"] { c.keypoints = k.compactMap(\.stringValue) }
      if case .array(let s)? = cr.object["skeleton"] { c.skeleton = s.compactMap { $0.arrayValue?.compactMap(\.intValue) } }
      if case .array(let a)? = cr.object["attributes"] {
        for (k, e) in a.enumerated() { c.attributes.append(try AttributeDefinition.decode(e, at: "classes[\(i)].attributes[\(k)]")) }
      }
      guard ids.insert(c.id).inserted else { throw DocumentError("classes[\(i)].id", "duplicate class id \(c.id)") }
      guard names.insert(c.name).inserted else { throw DocumentError("classes[\(i)].name", "duplicate class name \"\(c.name)\"") }
      classes.append(c)
    }
    var attrs: [AttributeDefinition] = []
    if case .array(let a)? = r.object["attributes"] {
      for (k, e) in a.enumerated() { attrs.append(try AttributeDefinition.decode(e, at: "attributes[\(k)]")) }
    }
    return DatasetManifest(classes: classes, attributes: attrs, version: version)
  }
}
