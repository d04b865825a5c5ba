import AnnotModel

/// The words for one change, shared by every renderer (the CLI's text and `--stat`, the HTML
/// review page): a new change kind adds its phrase here, once.
public enum ChangeWords {
  /// The description of one annotation change, without the image and id prefix
  /// (`moved (+12, -3) px, relabeled car → truck`).
  public static func describe(_ change: AnnotationChange) -> String {
    switch change.status {
    case .added:
      return "added \(change.new?.label ?? "")" + (change.new?.boundingBox.map { " " + boxText($0) } ?? "")
    case .removed:
      return "removed \(change.old?.label ?? "")" + (change.old?.boundingBox.map { " " + boxText($0) } ?? "")
    case .modified:
      var parts: [String] = []
      if let old = change.oldID { parts.append("(was \(old))") }
      if let m = change.moved { parts.append("moved (\(signed(m.dx)), \(signed(m.dy))) px") }
      if change.resized != nil, let a = change.old?.shapeBoundingBox, let b = change.new?.shapeBoundingBox {
        parts.append("resized \(num(a.w))×\(num(a.h)) → \(num(b.w))×\(num(b.h)) px")
      }
      if let r = change.reshaped { parts.append("reshaped (\(change.shapeKind == "keypoints" ? "OKS" : "IoU") \(num(r.iou)))") }
      if let r = change.relabeled { parts.append("relabeled \(r.from) → \(r.to)") }
      for a in change.attributes {
        switch (a.old, a.new) {
        case (nil, let n?): parts.append("attribute \(a.key) added \(n)")
        case (let o?, nil): parts.append("attribute \(a.key) removed (was \(o))")
        default: parts.append("attribute \(a.key) \(a.old.map(\.description) ?? "none") → \(a.new.map(\.description) ?? "none")")
        }
      }
      if let s = change.score { parts.append("score \(s.old.map(num) ?? "none") → \(s.new.map(num) ?? "none")") }
      for f in change.fields { parts.append("\(f.field) \(value(f.old)) → \(value(f.new))") }
      return parts.joined(separator: ", ")
    }
  }

  /// The schema changes, one phrase each (`class 3 "bus" added`).
  public static func schemaLines(_ s: SchemaDiff) -> [String] {
    var out: [String] = []
    if s.manifestAdded { out.append("annot.json added") }
    if s.manifestRemoved { out.append("annot.json removed") }
    for c in s.added { out.append("class \(c.id) \"\(c.name)\" added") }
    for c in s.removed { out.append("class \(c.id) \"\(c.name)\" removed") }
    for r in s.renamed { out.append("class \(r.id) renamed \(r.from) → \(r.to)") }
    for r in s.recolored { out.append("class \(r.id) \"\(r.name)\" recolored \(r.from ?? "none") → \(r.to ?? "none")") }
    for e in s.edited { out.append("class \(e.id) \"\(e.name)\" changed \(e.fields.joined(separator: ", "))") }
    if s.attributesChanged { out.append("dataset attribute definitions changed") }
    return out
  }

  /// A number rounded to 2 decimals, written canonically (`12`, `0.83`, `-3.5`).
  public static func num(_ d: Double) -> String {
    guard d.isFinite else { return "\(d)" }
    return CanonicalJSON.number((d * 100).rounded() / 100)
  }

  public static func signed(_ d: Double) -> String {
    let s = num(d)
    return s.hasPrefix("-") || s == "0" ? s : "+" + s
  }

  public static func boxText(_ b: Box) -> String { "[\(num(b.x)), \(num(b.y)), \(num(b.w)), \(num(b.h))]" }

  public static func value(_ v: JSONValue?) -> String { v.map { CanonicalJSON.string($0) } ?? "none" }

}
