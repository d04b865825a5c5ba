import Foundation
import AnnotModel

/// Writes COCO: `annotations/instances_<split>.json` per split (`default` for images without
/// one) and each image at `images/<split>/<path>`, where `file_name` is the dataset path.
///
/// Byte-reproducible: keys sorted, numbers in the canonical form, one image/annotation/category
/// per line, ids chosen by fixed rules (see Docs/FORMATS.md). Options (`extra`):
/// `first-id` = `0` or `1` renumbers categories consecutively from that id, in class-id order.
public struct COCOExporter: DatasetExporter {
  public init() {}
  public var name: String { "coco" }

  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    var report = ExportReport()
    let items = items.sorted { $0.document.image.path.utf8.lexicographicallyPrecedes($1.document.image.path.utf8) }

    // Category ids: the class ids, or consecutive from `first-id`.
    var categoryID: [String: Int] = [:]
    let classes = manifest.classes.sorted { $0.id < $1.id }
    if let first = options.extra["first-id"] {
      guard let base = Int(first), base == 0 || base == 1 else {
        throw FormatError.invalid(file: "export options", place: "first-id", message: "expected 0 or 1, found \"\(first)\"")
      }
      for (k, c) in classes.enumerated() { categoryID[c.name] = base + k }
    } else {
      for c in classes { categoryID[c.name] = c.id }
    }

    // Image ids: the source ids when all are unique non-negative integers, else 1...n in path order.
    let sourceImageIDs = items.compactMap { $0.document.image.sourceID.flatMap { Int($0) } }.filter { $0 >= 0 }
    let keepImageIDs = sourceImageIDs.count == items.count && Set(sourceImageIDs).count == items.count
    let imageIDs = keepImageIDs ? sourceImageIDs : (0..<items.count).map { $0 + 1 }

    // Records per image first, so annotation ids can be decided over the whole export.
    struct Record { var sourceID: String?; var fields: [String: JSONValue] }
    var perImage: [[Record]] = []
    for item in items {
      let doc = item.document
      var records: [Record] = []
      // A keypoints annotation and a polygon/mask sharing a source id were one COCO annotation.
      var partner: [String: Annotation] = [:]
      var consumed = Set<String>()
      let bySource = Dictionary(grouping: doc.annotations.filter { $0.sourceID != nil }, by: { $0.sourceID! })
      for (_, group) in bySource where group.count == 2 {
        let kp = group.first { $0.shape.kind == "keypoints" }, seg = group.first { $0.shape.kind == "polygon" || $0.shape.kind == "mask" }
        if let kp, let seg, kp.label == seg.label { partner[seg.id] = kp; consumed.insert(kp.id) }
      }
      for a in doc.annotations where !consumed.contains(a.id) {
        guard let cat = categoryID[a.label] else {
          throw FormatError.invalid(file: "annotations/instances_\(doc.image.split ?? "default").json", place: "\(doc.image.path): annotation \(a.id)",
                                    message: "label \"\(a.label)\" is not a class of the schema")
        }
        if let f = try fields(a, keypoints: partner[a.id], category: cat, report: &report) {
          records.append(Record(sourceID: a.sourceID, fields: f))
        }
      }
      if !doc.image.attributes.isEmpty { report.lose("image attribute sets dropped") }
      perImage.append(records)
    }
    let allSource = perImage.flatMap { $0 }.compactMap { $0.sourceID.flatMap { Int($0) } }.filter { $0 >= 0 }
    let total = perImage.reduce(0) { $0 + $1.count }
    let keepAnnIDs = allSource.count == total && Set(allSource).count == total

    // One file per split.
    var splits: [String: (images: [JSONValue], annotations: [JSONValue])] = [:]
    var next = 1
    for (k, item) in items.enumerated() {
      let doc = item.document
      let split = doc.image.split ?? "default"
      if let why = DatasetPath.validate(split) ?? (split.contains("/") ? "contains '/'" : nil) {
        throw FormatError.invalid(file: "annotations", place: doc.image.path, message: "split name \"\(split)\" cannot name a file: \(why)")
      }
      // Appended in place: copying the split's arrays out and back would make this quadratic.
      splits[split, default: ([], [])].images.append(.object([
        "id": .number(Double(imageIDs[k])), "file_name": .string(doc.image.path),
        "width": .number(Double(doc.image.width)), "height": .number(Double(doc.image.height)),
      ]))
      for var r in perImage[k] {
        let id = keepAnnIDs ? Int(r.sourceID!)! : next
        next += 1
        r.fields["id"] = .number(Double(id))
        r.fields["image_id"] = .number(Double(imageIDs[k]))
        splits[split, default: ([], [])].annotations.append(.object(r.fields))
      }
      try sink.writeImage("images/\(split)/\(doc.image.path)", item: item)
      report.filesWritten += 1
    }
    if splits.isEmpty { splits["default"] = ([], []) }

