import AnnotModel
import AnnotKit

extension DiffRendering {
  /// The JSON schema version written under `"version"`; bumped on any incompatible change.
  static let jsonVersion = 1

  /// The diff as canonical JSON bytes (sorted keys, one image per line), schema in Docs/DIFF.md.
  static func json(_ outcome: DatasetDiff.Outcome) -> [UInt8] {
    CanonicalJSON.writeDocumentLayout(jsonValue(outcome))
  }

  /// The diff as a JSON value: top-level `version`, `summary`, `by_class`, `images`, `schema`.
  static func jsonValue(_ outcome: DatasetDiff.Outcome) -> JSONValue {
    let s = outcome.summary
    var summary: [String: JSONValue] = [
      "images_added": int(s.imagesAdded), "images_removed": int(s.imagesRemoved),
      "images_modified": int(s.imagesModified), "images_replaced": int(s.imagesReplaced),
      "images_renamed": int(s.imagesRenamed),
    ]
    for (k, v) in countsJSON(s.annotations) {
      // Overall counts name the annotation side explicitly for added/removed.
      summary[k == "added" || k == "removed" ? "annotations_" + k : k] = v
    }
    return .object([
      "version": int(jsonVersion),
      "summary": .object(summary),
      "by_class": .object(s.byClass.mapValues { .object(countsJSON($0)) }),
      "images": .array(outcome.images.map(imageJSON)),
      "schema": outcome.schema.map(schemaJSON) ?? .null,
    ])
  }

  static func int(_ i: Int) -> JSONValue { .number(Double(i)) }
  static func opt(_ d: Double?) -> JSONValue { d.map { .number($0) } ?? .null }
  static func opt(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }

  static func countsJSON(_ c: ChangeCounts) -> [String: JSONValue] {
    Dictionary(uniqueKeysWithValues: ChangeKind.allCases.map { ($0.countKey, int(c[$0])) })
  }

  static func fieldJSON(_ f: FieldChange) -> JSONValue {
    .object(["field": .string(f.field), "old": f.old ?? .null, "new": f.new ?? .null])
  }

  static func imageJSON(_ image: ImageDiff) -> JSONValue {
    var o: [String: JSONValue] = [
      "path": .string(image.path), "status": .string(image.status.rawValue),
      "matched_by_geometry": .bool(image.labels.matchedByGeometry),
      "image_changes": .array(image.labels.imageChanges.map(fieldJSON)),
      "annotations": .array(image.labels.changes.map(annotationJSON)),
    ]
    if let p = image.oldPath { o["old_path"] = .string(p) }
    if let r = image.replaced { o["replaced"] = .object(["old_size": int(r.oldSize), "new_size": int(r.newSize)]) }
    return .object(o)
  }

  static func annotationJSON(_ c: AnnotationChange) -> JSONValue {
    var o: [String: JSONValue] = [
      "id": .string(c.id), "status": .string(c.status.rawValue), "kind": .string(c.shapeKind),
      "label": .string(c.className), "changes": .array(c.kinds.map { .string($0.rawValue) }),
      "old": c.old?.json ?? .null, "new": c.new?.json ?? .null,
    ]
    if let v = c.oldID { o["old_id"] = .string(v) }
    if let m = c.moved { o["moved"] = .object(["dx": .number(m.dx), "dy": .number(m.dy)]) }
    if let r = c.resized { o["resized"] = .object(["sx": opt(r.sx), "sy": opt(r.sy)]) }
    if let r = c.reshaped { o["reshaped"] = .object(["iou": .number(r.iou)]) }
    if let r = c.relabeled { o["relabeled"] = .object(["from": .string(r.from), "to": .string(r.to)]) }
    if !c.attributes.isEmpty {
      o["attributes"] = .array(c.attributes.map { .object(["key": .string($0.key), "old": $0.old?.json ?? .null, "new": $0.new?.json ?? .null]) })
    }
    if let s = c.score { o["score"] = .object(["old": opt(s.old), "new": opt(s.new)]) }
    if !c.fields.isEmpty { o["fields"] = .array(c.fields.map(fieldJSON)) }
    return .object(o)
  }

  static func schemaJSON(_ s: SchemaDiff) -> JSONValue {
    func ref(_ c: SchemaDiff.ClassRef) -> JSONValue { .object(["id": int(c.id), "name": .string(c.name)]) }
    return .object([
      "added": .array(s.added.map(ref)),
      "removed": .array(s.removed.map(ref)),
      "renamed": .array(s.renamed.map { .object(["id": int($0.id), "from": .string($0.from), "to": .string($0.to)]) }),
      "recolored": .array(s.recolored.map { .object(["id": int($0.id), "name": .string($0.name), "from": opt($0.from), "to": opt($0.to)]) }),
      "edited": .array(s.edited.map { .object(["id": int($0.id), "name": .string($0.name), "fields": .array($0.fields.map { .string($0) })]) }),
      "attributes_changed": .bool(s.attributesChanged),
      "manifest_added": .bool(s.manifestAdded),
      "manifest_removed": .bool(s.manifestRemoved),
    ])
  }
}
