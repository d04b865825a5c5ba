import Foundation
import AnnotModel

/// Writes Pascal VOC detection layout: `Annotations/<id>.xml`, `JPEGImages/<path>`,
/// `ImageSets/Main/<split>.txt` (images without a split go to `default.txt`) and
/// `labelmap.txt` (Datumaro's `name:r,g,b:parts:actions`, with `background` first).
///
/// `<id>` is the image path without its extension; `<filename>` is the full image path, so
/// paths with folders read back unchanged. Boxes are written with Datumaro's convention
/// (`xmin = x, xmax = x + w`), numbers in canonical JSON form. Within one `group`, the
/// largest box (ties: first by id) is the object and the other boxes become its `<part>`s;
/// grouped objects are written first, by group number, then the other boxes by id.
/// `pose`, `truncated`, `difficult` are always written (defaults `Unspecified`, 0, 0),
/// `occluded` when the annotation has it; boolean attributes that the class defines go to
/// `<actions>` (and the labelmap's actions column); other attributes go to `<attributes>`.
///
/// Losses reported: non-box shapes (VOC masks need the CPNG target; polygons etc. have no
/// VOC form), rotations (written as the axis-aligned box around the rotated box), scores,
/// z-orders, crowd flags, part attributes, image attributes.
public struct VOCExporter: DatasetExporter {
  public init() {}
  /// `"voc"`.
  public var name: String { "voc" }

