import Foundation
import AnnotModel

/// Writes CVAT for images 1.1: `annotations.xml` plus `images/<path>`.
///
/// Determinism: no timestamps, no task ids; `<meta>` is written from the schema (classes in
/// id order, their attributes in schema order); XML attributes in a fixed order per element
/// (`label source occluded`, geometry, `rotation` when non-zero, `z_order`, `group_id` when
/// set); nested `<attribute>` elements sorted by name. Numbers use the canonical JSON
/// formatting (integers without a fraction, otherwise the shortest text that reads back
/// to the same double), so export → import is exact; CVAT itself writes `%.2f` and reads both.
///
/// Losses reported: keypoint visibility (written as `<points>`), multi-part polygons (one
/// `<polygon>` per part), crowd flags, scores, explicit bboxes of non-box shapes, image
/// attributes, empty masks.
public struct CVATExporter: DatasetExporter {
  public init() {}
  /// `"cvat"`.
  public var name: String { "cvat" }

  /// Writes `annotations.xml` and every image under `images/`.
  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    var report = ExportReport()
    var labels = "      <labels>\n"
    if !manifest.attributes.isEmpty { report.lose("dataset-wide attribute definitions written on every label", manifest.attributes.count) }
    for c in manifest.classes {
      labels += "        <label>\n          <name>\(XMLTree.escapeText(c.name))</name>\n"
      labels += "          <color>\(XMLTree.escapeText(c.color ?? DatasetManifest.defaultColor(for: c.name)))</color>\n"
      labels += "          <type>any</type>\n"
      let defs = c.attributes + manifest.attributes.filter { g in !c.attributes.contains { $0.name == g.name } }
      if defs.isEmpty {
        labels += "          <attributes>\n          </attributes>\n"
      } else {
        labels += "          <attributes>\n"
        for d in defs { labels += Self.definitionXML(d) }
        labels += "          </attributes>\n"
      }
      labels += "        </label>\n"
    }
    labels += "      </labels>\n"
    var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n  <version>1.1</version>\n"
    // With splits, CVAT's project layout: <meta><project> with one <task> per subset, and every
    // image's `subset` (images without a split are in "default"). Datumaro reads each subset of a
    // project file; a <task> file it reads as one subset named after the file, which would hide
    // every image whose subset differs.
    let hasSplits = items.contains { $0.document.image.split != nil }
    if hasSplits {
      var sizes: [String: Int] = [:]
      for item in items { sizes[item.document.image.split ?? "default", default: 0] += 1 }
      out += "  <meta>\n    <project>\n      <name>annot export</name>\n" + labels + "      <tasks>\n"
      for (k, split) in sizes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
        out += "        <task>\n          <id>\(k + 1)</id>\n          <name>\(XMLTree.escapeText(split))</name>\n"
        out += "          <size>\(sizes[split]!)</size>\n          <mode>annotation</mode>\n"
        out += "          <subset>\(XMLTree.escapeText(split))</subset>\n        </task>\n"
      }
      out += "      </tasks>\n    </project>\n  </meta>\n"
    } else {
      out += "  <meta>\n    <task>\n      <size>\(items.count)</size>\n      <mode>annotation</mode>\n" + labels + "    </task>\n  </meta>\n"
    }

    // Keep the source's image ids when they are unique non-negative integers, else number them.
    let sourceIDs = items.compactMap { $0.document.image.sourceID.flatMap { Int($0) } }.filter { $0 >= 0 }
    let keepIDs = sourceIDs.count == items.count && Set(sourceIDs).count == items.count
    for (index, item) in items.enumerated() {
      let img = item.document.image
      let id = keepIDs ? Int(img.sourceID!)! : index
      var imgAttrs = "id=\"\(id)\" name=\"\(XMLTree.escape(img.path))\""
      if hasSplits { imgAttrs += " subset=\"\(XMLTree.escape(img.split ?? "default"))\"" }
      imgAttrs += " width=\"\(img.width)\" height=\"\(img.height)\""
      if !img.attributes.isEmpty { report.lose("image attributes dropped", img.attributes.count) }
      let shapes = item.document.annotations.flatMap { Self.shapesXML($0, image: img, report: &report) }
      if shapes.isEmpty {
        out += "  <image \(imgAttrs)>\n  </image>\n"
      } else {
        out += "  <image \(imgAttrs)>\n" + shapes.joined() + "  </image>\n"
      }
    }
    out += "</annotations>\n"
    try sink.write("annotations.xml", Array(out.utf8))
    for item in items { try sink.writeImage("images/" + item.document.image.path, item: item) }
    report.filesWritten = 1 + items.count
    return report
  }

  static func n(_ d: Double) -> String { CanonicalJSON.number(d) }

  static func definitionXML(_ d: AttributeDefinition) -> String {
    let input: String, def: String, values: [String]
    switch d.kind {
    case .bool:
      input = "checkbox"
      if case .bool(let b)? = d.defaultValue { def = b ? "true" : "false" } else { def = "false" }
      values = [def]
    case .number:
      input = "number"; values = d.values
      if case .number(let v)? = d.defaultValue { def = n(v) } else { def = values.first ?? "0" }
    case .select:
      input = "select"; values = d.values
      if case .string(let s)? = d.defaultValue { def = s } else { def = values.first ?? "" }
    case .string:
      input = "text"
      if case .string(let s)? = d.defaultValue { def = s } else { def = "" }
      values = def.isEmpty ? [] : [def]
    }
    return "            <attribute>\n              <name>\(XMLTree.escapeText(d.name))</name>\n"
      + "              <mutable>False</mutable>\n              <input_type>\(input)</input_type>\n"
      + "              <default_value>\(XMLTree.escapeText(def))</default_value>\n"
      + "              <values>\(XMLTree.escapeText(values.joined(separator: "\n")))</values>\n            </attribute>\n"
  }

  static func pointsText(_ flat: [Double]) -> String {
    stride(from: 0, to: flat.count - 1, by: 2).map { "\(n(flat[$0])),\(n(flat[$0 + 1]))" }.joined(separator: ";")
  }

  /// The XML elements for one annotation (several for a multi-part polygon, none if dropped).
  static func shapesXML(_ a: Annotation, image: ImageRecord, report: inout ExportReport) -> [String] {
    var attrs = a.attributes
    var occluded = "0"
    if case .bool(let b)? = attrs["occluded"] { occluded = b ? "1" : "0"; attrs["occluded"] = nil }
    var source = "manual"
    if case .string(let s)? = attrs["source"] { source = s; attrs["source"] = nil }
    if a.crowd { report.lose("crowd flags dropped") }
    if a.score != nil { report.lose("scores dropped") }
    if a.bbox != nil, a.shape.kind != "box" { report.lose("explicit bboxes of non-box shapes dropped") }
    let head = "label=\"\(XMLTree.escape(a.label))\" source=\"\(XMLTree.escape(source))\" occluded=\"\(occluded)\""
    var tail = " z_order=\"\(a.zOrder ?? 0)\""
    if let g = a.group { tail += " group_id=\"\(g)\"" }
    let body = attrs.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { k -> String in
      let v: String
      switch attrs[k]! {
      case .bool(let b): v = b ? "true" : "false"
      case .number(let d): v = n(d)
      case .string(let s): v = s
      }
      return "      <attribute name=\"\(XMLTree.escape(k))\">\(XMLTree.escapeText(v))</attribute>\n"
    }.joined()
    func element(_ name: String, _ geometry: String) -> String {
      body.isEmpty ? "    <\(name) \(head) \(geometry)\(tail)>\n    </\(name)>\n"
        : "    <\(name) \(head) \(geometry)\(tail)>\n\(body)    </\(name)>\n"
    }
    switch a.shape {
    case .box(let b, let r):
      var g = "xtl=\"\(n(b.x))\" ytl=\"\(n(b.y))\" xbr=\"\(n(b.maxX))\" ybr=\"\(n(b.maxY))\""
      if r != 0 { g += " rotation=\"\(n(r))\"" }
      return [element("box", g)]
    case .polygon(let parts):
      if parts.count > 1 { report.lose("multi-part polygons written as one polygon per part") }
      return parts.map { element("polygon", "points=\"\(pointsText($0))\"") }
    case .polyline(let p): return [element("polyline", "points=\"\(pointsText(p))\"")]
    case .points(let p): return [element("points", "points=\"\(pointsText(p))\"")]
    case .keypoints(let k):
      report.lose("keypoint sets written as points (visibility dropped)")
      var flat: [Double] = []
      var i = 0
      while i + 2 < k.count { if k[i + 2] > 0 { flat += [k[i], k[i + 1]] }; i += 3 }
      return flat.isEmpty ? [] : [element("points", "points=\"\(pointsText(flat))\"")]
    case .ellipse(let cx, let cy, let rx, let ry, let r):
      var g = "cx=\"\(n(cx))\" cy=\"\(n(cy))\" rx=\"\(n(rx))\" ry=\"\(n(ry))\""
      if r != 0 { g += " rotation=\"\(n(r))\"" }
      return [element("ellipse", g)]
    case .mask(let m):
      guard let bitmap = MaskBitmap(coco: m), let box = bitmap.tightBox else {
        report.lose("empty or malformed masks dropped"); return []
      }
      let runs = bitmap.rowMajorRuns(left: box.left, top: box.top, width: box.width, height: box.height)
      let g = "rle=\"\(runs.map(String.init).joined(separator: ", "))\" left=\"\(box.left)\" top=\"\(box.top)\" width=\"\(box.width)\" height=\"\(box.height)\""
      return [element("mask", g)]
    case .tag:
      // CVAT writes tags without geometry or z_order.
      let tagHead = "label=\"\(XMLTree.escape(a.label))\" source=\"\(XMLTree.escape(source))\""
      let g = a.group.map { " group_id=\"\($0)\"" } ?? ""
      return [body.isEmpty ? "    <tag \(tagHead)\(g)>\n    </tag>\n" : "    <tag \(tagHead)\(g)>\n\(body)    </tag>\n"]
    }
  }
}
