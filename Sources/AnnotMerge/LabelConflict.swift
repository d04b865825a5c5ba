import AnnotModel

/// One thing a three-way merge could not settle: a field of an annotation, of an image record,
/// of the label schema, a whole annotation, a whole document, or an image's bytes.
///
/// The values are the field's JSON exactly as the canonical document (or manifest) writes it;
/// `nil` means "absent on that side" (deleted, never added, or an optional field left unset).
/// `Docs/MERGE.md` lists every `field` name and the file encoding (`ConflictFile`).
public struct LabelConflict: Sendable, Equatable, CustomStringConvertible {
  /// Why the two sides could not be combined.
  public enum Kind: String, Sendable, CaseIterable {
    /// Both sides changed the same field (or object) to different values.
    case modifyModify = "modify/modify"
    /// One side deleted what the other side changed (which side: the `nil` value tells).
    case deleteModify = "delete/modify"
    /// Both sides added the same id (or field) with different content.
    case addAdd = "add/add"
    /// Two different label classes ended up with the same name.
    case nameClash = "name/name"
  }

  /// Dataset path of the image (`train/0001.png`), or `annot.json` for schema conflicts.
  public var path: String
  /// The annotation id; nil for image-level, document-level and schema-level conflicts.
  public var annotationID: String?
  /// The field (`label`, `geometry`, `attributes.occluded`, `image.split`, `classes.3.name`, …);
  /// nil when the whole annotation (or, with no annotation id, the whole document) conflicts.
  public var field: String?
  /// Why it conflicts.
  public var kind: Kind
  /// The merge base's value.
  public var base: JSONValue?
  /// Our value (the branch being merged into); the merged result holds it until resolved.
  public var ours: JSONValue?
  /// Their value (the branch being merged in).
  public var theirs: JSONValue?

  /// Makes a conflict record.
  public init(path: String, annotationID: String? = nil, field: String? = nil, kind: Kind,
              base: JSONValue?, ours: JSONValue?, theirs: JSONValue?) {
    self.path = path; self.annotationID = annotationID; self.field = field; self.kind = kind
    self.base = base; self.ours = ours; self.theirs = theirs
  }

  /// The same conflict seen from the other side (ours and theirs swapped).
  public var mirrored: LabelConflict {
    LabelConflict(path: path, annotationID: annotationID, field: field, kind: kind, base: base, ours: theirs, theirs: ours)
  }

  /// The value a choice picks.
  public func value(_ choice: ConflictChoice) -> JSONValue? {
    switch choice {
    case .base: base
    case .ours: ours
    case .theirs: theirs
    }
  }

  /// One line naming the item and both values, e.g.
  /// `image a.png: annotation a7 label: "dog" (ours) vs "fox" (theirs) [modify/modify]`.
  public var description: String {
    var where_ = path == DatasetPath.manifestEntry ? "schema" : "image \(path)"
    if let annotationID { where_ += ": annotation \(annotationID)" }
    if let field { where_ += " \(field)" }
    func show(_ v: JSONValue?) -> String {
      guard let v else { return "absent" }
      let s = CanonicalJSON.string(v)
      return s.count > 60 ? String(s.prefix(57)) + "..." : s
    }
    return "\(where_): \(show(ours)) (ours) vs \(show(theirs)) (theirs) [\(kind.rawValue)]"
  }
}

/// Which version settles a conflict.
public enum ConflictChoice: String, Sendable, CaseIterable {
  /// Keep the merge base's value (undo both sides' change to that field).
  case base
  /// Keep our value.
  case ours
  /// Take their value.
  case theirs
}

// MARK: - JSON encoding