    let categories: [JSONValue] = classes.map { c in
      var o: [String: JSONValue] = ["id": .number(Double(categoryID[c.name]!)), "name": .string(c.name)]
      if let s = c.supercategory { o["supercategory"] = .string(s) }
      if !c.keypoints.isEmpty { o["keypoints"] = .array(c.keypoints.map { .string($0) }) }
      if !c.skeleton.isEmpty { o["skeleton"] = .array(c.skeleton.map { .array($0.map { .number(Double($0)) }) }) }
      return .object(o)
    }
    for split in splits.keys.sorted() {
      let e = splits[split]!
      let json: JSONValue = .object([
        "info": .object(["description": .string("exported by annot")]),
        "licenses": .array([]),
        "categories": .array(categories),
        "images": .array(e.images),
        "annotations": .array(e.annotations),
      ])
      try sink.write("annotations/instances_\(split).json", CanonicalJSON.writeDocumentLayout(json))
      report.filesWritten += 1
    }
    return report
  }

  /// The area written when the document holds none: box w×h, polygon shoelace sum, mask pixel
  /// count, keypoints their bounding box's area.
  static func derivedArea(_ a: Annotation) -> Double {
    if case .keypoints = a.shape { return a.boundingBox?.area ?? 0 }
    return a.derivedArea
  }

  /// The COCO fields of one annotation (without id/image_id); nil if COCO cannot hold it.
  func fields(_ a: Annotation, keypoints kp: Annotation?, category: Int, report: inout ExportReport) throws -> [String: JSONValue]? {
    func nums(_ v: [Double]) -> JSONValue { .array(v.map { .number($0) }) }
    var o: [String: JSONValue] = ["category_id": .number(Double(category)), "iscrowd": .number(a.crowd ? 1 : 0)]
    var attributes = a.attributes
    var box: Box?
    let area = a.sourceArea ?? Self.derivedArea(a)
    switch a.shape {
    case .box(let b, let rotation):
      box = b
      o["segmentation"] = .array([])
      // CVAT's convention: a rotated box keeps its unrotated bbox and the angle as an attribute.
      if rotation != 0 { attributes["rotation"] = .number(rotation) }
    case .polygon(let parts):
      o["segmentation"] = .array(parts.map(nums))
      box = a.boundingBox
    case .mask(let m):
      let counts: JSONValue = switch m.counts {
      case .compressed(let s): .string(s)
      case .runs(let r): .array(r.map { .number(Double($0)) })
      }
      o["segmentation"] = .object(["size": nums([Double(m.height), Double(m.width)]), "counts": counts])
      box = a.boundingBox
    case .keypoints:
      o["segmentation"] = .array([])
      box = a.boundingBox
    case .ellipse(let cx, let cy, let rx, let ry, let rotation):
      o["segmentation"] = .array([nums(ShapeMath.ellipsePolygon(cx: cx, cy: cy, rx: rx, ry: ry, rotation: rotation))])
      box = a.boundingBox
      report.lose("ellipses written as 32-point polygons")
    case .polyline: report.lose("polylines dropped"); return nil
    case .points: report.lose("point sets dropped"); return nil
    case .tag: report.lose("tags dropped"); return nil
    }
    if let kp, case .keypoints(let k) = kp.shape {
      o["keypoints"] = nums(k)
    } else if case .keypoints(let k) = a.shape {
      o["keypoints"] = nums(k)
    }
    if case .array(let k)? = o["keypoints"] {
      var visible = 0, i = 2
      while i < k.count { if (k[i].doubleValue ?? 0) > 0 { visible += 1 }; i += 3 }
      o["num_keypoints"] = .number(Double(visible))
    }
    let b = box ?? Box(x: 0, y: 0, w: 0, h: 0)
    o["bbox"] = nums(b.array)
    o["area"] = .number(area)
    if !attributes.isEmpty { o["attributes"] = .object(attributes.mapValues(\.json)) }
    if let s = a.score { o["score"] = .number(s) }
    if a.group != nil { report.lose("group ids dropped") }
    if a.zOrder != nil { report.lose("z-orders dropped") }
    return o
  }
}