  /// Writes one XML per image, the split lists, the labelmap and the images.
  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    var report = ExportReport()
    var splits: [String: [String]] = [:]
    var partsOf: [String: Set<String>] = [:]
    // A class's boolean attributes are its VOC actions (labelmap's 4th column, <actions>).
    var actionsOf: [String: [String]] = [:]
    for c in manifest.classes { actionsOf[c.name] = c.attributes.filter { $0.kind == .bool }.map(\.name) }
    for item in items {
      let img = item.document.image
      let id = Self.itemID(img.path)
      splits[img.split ?? "default", default: []].append(id)
      if !img.attributes.isEmpty { report.lose("image attributes dropped", img.attributes.count) }
      let xml = Self.annotationXML(item.document, actionsOf: actionsOf, report: &report, partsOf: &partsOf)
      try sink.write("Annotations/\(id).xml", Array(xml.utf8))
      try sink.writeImage("JPEGImages/\(img.path)", item: item)
    }
    for split in splits.keys.sorted() {
      let lines = splits[split]!.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { $0 + "\n" }.joined()
      try sink.write("ImageSets/Main/\(split).txt", Array(lines.utf8))
    }
    var labelmap = "# label:color_rgb:parts:actions\nbackground:0,0,0::\n"
    for c in manifest.classes {
      let parts = (partsOf[c.name] ?? []).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: ",")
      let actions = (actionsOf[c.name] ?? []).joined(separator: ",")
      labelmap += "\(c.name):\(Self.rgb(c.color ?? DatasetManifest.defaultColor(for: c.name))):\(parts):\(actions)\n"
    }
    try sink.write("labelmap.txt", Array(labelmap.utf8))
    report.filesWritten = 2 * items.count + splits.count + 1
    return report
  }

  /// `train/0001.jpg` → `train/0001`.
  static func itemID(_ path: String) -> String {
    let ext = (path as NSString).pathExtension
    return ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
  }

  /// `#rrggbb` → `r,g,b`; unparsable colours become `0,0,0`.
  static func rgb(_ hex: String) -> String {
    let h = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
    guard h.count == 6, let v = Int(h, radix: 16) else { return "0,0,0" }
    return "\(v >> 16 & 255),\(v >> 8 & 255),\(v & 255)"
  }

  static func n(_ d: Double) -> String { CanonicalJSON.number(d) }

  /// The axis-aligned box of a possibly rotated box (rotation about the centre, clockwise).
  static func axisAligned(_ b: Box, rotation: Double) -> Box {
    guard rotation != 0 else { return b }
    let t = rotation * Double.pi / 180, c = abs(cos(t)), s = abs(sin(t))
    let w = b.w * c + b.h * s, h = b.w * s + b.h * c
    let cx = b.x + b.w / 2, cy = b.y + b.h / 2
    return Box(x: cx - w / 2, y: cy - h / 2, w: w, h: h)
  }

  static func bndbox(_ b: Box, indent: String) -> String {
    "\(indent)<bndbox>\n\(indent)  <xmin>\(n(b.x))</xmin>\n\(indent)  <ymin>\(n(b.y))</ymin>\n"
      + "\(indent)  <xmax>\(n(b.maxX))</xmax>\n\(indent)  <ymax>\(n(b.maxY))</ymax>\n\(indent)</bndbox>\n"
  }

  static func annotationXML(_ doc: LabelDocument, actionsOf: [String: [String]], report: inout ExportReport, partsOf: inout [String: Set<String>]) -> String {
    let img = doc.image
    var boxes: [(Annotation, Box)] = []
    for a in doc.annotations {
      guard case .box(let b, let r) = a.shape else { report.lose("\(a.shape.kind) annotations dropped (VOC holds boxes)"); continue }
      if r != 0 { report.lose("rotated boxes written as their axis-aligned box") }
      if a.score != nil { report.lose("scores dropped") }
      if a.zOrder != nil { report.lose("z-orders dropped") }
      if a.crowd { report.lose("crowd flags dropped") }
      boxes.append((a, axisAligned(b, rotation: r)))
    }
    // Group → index of its object (largest box; ties keep the first by id, i.e. document order).
    var objectOfGroup: [Int: Int] = [:]
    for (i, (a, b)) in boxes.enumerated() {
      guard let g = a.group else { continue }
      if let j = objectOfGroup[g] { if b.area > boxes[j].1.area { objectOfGroup[g] = i } } else { objectOfGroup[g] = i }
    }
    var out = "<annotation>\n  <filename>\(XMLTree.escapeText(img.path))</filename>\n"
    out += "  <size>\n    <width>\(img.width)</width>\n    <height>\(img.height)</height>\n    <depth>3</depth>\n  </size>\n"
    out += "  <segmented>0</segmented>\n"
    // Objects: grouped ones first in group order (the importer numbers groups by rank), then
    // ungrouped boxes in document order.
    let grouped = objectOfGroup.keys.sorted().map { objectOfGroup[$0]! }
    for g in objectOfGroup.keys where boxes.filter({ $0.0.group == g }).count == 1 { report.lose("groups of a single box dropped") }
    let order = grouped + boxes.indices.filter { boxes[$0].0.group == nil }
    for i in order {
      let (a, b) = boxes[i]
      var attrs = a.attributes
      let pose: String
      if case .string(let p)? = attrs["pose"] { pose = p; attrs["pose"] = nil } else { pose = "Unspecified" }
      out += "  <object>\n    <name>\(XMLTree.escapeText(a.label))</name>\n    <pose>\(XMLTree.escapeText(pose))</pose>\n"
      for f in ["truncated", "difficult", "occluded"] {
        if case .bool(let v)? = attrs[f] { attrs[f] = nil; out += "    <\(f)>\(v ? 1 : 0)</\(f)>\n" }
        else if f != "occluded" { out += "    <\(f)>0</\(f)>\n" }
      }
      out += bndbox(b, indent: "    ")
      if let g = a.group {
        for (j, (p, pb)) in boxes.enumerated() where j != i && p.group == g {
          if !p.attributes.isEmpty { report.lose("part attributes dropped", p.attributes.count) }
          partsOf[a.label, default: []].insert(p.label)
          out += "    <part>\n      <name>\(XMLTree.escapeText(p.label))</name>\n" + bndbox(pb, indent: "      ") + "    </part>\n"
        }
      }
      let actions = (actionsOf[a.label] ?? []).filter { if case .bool? = attrs[$0] { return true } else { return false } }
      if !actions.isEmpty {
        out += "    <actions>\n"
        for name in actions {
          if case .bool(let v)? = attrs[name] { out += "      <\(name)>\(v ? 1 : 0)</\(name)>\n" }
          attrs[name] = nil
        }
        out += "    </actions>\n"
      }
      if !attrs.isEmpty {
        out += "    <attributes>\n"
        for k in attrs.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
          let v: String
          switch attrs[k]! {
          case .bool(let x): v = x ? "true" : "false"
          case .number(let d): v = n(d)
          case .string(let s): v = s
          }
          out += "      <attribute>\n        <name>\(XMLTree.escapeText(k))</name>\n        <value>\(XMLTree.escapeText(v))</value>\n      </attribute>\n"
        }
        out += "    </attributes>\n"
      }
      out += "  </object>\n"
    }
    out += "</annotation>\n"
    return out
  }
}
