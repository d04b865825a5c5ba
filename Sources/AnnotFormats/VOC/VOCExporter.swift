import Foundation
import AnnotModel
import AnnotMedia

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
/// Every instance is an `<object>` with its box: polygons, ellipses and masks without a box in
/// their group get an object of their own (their bounding box) and are rasterised into
/// `SegmentationObject/<id>.png` (palette = VOC colormap; index = the object's 1-based order; a
/// mask grouped with a box object uses that object's index) and `SegmentationClass/<id>.png`
/// (index = class order in the labelmap, palette = labelmap colours), both 8-bit palette PNGs with
/// no time chunk; `ImageSets/Segmentation/<split>.txt` lists the images that have them.
///
/// Losses reported: polylines, points, keypoints and tags (no VOC form), polygon vertices (the
/// pixels are kept), attributes of masks that belong to a box object, overlaps between masks
/// (the later instance keeps shared pixels), instances beyond index 254, rotations (written as
/// the axis-aligned box around the rotated box), scores, z-orders, crowd flags, part attributes,
/// image attributes.
public struct VOCExporter: DatasetExporter {
  public init() {}
  /// `"voc"`.
  public var name: String { "voc" }

  /// Writes one XML per image, the split lists, the labelmap and the images.
  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    var report = ExportReport()
    var masked = 0
    var splits: [String: [String]] = [:]
    var segSplits: [String: [String]] = [:]
    var partsOf: [String: Set<String>] = [:]
    // A class's boolean attributes are its VOC actions (labelmap's 4th column, <actions>).
    var actionsOf: [String: [String]] = [:]
    for c in manifest.classes { actionsOf[c.name] = c.attributes.filter { $0.kind == .bool }.map(\.name) }
    for item in items {
      let img = item.document.image
      let id = Self.itemID(img.path)
      splits[img.split ?? "default", default: []].append(id)
      if !img.attributes.isEmpty { report.lose("image attributes dropped", img.attributes.count) }
      var objectGroups: [Int?] = []
      var shapeIndex: [String: Int] = [:]
      let xml = Self.annotationXML(item.document, actionsOf: actionsOf, report: &report, partsOf: &partsOf,
                                   objectGroups: &objectGroups, shapeIndex: &shapeIndex)
      try sink.write("Annotations/\(id).xml", Array(xml.utf8))
      if try Self.writeMasks(item.document, id: id, objectGroups: objectGroups, shapeIndex: shapeIndex, manifest: manifest,
                             sink: sink, report: &report) {
        masked += 1
        segSplits[img.split ?? "default", default: []].append(id)
      }
      try sink.writeImage("JPEGImages/\(img.path)", item: item)
    }
    for split in splits.keys.sorted() {
      let lines = splits[split]!.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { $0 + "\n" }.joined()
      try sink.write("ImageSets/Main/\(split).txt", Array(lines.utf8))
    }
    // ImageSets/Segmentation lists the images that have segmentation PNGs, per split.
    for split in segSplits.keys.sorted() {
      let lines = segSplits[split]!.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { $0 + "\n" }.joined()
      try sink.write("ImageSets/Segmentation/\(split).txt", Array(lines.utf8))
    }
    var labelmap = "# label:color_rgb:parts:actions\nbackground:0,0,0::\n"
    for c in manifest.classes {
      let parts = (partsOf[c.name] ?? []).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.joined(separator: ",")
      let actions = (actionsOf[c.name] ?? []).joined(separator: ",")
      labelmap += "\(c.name):\(Self.rgb(c.color ?? DatasetManifest.defaultColor(for: c.name))):\(parts):\(actions)\n"
    }
    try sink.write("labelmap.txt", Array(labelmap.utf8))
    report.filesWritten = 2 * items.count + 2 * masked + splits.count + segSplits.count + 1
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