extension LabelConflict {
  /// The conflict as a JSON object: keys `path`, `annotation`, `field`, `kind`, `base`, `ours`,
  /// `theirs`. Absent values and nil ids are left out (never written as `null`).
  public var json: JSONValue {
    var o: [String: JSONValue] = ["path": .string(path), "kind": .string(kind.rawValue)]
    if let annotationID { o["annotation"] = .string(annotationID) }
    if let field { o["field"] = .string(field) }
    if let base { o["base"] = base }
    if let ours { o["ours"] = ours }
    if let theirs { o["theirs"] = theirs }
    return .object(o)
  }

  /// Reads a conflict written by `json`; `place` names it in errors.
  public static func decode(_ value: JSONValue, at place: String = "") throws(MergeError) -> LabelConflict {
    func p(_ k: String) -> String { place.isEmpty ? k : "\(place).\(k)" }
    guard case .object(let o) = value else {
      throw .invalidConflictFile(place: place, message: "expected an object, found \(value.typeName)")
    }
    guard case .string(let path)? = o["path"] else { throw .invalidConflictFile(place: p("path"), message: "missing or not a string") }
    guard case .string(let k)? = o["kind"] else { throw .invalidConflictFile(place: p("kind"), message: "missing or not a string") }
    guard let kind = Kind(rawValue: k) else {
      throw .invalidConflictFile(place: p("kind"), message: "unknown conflict kind \"\(k)\"; known: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    func optionalString(_ key: String) throws(MergeError) -> String? {
      guard let v = o[key] else { return nil }
      guard case .string(let s) = v else { throw .invalidConflictFile(place: p(key), message: "expected a string, found \(v.typeName)") }
      return s
    }
    let known: Set<String> = ["path", "kind", "annotation", "field", "base", "ours", "theirs"]
    if let extra = o.keys.sorted().first(where: { !known.contains($0) }) {
      throw .invalidConflictFile(place: p(extra), message: "unknown key")
    }
    return LabelConflict(path: path, annotationID: try optionalString("annotation"), field: try optionalString("field"),
                         kind: kind, base: o["base"], ours: o["ours"], theirs: o["theirs"])
  }
}

/// The file that holds a merge's open conflicts between `annot merge` and `annot merge --continue`
/// (`.annot/annot/CONFLICTS.json`), also the shape of `annot status --json`'s conflict list.
///
/// Layout: `{"conflicts": [ … one conflict per line … ], "format": "annot-conflicts", "version": 1}`,
/// written with the canonical document layout, so equal conflict lists give equal bytes.
public enum ConflictFile {
  /// The format version this build writes.
  public static let currentVersion = 1

  /// The canonical bytes of a conflict list (order kept as given).
  public static func encode(_ conflicts: [LabelConflict]) -> [UInt8] {
    CanonicalJSON.writeDocumentLayout(.object([
      "format": .string("annot-conflicts"),
      "version": .number(Double(currentVersion)),
      "conflicts": .array(conflicts.map(\.json)),
    ]))
  }

  /// Parses bytes written by `encode`.
  public static func decode(_ bytes: [UInt8]) throws(MergeError) -> [LabelConflict] {
    let value: JSONValue
    do { value = try JSONParser.parse(bytes) } catch { throw .invalidConflictFile(place: "", message: "invalid JSON at \(error)") }
    guard case .object(let o) = value else { throw .invalidConflictFile(place: "", message: "expected an object") }
    guard o["format"]?.stringValue == "annot-conflicts" else {
      throw .invalidConflictFile(place: "format", message: "expected \"annot-conflicts\"")
    }
    guard let version = o["version"]?.intValue else { throw .invalidConflictFile(place: "version", message: "missing or not an integer") }
    guard version >= 1, version <= currentVersion else {
      throw .invalidConflictFile(place: "version", message: "unsupported version \(version); this annot reads version \(currentVersion)")
    }
    guard case .array(let items)? = o["conflicts"] else { throw .invalidConflictFile(place: "conflicts", message: "missing or not an array") }
    var out: [LabelConflict] = []
    for (i, item) in items.enumerated() { out.append(try LabelConflict.decode(item, at: "conflicts[\(i)]")) }
    return out
  }
}
