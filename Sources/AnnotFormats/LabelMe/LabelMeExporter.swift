import Foundation
import AnnotModel
import AnnotMedia

/// Writes LabelMe: each image at its dataset path and `<path without extension>.json` beside
/// it, with `imagePath` the image's file name and `imageData` null. Keys sorted, numbers in
/// the canonical form, one shape per line. Masks become `mask` shapes: the tight box as
/// inclusive corners and a base64 palette PNG (index 0/1) of that box.
public struct LabelMeExporter: DatasetExporter {
  /// The LabelMe version written into every file.
  public static let version = "5.2.1"

  public init() {}
  public var name: String { "labelme" }

  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    try export(manifest: manifest, stream: ExportStream(items), to: sink, options: options)
  }

  /// One image at a time (a JSON file beside each image).
  public func export(manifest: DatasetManifest, stream: ExportStream, to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    var report = ExportReport()
    var jsonOwners: [String: String] = [:]
    try stream.forEach { item in
      let doc = item.document
      let jsonPath = (doc.image.path as NSString).deletingPathExtension + ".json"
      if let other = jsonOwners[jsonPath] {
        throw FormatError.invalid(file: jsonPath, place: "", message: "images \(other) and \(doc.image.path) would share this file")
      }
      jsonOwners[jsonPath] = doc.image.path
      var flags: [String: JSONValue] = [:]
      for (k, v) in doc.image.attributes {
        if case .bool(let b) = v { flags[k] = .bool(b) } else { report.lose("non-boolean image attributes dropped") }
      }
      var shapes: [JSONValue] = []
      for a in doc.annotations {
        for s in shapesFor(a, flags: &flags, report: &report) { shapes.append(s) }
      }
      let json: JSONValue = .object([
        "version": .string(Self.version), "flags": .object(flags), "shapes": .array(shapes),
        "imagePath": .string((doc.image.path as NSString).lastPathComponent), "imageData": .null,
        "imageWidth": .number(Double(doc.image.width)), "imageHeight": .number(Double(doc.image.height)),
      ])
      try sink.writeImage(doc.image.path, item: item)
      try sink.write(jsonPath, CanonicalJSON.writeDocumentLayout(json))
      report.filesWritten += 2
    }
    return report
  }

  /// The LabelMe shapes of one annotation (several for multi-part polygons and point sets).
  func shapesFor(_ a: Annotation, flags imageFlags: inout [String: JSONValue], report: inout ExportReport) -> [JSONValue] {
    func pts(_ flat: [Double]) -> JSONValue {
      .array(stride(from: 0, to: flat.count - 1, by: 2).map { .array([.number(flat[$0]), .number(flat[$0 + 1])]) })
    }
    var shapeFlags: [String: JSONValue] = [:]
    var description = ""
    for (k, v) in a.attributes {
      switch v {
      case .bool(let b): shapeFlags[k] = .bool(b)
      case .string(let s) where k == "description": description = s
      default: report.lose("non-boolean attributes dropped")
      }
    }
    func shape(_ type: String, _ flat: [Double]) -> JSONValue {
      .object([
        "label": .string(a.label), "points": pts(flat), "shape_type": .string(type),
        "group_id": a.group.map { .number(Double($0)) } ?? .null,
        "description": .string(description), "flags": .object(shapeFlags),
      ])
    }
    if a.score != nil { report.lose("scores dropped") }
    if a.crowd { report.lose("crowd flags dropped") }
    switch a.shape {
    case .box(let b, let rotation):
      if rotation != 0 {
        report.lose("rotated boxes written as polygons")
        return [shape("polygon", ShapeMath.boxCorners(b, rotation: rotation))]
      }
      return [shape("rectangle", [b.x, b.y, b.maxX, b.maxY])]
    case .polygon(let parts):
      if parts.count > 1 { report.lose("multi-part polygons split into shapes") }
      return parts.map { shape("polygon", $0) }
    case .polyline(let p):
      return [shape(p.count == 4 ? "line" : "linestrip", p)]
    case .points(let p):
      if p.count > 2 { report.lose("point sets split into points") }
      return stride(from: 0, to: p.count - 1, by: 2).map { shape("point", [p[$0], p[$0 + 1]]) }
    case .ellipse(let cx, let cy, let rx, let ry, let rotation):
      if rx == ry { return [shape("circle", [cx, cy, cx + rx, cy])] }
      report.lose("ellipses written as 32-point polygons")
      return [shape("polygon", ShapeMath.ellipsePolygon(cx: cx, cy: cy, rx: rx, ry: ry, rotation: rotation))]
    case .mask(let m):
      // labelme's form: the tight box as inclusive corners and a 0/1 PNG of that box.
      guard let bm = MaskBitmap(coco: m), let box = bm.tightBox else {
        report.lose("empty or malformed masks dropped")
        return []
      }
      if a.bbox != nil { report.lose("explicit mask bboxes dropped") }
      var crop: [UInt8] = []
      crop.reserveCapacity(box.width * box.height)
      for y in box.top..<(box.top + box.height) {
        for x in box.left..<(box.left + box.width) { crop.append(bm.bits[y * bm.width + x]) }
      }
      guard let png = try? PNGCodec.encodePalette(width: box.width, height: box.height, indices: crop,
                                                   palette: [PNGColor(0, 0, 0), PNGColor(255, 255, 255)], name: "mask") else {
        report.lose("empty or malformed masks dropped")
        return []
      }
      guard case .object(var o) = shape("mask", [Double(box.left), Double(box.top),
                                                 Double(box.left + box.width - 1), Double(box.top + box.height - 1)]) else { return [] }
      o["mask"] = .string(Data(png).base64EncodedString())
      return [.object(o)]
    case .keypoints:
      report.lose("keypoint sets dropped")
      return []
    case .tag:
      report.lose("tags written as image flags")
      imageFlags[a.label] = .bool(true)
      return []
    }
  }
}