  /// Writes `SegmentationObject/<id>.png` and `SegmentationClass/<id>.png` when the document has
  /// area shapes (masks, polygons, ellipses); false when it has none. Instance index = the
  /// 1-based order of the shape's own `<object>` (`shapeIndex`), else of the written box object of
  /// its group (first shape of a group only), else after all objects.
  static func writeMasks(_ doc: LabelDocument, id: String, objectGroups: [Int?], shapeIndex: [String: Int], manifest: DatasetManifest,
                         sink: any ExportSink, report: inout ExportReport) throws -> Bool {
    let img = doc.image
    // Shapes are kept as they are and rasterised one at a time while painting (memory: two
    // index planes plus one bitmap, however many instances).
    var shapes: [Annotation] = []
    for a in doc.annotations where isAreaShape(a.shape) {
      if case .mask(let m) = a.shape {
        guard m.width == img.width, m.height == img.height, let runs = RLE.runs(m), runs.allSatisfy({ $0 >= 0 }),
              runs.reduce(0, +) == m.width * m.height else {
          report.lose("masks not covering the image exactly dropped"); continue
        }
      }
      if shapeIndex[a.id] == nil {   // a shape of a box object: only its pixels are written
        if !a.attributes.isEmpty { report.lose("mask attributes dropped", a.attributes.count) }
        if a.score != nil { report.lose("scores dropped") }
        if a.zOrder != nil { report.lose("z-orders dropped") }
        if a.crowd { report.lose("crowd flags dropped") }
      }
      switch a.shape {
      case .polygon: report.lose("polygons rasterised into segmentation masks (vertices not kept)")
      case .ellipse: report.lose("ellipses rasterised into segmentation masks")
      case .mask: if a.bbox != nil { report.lose("explicit mask bboxes dropped") }
      default: break
      }
      shapes.append(a)
    }
    guard !shapes.isEmpty else { return false }
    var classIndex: [String: Int] = [:]
    for (k, c) in manifest.classes.enumerated() where classIndex[c.name] == nil { classIndex[c.name] = k + 1 }
    var taken = Set<Int>()
    var next = objectGroups.count + 1
    var placed: [(index: Int, classIndex: Int, shape: Shape)] = []
    for a in shapes {
      var index: Int
      if let i = shapeIndex[a.id] {
        index = i
      } else if let g = a.group, let i = objectGroups.firstIndex(of: g), !taken.contains(i + 1) {
        index = i + 1
      } else {
        if a.group != nil { report.lose("mask groups without a box of their own dropped") }
        index = next; next += 1
      }
      guard let k = classIndex[a.label] else { report.lose("masks of classes missing from the schema dropped"); continue }
      guard index < 255, k < 255 else { report.lose("masks beyond index 254 dropped"); continue }
      taken.insert(index)
      placed.append((index, k, a.shape))
    }
    placed.sort { $0.index < $1.index }
    let colors = manifest.classes.map { c -> PNGColor in
      let v = rgb(c.color ?? DatasetManifest.defaultColor(for: c.name)).split(separator: ",").map { UInt8($0)! }
      return PNGColor(v[0], v[1], v[2])
    }
    let (o, c, overlap) = try VOCMasks.encode(width: img.width, height: img.height, instances: placed, classColors: colors, id: id)
    if overlap { report.lose("images with overlapping masks (shared pixels go to the later instance)") }
    try sink.write("SegmentationObject/\(id).png", o)
    try sink.write("SegmentationClass/\(id).png", c)
    return true
  }

  /// Shapes that cover pixels and so go to the segmentation PNGs.
  static func isAreaShape(_ s: Shape) -> Bool {
    switch s { case .mask, .polygon, .ellipse: true; default: false }
  }

  /// `b` clipped to the image; nil when nothing is left.
  static func clip(_ b: Box, _ img: ImageRecord) -> Box? {
    let x0 = max(0, b.x), y0 = max(0, b.y), x1 = min(Double(img.width), b.maxX), y1 = min(Double(img.height), b.maxY)
    return x1 > x0 && y1 > y0 ? Box(x: x0, y: y0, w: x1 - x0, h: y1 - y0) : nil
  }

