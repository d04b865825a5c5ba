import AnnotModel

/// The one rule every field follows (git's trivial merge, per value):
/// same on both sides → take it; only one side changed → take that change; else conflict (ours kept).
enum ThreeWay {
  static func merge(_ b: JSONValue?, _ o: JSONValue?, _ t: JSONValue?) -> (value: JSONValue?, conflict: LabelConflict.Kind?) {
    if o == t { return (o, nil) }
    if b == o { return (t, nil) }
    if b == t { return (o, nil) }
    // Unset → set on both sides is an add/add; set → unset on one side is a delete/modify.
    let kind: LabelConflict.Kind = b == nil ? .addAdd : (o == nil || t == nil) ? .deleteModify : .modifyModify
    return (o, kind)
  }

  /// Merges flat field maps; returns the merged map and the conflicting field names with kinds, in `order`.
  static func mergeFields(_ b: [String: JSONValue], _ o: [String: JSONValue], _ t: [String: JSONValue],
                          order: ([String]) -> [String]) -> (merged: [String: JSONValue], conflicts: [(String, LabelConflict.Kind)]) {
    var names = Set(b.keys); names.formUnion(o.keys); names.formUnion(t.keys)
    var merged: [String: JSONValue] = [:]
    var conflicts: [(String, LabelConflict.Kind)] = []
    for name in order(Array(names)) {
      let (v, kind) = merge(b[name], o[name], t[name])
      if let v { merged[name] = v }
      if let kind { conflicts.append((name, kind)) }
    }
    return (merged, conflicts)
  }
}

/// UTF-8 byte order, the canonical order of ids and keys.
func utf8Less(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

/// Annotation fields as the merge sees them: `label`, `geometry` (shape + bbox + rotation as one
/// value), `attributes.<key>` each, `score`, `z_order`, `group`, `crowd`, `source_id`.
enum AnnotationFields {
  /// Document keys that together make the `geometry` field.
  static let geometryKeys: Set<String> = ["kind", "bbox", "area", "rotation", "polygon", "polyline", "points", "ellipse", "mask", "keypoints"]
  static let leading = ["label", "geometry"]
  static let trailing = ["score", "z_order", "group", "crowd", "source_id"]

  static func flatten(_ a: Annotation) -> [String: JSONValue] {
    guard case .object(let o) = a.json else { return [:] }
    var out: [String: JSONValue] = [:]
    var geometry: [String: JSONValue] = [:]
    for (k, v) in o {
      if geometryKeys.contains(k) { geometry[k] = v }
      else if k == "attributes", case .object(let attrs) = v { for (ak, av) in attrs { out["attributes." + ak] = av } }
      else if k != "id" { out[k] = v }
    }
    out["geometry"] = .object(geometry)
    return out
  }

  static func order(_ names: [String]) -> [String] {
    let attrs = names.filter { $0.hasPrefix("attributes.") }.sorted(by: utf8Less)
    return leading.filter(names.contains) + attrs + trailing.filter(names.contains)
  }

  /// Rebuilds an annotation from flat fields; throws if they do not form a valid annotation.
  static func build(_ fields: [String: JSONValue], id: String, path: String) throws(MergeError) -> Annotation {
    var o: [String: JSONValue] = ["id": .string(id)]
    var attrs: [String: JSONValue] = [:]
    for (k, v) in fields {
      if k == "geometry", case .object(let g) = v { for (gk, gv) in g { o[gk] = gv } }
      else if k.hasPrefix("attributes.") { attrs[String(k.dropFirst("attributes.".count))] = v }
      else { o[k] = v }
    }
    if !attrs.isEmpty { o["attributes"] = .object(attrs) }
    do { return try Annotation.decode(.object(o), at: "annotations[\(id)]") } catch {
      throw .invalidMergedDocument(path: path, message: error.description)
    }
  }
}

/// Image record fields: `image.path`, `image.width`, `image.height`, `image.media_type`,
/// `image.split`, `image.source_id`, `image.attributes.<key>` each.
enum ImageFields {
  static let order0 = ["image.path", "image.width", "image.height", "image.media_type", "image.split", "image.source_id"]

  static func flatten(_ doc: LabelDocument?) -> [String: JSONValue] {
    guard let doc, case .object(let o)? = doc.json["image"] else { return [:] }
    var out: [String: JSONValue] = [:]
    for (k, v) in o {
      if k == "attributes", case .object(let attrs) = v { for (ak, av) in attrs { out["image.attributes." + ak] = av } }
      else { out["image." + k] = v }
    }
    return out
  }

  static func order(_ names: [String]) -> [String] {
    order0.filter(names.contains) + names.filter { $0.hasPrefix("image.attributes.") }.sorted(by: utf8Less)
      + names.filter { !order0.contains($0) && !$0.hasPrefix("image.attributes.") }.sorted(by: utf8Less)
  }

  static func build(_ fields: [String: JSONValue], annotations: [Annotation], path: String) throws(MergeError) -> LabelDocument {
    var img: [String: JSONValue] = [:]
    var attrs: [String: JSONValue] = [:]
    for (k, v) in fields {
      let key = String(k.dropFirst("image.".count))
      if key.hasPrefix("attributes.") { attrs[String(key.dropFirst("attributes.".count))] = v } else { img[key] = v }
    }
    if !attrs.isEmpty { img["attributes"] = .object(attrs) }
    let value: JSONValue = .object(["version": .number(Double(LabelDocument.currentVersion)), "image": .object(img), "annotations": .array([])])
    do {
      var doc = try LabelDocument.decode(value)
      doc.annotations = annotations.sorted { utf8Less($0.id, $1.id) }
      return doc
    } catch {
      throw .invalidMergedDocument(path: path, message: error.description)
    }
  }
}
