import Foundation
import AnnotModel

/// Writes a Label Studio JSON export: `labelstudio.json` (a list of tasks) plus each image at
/// its dataset path beside it, referenced as `/data/local-files/?d=<path>` (serve the export
/// directory as Label Studio's local-files document root).
///
/// Determinism: tasks in item order, one task per line, keys sorted (canonical JSON); task ids
/// are the images' source ids when they are unique integers, else 1, 2, …; one annotation per
/// task with id 1. Region ids are the annotation's `sourceID`, else its annot id.
/// Percent coordinates are `px × 100 / size`, written as the shortest double that reads back
/// exactly; the importer rounds pixels to 1/10000 px, so export → import returns the same
/// pixel values for coordinates with at most 4 decimals.
///
/// Attributes: strings → per-region `choices`, numbers → `number`, booleans → `choices`
/// `"true"`/`"false"` (reported). Image attributes: strings → `textarea`, numbers → `number`.
/// Tags → `choices` results. Losses reported: polylines, multi-point point sets, keypoint sets,
/// extra polygon parts, groups, z-orders, crowd flags, explicit bboxes of non-box shapes.
public struct LabelStudioExporter: DatasetExporter {
  public init() {}
  /// `"labelstudio"`.
  public var name: String { "labelstudio" }

  /// Writes `labelstudio.json` and the images.
  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    var report = ExportReport()
    let sourceIDs = items.compactMap { $0.document.image.sourceID.flatMap { Int($0) } }
    let keepIDs = sourceIDs.count == items.count && Set(sourceIDs).count == items.count
    var lines: [String] = []
    for (index, item) in items.enumerated() {
      let img = item.document.image
      var results: [JSONValue] = []
      for a in item.document.annotations { results += Self.results(a, image: img, report: &report) }
      for k in img.attributes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
        let value: JSONValue, type: String
        switch img.attributes[k]! {
        case .string(let s): type = "textarea"; value = .object(["text": .array([.string(s)])])
        case .number(let d): type = "number"; value = .object(["number": .number(d)])
        case .bool(let b):
          report.lose("boolean image attributes written as text")
          type = "textarea"; value = .object(["text": .array([.string(b ? "true" : "false")])])
        }
        results.append(.object(["id": .string("image-\(k)"), "type": .string(type), "from_name": .string(k),
                                "to_name": .string("image"), "value": value]))
      }
      let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+=#?"))
      let d = img.path.addingPercentEncoding(withAllowedCharacters: allowed) ?? img.path
      let task: JSONValue = .object([
        "id": .number(Double(keepIDs ? Int(img.sourceID!)! : index + 1)),
        "data": .object(["image": .string("/data/local-files/?d=" + d)]),
        "annotations": .array([.object(["id": .number(1), "result": .array(results)])]),
      ])
      lines.append(CanonicalJSON.string(task))
    }
    let text = lines.isEmpty ? "[]\n" : "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    try sink.write("labelstudio.json", Array(text.utf8))
    for item in items { try sink.writeImage(item.document.image.path, item: item) }
    report.filesWritten = 1 + items.count
    return report
  }

  /// Pixels → percent of `size`.
  static func pct(_ px: Double, _ size: Int) -> Double { px * 100 / Double(size) }

  /// The result objects for one annotation: its region plus one per attribute, or none.
  static func results(_ a: Annotation, image: ImageRecord, report: inout ExportReport) -> [JSONValue] {
    let W = image.width, H = image.height
    let rid = a.sourceID ?? a.id
    func result(_ type: String, _ value: [String: JSONValue], fromName: String = "label", id: String? = nil) -> JSONValue {
      var o: [String: JSONValue] = ["id": .string(id ?? rid), "type": .string(type), "from_name": .string(fromName),
                                    "to_name": .string("image"), "value": .object(value)]
      if type.hasSuffix("labels") {
        o["original_width"] = .number(Double(W)); o["original_height"] = .number(Double(H)); o["image_rotation"] = .number(0)
        if let s = a.score { o["score"] = .number(s) }
      }
      return .object(o)
    }
    if a.group != nil { report.lose("groups dropped") }
    if a.zOrder != nil { report.lose("z-orders dropped") }
    if a.crowd { report.lose("crowd flags dropped") }
    if a.bbox != nil, a.shape.kind != "box" { report.lose("explicit bboxes of non-box shapes dropped") }
    let label: JSONValue = .array([.string(a.label)])
    let region: JSONValue
    switch a.shape {
    case .box(let b, let rot):
      var x = b.x, y = b.y
      if rot != 0 {
        // annot rotates about the centre; Label Studio about the top-left corner.
        let t = rot * Double.pi / 180, cx = b.x + b.w / 2, cy = b.y + b.h / 2
        x = cx - (b.w / 2 * cos(t) - b.h / 2 * sin(t)); y = cy - (b.w / 2 * sin(t) + b.h / 2 * cos(t))
      }
      region = result("rectanglelabels", ["x": .number(pct(x, W)), "y": .number(pct(y, H)), "width": .number(pct(b.w, W)),
                                          "height": .number(pct(b.h, H)), "rotation": .number(rot), "rectanglelabels": label])
    case .polygon(let parts):
      guard let first = parts.first else { return [] }
      if parts.count > 1 { report.lose("extra polygon parts dropped", parts.count - 1) }
      let pts: [JSONValue] = stride(from: 0, to: first.count - 1, by: 2).map {
        .array([.number(pct(first[$0], W)), .number(pct(first[$0 + 1], H))])
      }
      region = result("polygonlabels", ["points": .array(pts), "closed": .bool(true), "polygonlabels": label])
    case .points(let p) where p.count == 2:
      region = result("keypointlabels", ["x": .number(pct(p[0], W)), "y": .number(pct(p[1], H)), "width": .number(0.5),
                                         "keypointlabels": label])
    case .ellipse(let cx, let cy, let rx, let ry, let rot):
      region = result("ellipselabels", ["x": .number(pct(cx, W)), "y": .number(pct(cy, H)), "radiusX": .number(pct(rx, W)),
                                        "radiusY": .number(pct(ry, H)), "rotation": .number(rot), "ellipselabels": label])
    case .mask(let m):
      guard let bitmap = MaskBitmap(coco: m), m.width == W, m.height == H else { report.lose("malformed masks dropped"); return [] }
      region = result("brushlabels", ["format": .string("rle"), "rle": .array(LabelStudioBrush.encode(bitmap).map { .number(Double($0)) }),
                                      "brushlabels": label])
    case .tag:
      return [result("choices", ["choices": label], fromName: "choice")]
    case .points:
      report.lose("point sets with several points dropped"); return []
    case .polyline:
      report.lose("polylines dropped"); return []
    case .keypoints:
      report.lose("keypoint sets dropped"); return []
    }
    var out = [region]
    for k in a.attributes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      switch a.attributes[k]! {
      case .string(let s): out.append(result("choices", ["choices": .array([.string(s)])], fromName: k))
      case .number(let d): out.append(result("number", ["number": .number(d)], fromName: k))
      case .bool(let b):
        report.lose("boolean attributes written as choices")
        out.append(result("choices", ["choices": .array([.string(b ? "true" : "false")])], fromName: k))
      }
    }
    return out
  }
}