  /// The XML of one image. Objects: box objects of groups first (in group order, the importer
  /// numbers groups by rank), then ungrouped boxes, then one object per area shape (polygon,
  /// ellipse, mask) that has no box in its group, with the shape's bounding box; `shapeIndex`
  /// gets each such shape's 1-based object order (its instance index in SegmentationObject).
  static func annotationXML(_ doc: LabelDocument, actionsOf: [String: [String]], report: inout ExportReport, partsOf: inout [String: Set<String>],
                            objectGroups: inout [Int?], shapeIndex: inout [String: Int]) -> String {
    let img = doc.image
    var boxes: [(Annotation, Box)] = []
    var shapeObjects: [(Annotation, Box)] = []
    let boxGroups = Set(doc.annotations.compactMap { a -> Int? in if case .box = a.shape { return a.group } else { return nil } })
    for a in doc.annotations {
      if isAreaShape(a.shape) {
        if let g = a.group, boxGroups.contains(g) { continue }   // the pixels of a box object, written by writeMasks
        guard let b = a.boundingBox.flatMap({ clip($0, img) }) else { report.lose("empty \(a.shape.kind) annotations dropped"); continue }
        if a.group != nil { report.lose("group ids of shapes without a box dropped") }
        shapeObjects.append((a, b))
        continue
      }
      guard case .box(let b, let r) = a.shape else { report.lose("\(a.shape.kind) annotations dropped (VOC holds boxes and areas)"); continue }
      if r != 0 { report.lose("rotated boxes written as their axis-aligned box") }
      boxes.append((a, axisAligned(b, rotation: r)))
    }
    // Group → index of its object (largest box; ties keep the first by id, i.e. document order).
    var objectOfGroup: [Int: Int] = [:]
    for (i, (a, b)) in boxes.enumerated() {
      guard let g = a.group else { continue }
      if let j = objectOfGroup[g] { if b.area > boxes[j].1.area { objectOfGroup[g] = i } } else { objectOfGroup[g] = i }
    }
    let maskGroups = Set(doc.annotations.compactMap { a -> Int? in isAreaShape(a.shape) ? a.group : nil })
    var out = "<annotation>\n  <filename>\(XMLTree.escapeText(img.path))</filename>\n"
    out += "  <size>\n    <width>\(img.width)</width>\n    <height>\(img.height)</height>\n    <depth>3</depth>\n  </size>\n"
    out += "  <segmented>\(doc.annotations.contains { isAreaShape($0.shape) } ? 1 : 0)</segmented>\n"
    let grouped = objectOfGroup.keys.sorted().map { objectOfGroup[$0]! }
    for g in objectOfGroup.keys where boxes.filter({ $0.0.group == g }).count == 1 && !maskGroups.contains(g) {
      report.lose("groups of a single box dropped")
    }
    let order = grouped + boxes.indices.filter { boxes[$0].0.group == nil }
    objectGroups = order.map { boxes[$0].0.group } + shapeObjects.map { _ in nil }
    for i in order {
      let (a, b) = boxes[i]
      var parts: [(Annotation, Box)] = []
      if let g = a.group { for (j, p) in boxes.enumerated() where j != i && p.0.group == g { parts.append(p) } }
      out += objectXML(a, box: b, parts: parts, actionsOf: actionsOf, report: &report, partsOf: &partsOf)
    }
    for (k, (a, b)) in shapeObjects.enumerated() {
      shapeIndex[a.id] = order.count + k + 1
      out += objectXML(a, box: b, parts: [], actionsOf: actionsOf, report: &report, partsOf: &partsOf)
    }
    out += "</annotation>\n"
    return out
  }

  /// One `<object>`: name, pose, flags, box, parts, actions, other attributes.
  static func objectXML(_ a: Annotation, box b: Box, parts: [(Annotation, Box)], actionsOf: [String: [String]],
                        report: inout ExportReport, partsOf: inout [String: Set<String>]) -> String {
    if a.score != nil { report.lose("scores dropped") }
    if a.zOrder != nil { report.lose("z-orders dropped") }
    if a.crowd { report.lose("crowd flags dropped") }
    var attrs = a.attributes
    let pose: String
    if case .string(let p)? = attrs["pose"] { pose = p; attrs["pose"] = nil } else { pose = "Unspecified" }
    var out = "  <object>\n    <name>\(XMLTree.escapeText(a.label))</name>\n    <pose>\(XMLTree.escapeText(pose))</pose>\n"
    for f in ["truncated", "difficult", "occluded"] {
      if case .bool(let v)? = attrs[f] { attrs[f] = nil; out += "    <\(f)>\(v ? 1 : 0)</\(f)>\n" }
      else if f != "occluded" { out += "    <\(f)>0</\(f)>\n" }
    }
    out += bndbox(b, indent: "    ")
    for (p, pb) in parts {
      if !p.attributes.isEmpty { report.lose("part attributes dropped", p.attributes.count) }
      partsOf[a.label, default: []].insert(p.label)
      out += "    <part>\n      <name>\(XMLTree.escapeText(p.label))</name>\n" + bndbox(pb, indent: "      ") + "    </part>\n"
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
    return out
  }
}
