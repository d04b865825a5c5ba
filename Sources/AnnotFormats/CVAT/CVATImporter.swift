import Foundation
import AnnotModel

/// Reads CVAT for images 1.1 XML (`annotations.xml`).
///
/// Source: the XML file itself, or a directory holding `annotations.xml`. Images are looked
/// up under `--images`, else `images/` beside the XML (CVAT's export layout), else beside it.
///
/// Mapping: `<box>` → box (rotation about the centre, as CVAT), `<polygon>`, `<polyline>`,
/// `<points>`, `<ellipse>`, `<mask>` (CVAT's row-major RLE over the mask's box becomes a
/// full-image COCO mask), `<tag>` → tag. `occluded="1"` → attribute `occluded: true`;
/// `source` other than `manual` → attribute `source`; `z_order` ≠ 0 → zOrder; `group_id` ≠ 0
/// → group. Nested `<attribute>` values are typed by the label's spec (checkbox → bool,
/// number → number, others → string). CVAT shapes have no ids, so ids come from the content
/// and the count of identical earlier shapes in the image. `<track>` and `<skeleton>` are skipped with a warning.
public struct CVATImporter: DatasetImporter {
  public init() {}
  /// `"cvat"`.
  public var name: String { "cvat" }
  /// One line for `annot formats`.
  public var summary: String { "CVAT for images 1.1 XML: boxes, polygons, polylines, points, ellipses, masks, tags, attributes" }

  /// High for an XML file (or a directory's `annotations.xml`, or its per-subset `*.xml` files,
  /// Datumaro's layout) whose root is `<annotations>` with `<version>1.1</version>`; medium with
  /// a `<meta>` or `<image` children only (globox writes a bare `<annotations>`); none otherwise.
  public func detect(_ source: URL) -> DetectionConfidence {
    detectWhy(source).0
  }

  /// The confidence and, when none, why not (for `auto`'s report).
  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    let files = Self.xmlFiles(source)
    guard let file = files.first else { return (.none, "no annotations.xml and no top-level .xml file with an <annotations> root") }
    guard let head = Self.head(file) else { return (.none, "\(file.lastPathComponent) cannot be read") }
    guard head.contains("<annotations") else { return (.none, "\(file.lastPathComponent) has no <annotations> root") }
    if head.contains("<version>1.1</version>") { return (.high, "") }
    return head.contains("<meta>") || head.contains("<image") ? (.medium, "") : (.none, "\(file.lastPathComponent): <annotations> without <version>, <meta> or <image>")
  }

  /// The XML files of a source: the file itself; a directory's `annotations.xml`; else the
  /// directory's top-level `*.xml` files whose root is `<annotations>` (one per subset), sorted.
  static func xmlFiles(_ source: URL) -> [URL] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDir) else { return [] }
    guard isDir.boolValue else { return source.pathExtension.lowercased() == "xml" ? [source] : [] }
    let f = source.appendingPathComponent("annotations.xml")
    if FileManager.default.fileExists(atPath: f.path) { return [f] }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: source.path)) ?? []).filter { $0.lowercased().hasSuffix(".xml") }
    return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { source.appendingPathComponent($0) }
      .filter { FileAccess.isRegularFile($0) && (head($0)?.contains("<annotations") ?? false) }
  }

  static func xmlFile(_ source: URL) -> URL? { xmlFiles(source).first }

  static func head(_ file: URL) -> String? {
    guard let h = FileHandle(forReadingAtPath: file.path) else { return nil }
    defer { try? h.close() }
    guard let d = try? h.read(upToCount: 4096) else { return nil }
    return String(decoding: d, as: UTF8.self)
  }

  /// Reads the whole file (or every subset file); throws `FormatError.invalid` naming the XML
  /// file, the line and element. In a directory of per-subset files (`train.xml`, `val.xml`), the
  /// file name is the split of images without a `subset` attribute; `default` means no split.
  public func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset {
    let files = Self.xmlFiles(source)
    guard !files.isEmpty else {
      throw FormatError.invalid(file: source.path, place: "", message: "no CVAT annotations.xml (or per-subset .xml file) found")
    }
    var schema = DeclaredSchema(existing: options.existingSchema)
    var items: [Item] = []
    var warnings: [String] = []
    var seenPaths: [String: String] = [:]
    let perSubset = files.count > 1 || files[0].lastPathComponent != "annotations.xml"
    for xml in files {
      let stem = (xml.lastPathComponent as NSString).deletingPathExtension
      let fileSplit = perSubset && FileAccess.isDirectory(source) && stem != "default" ? stem : nil
      try readFile(xml, fileSplit: fileSplit, options: options, schema: &schema, items: &items, warnings: &warnings, seenPaths: &seenPaths)
    }
    // Validate once the schema is complete (labels may be declared after use in odd files).
    for item in items {
      try ImportChecks.validate(item.document, schema: schema.manifest, file: item.file, places: item.places)
    }
    return ImportedDataset(manifest: schema.manifest, items: items.map(\.imported), warnings: warnings)
  }

  private func readFile(_ xml: URL, fileSplit: String?, options: ImportOptions, schema: inout DeclaredSchema, items: inout [Item],
                        warnings: inout [String], seenPaths: inout [String: String]) throws {
    let file = xml.lastPathComponent
    let root = try XMLTree.parse(try ImportChecks.read(xml, name: file), file: file)
    guard root.name == "annotations" else {
      throw FormatError.invalid(file: file, place: "line \(root.line), <\(root.name)>", message: "root element must be <annotations>")
    }
    let base = xml.deletingLastPathComponent()
    let imagesDir: URL
    if let d = options.imagesDirectory { imagesDir = d } else {
      let sub = base.appendingPathComponent("images")
      imagesDir = FileManager.default.fileExists(atPath: sub.path) ? sub : base
    }

    var specs: [String: [String: AttributeDefinition]] = [:]
    if let meta = root.child("meta") {
      for container in ["task", "job", "project"] {
        guard let labels = meta.child(container)?.child("labels") else { continue }
        for label in labels.children(named: "label") {
          guard let name = label.childValue("name"), !name.isEmpty else {
            throw FormatError.invalid(file: file, place: "line \(label.line), <label>", message: "label without a name")
          }
          var defs: [AttributeDefinition] = []
          for a in label.child("attributes")?.children(named: "attribute") ?? [] {
            defs.append(try Self.definition(a, file: file))
          }
          let color = label.childValue("color").flatMap { $0.isEmpty ? nil : $0.lowercased() }
          schema.declare(name, color: color, attributes: defs)
          specs[name] = Dictionary(defs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
      }
    }

    // Image ids are unique within one file (each subset file of a project numbers its own).
    var seenIDs: [String: Int] = [:]
    for el in root.children {
      switch el.name {
      case "image":
        if let id = el.attributes["id"] {
          if let first = seenIDs[id] {
            throw FormatError.invalid(file: file, place: "line \(el.line), <image>",
                                      message: "image id \(DisplayText.quoted(id)) already used by the <image> on line \(first)")
          }
          seenIDs[id] = el.line
        }
        let item = try readImage(el, file: file, imagesDir: imagesDir, fileSplit: fileSplit, schema: &schema, specs: specs, warnings: &warnings)
        let p = item.document.image.path
        if let other = seenPaths[p] {
          throw FormatError.invalid(file: file, place: "line \(el.line), <image>", message: "image '\(p)' listed twice" + (other == file ? "" : " (also in \(other))"))
        }
        seenPaths[p] = file
        items.append(item)
      case "track": warnings.append("\(file): line \(el.line): <track> skipped (video tracks are not imported)")
      default: break
      }
    }
  }

  private struct Item {
    var document: LabelDocument
    var imageFile: URL
    var places: [String: String]
    var file: String
    var imported: ImportedItem { ImportedItem(document: document, imageFile: imageFile) }
  }

  static func definition(_ a: XMLNode, file: String) throws(FormatError) -> AttributeDefinition {
    guard let name = a.childValue("name"), !name.isEmpty else {
      throw .invalid(file: file, place: "line \(a.line), <attribute>", message: "attribute without a name")
    }
    let input = a.childValue("input_type") ?? "text"
    let defaultText = a.childValue("default_value") ?? a.childValue("default")
    let values = (a.child("values")?.text ?? "").split(separator: "\n", omittingEmptySubsequences: true)
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    switch input {
    case "checkbox":
      return AttributeDefinition(name: name, kind: .bool, defaultValue: .bool(defaultText?.lowercased() == "true"))
    case "number":
      let d = try defaultText.map { t throws(FormatError) in
        try ImportChecks.number(t, file: file, place: "line \(a.line), <attribute> \(name) default_value") }
      return AttributeDefinition(name: name, kind: .number, values: values, defaultValue: d.map { .number($0) })
    case "select", "radio":
      return AttributeDefinition(name: name, kind: .select, values: values, defaultValue: (defaultText ?? values.first).map { .string($0) })
    case "text":
      return AttributeDefinition(name: name, kind: .string, defaultValue: defaultText.flatMap { $0.isEmpty ? nil : .string($0) })
    default:
      throw .invalid(file: file, place: "line \(a.line), <attribute> \(name)", message: "unknown input_type '\(input)'")
    }
  }

  private func readImage(_ el: XMLNode, file: String, imagesDir: URL, fileSplit: String?, schema: inout DeclaredSchema,
                         specs: [String: [String: AttributeDefinition]], warnings: inout [String]) throws -> Item {
    let place = "line \(el.line), <image>"
    guard let rawName = el.attributes["name"] else { throw FormatError.invalid(file: file, place: place, message: "missing name") }
    let path = try ImportChecks.datasetPath(rawName, file: file, place: place)
    let (w, h) = try ImportChecks.imageSize(el.attributes["width"], el.attributes["height"], file: file, place: place)
    var split = fileSplit
    if let subset = el.attributes["subset"], !subset.isEmpty { split = subset == "default" ? nil : subset }
    // CVAT and Datumaro keep images in images/<name> or images/<subset>/<name>.
    var dir = imagesDir
    let subsetDir = imagesDir.appendingPathComponent(el.attributes["subset"] ?? fileSplit ?? "default")
    if !FileAccess.exists(imagesDir.appendingPathComponent(path)), FileAccess.exists(subsetDir.appendingPathComponent(path)) { dir = subsetDir }
    let (imageFile, info) = try ImportChecks.image(path, in: dir, file: file, place: place, declared: (w, h), warnings: &warnings)
    var record = ImageRecord(path: path, width: w, height: h, mediaType: info.mediaType, sourceID: el.attributes["id"])
    record.split = split
    var annotations: [Annotation] = []
    var places: [String: String] = [:]
    var seen = Set<String>()
    var counts: [String: Int] = [:]
    for s in el.children {
      let sp = "line \(s.line), <\(s.name)>"
      guard var a = try readShape(s, file: file, place: sp, image: record, specs: specs) else {
        warnings.append("\(file): \(sp): element skipped (not a CVAT for images shape)")
        continue
      }
      try schema.use(a.label, file: file, place: sp)
      try ImportChecks.assignID(&a, imagePath: path, seed: nil, counts: &counts, seen: &seen, file: file, place: sp)
      places[a.id] = sp
      annotations.append(a)
    }
    return Item(document: LabelDocument(image: record, annotations: annotations), imageFile: imageFile, places: places, file: file)
  }

  private func readShape(_ s: XMLNode, file: String, place: String, image: ImageRecord,
                         specs: [String: [String: AttributeDefinition]]) throws(FormatError) -> Annotation? {
    let at = s.attributes
    func num(_ key: String) throws(FormatError) -> Double {
      try ImportChecks.number(at[key], file: file, place: "\(place) \(key)")
    }
    func points(_ key: String) throws(FormatError) -> [Double] {
      guard let text = at[key] else { throw .invalid(file: file, place: place, message: "missing \(key)") }
      var out: [Double] = []
      for pair in text.split(separator: ";") {
        let xy = pair.split(separator: ",")
        guard xy.count == 2 else { throw .invalid(file: file, place: "\(place) \(key)", message: "expected 'x,y' pairs, found '\(pair)'") }
        out.append(try ImportChecks.number(String(xy[0]), file: file, place: "\(place) \(key)"))
        out.append(try ImportChecks.number(String(xy[1]), file: file, place: "\(place) \(key)"))
      }
      guard !out.isEmpty else { throw .invalid(file: file, place: "\(place) \(key)", message: "no points") }
      return out
    }
    let shape: Shape
    switch s.name {
    case "box":
      let x0 = try num("xtl"), y0 = try num("ytl"), x1 = try num("xbr"), y1 = try num("ybr")
      guard x1 > x0, y1 > y0 else { throw .invalid(file: file, place: place, message: "box corners out of order (xbr <= xtl or ybr <= ytl)") }
      let rotation = at["rotation"] == nil ? 0 : try num("rotation")
      shape = .box(Box(x: x0, y: y0, w: x1 - x0, h: y1 - y0), rotation: rotation)
    case "polygon":
      let p = try points("points")
      guard p.count >= 6 else { throw .invalid(file: file, place: place, message: "polygon needs at least 3 points") }
      shape = .polygon([p])
    case "polyline": shape = .polyline(try points("points"))
    case "points": shape = .points(try points("points"))
    case "ellipse":
      let rx = try num("rx"), ry = try num("ry")
      guard rx >= 0, ry >= 0 else { throw .invalid(file: file, place: place, message: "negative ellipse radius") }
      shape = .ellipse(cx: try num("cx"), cy: try num("cy"), rx: rx, ry: ry,
                       rotation: at["rotation"] == nil ? 0 : try num("rotation"))
    case "mask":
      guard let rleText = at["rle"] else { throw .invalid(file: file, place: place, message: "missing rle") }
      var runs: [Int] = []
      for part in rleText.split(separator: ",") {
        let t = part.trimmingCharacters(in: .whitespaces)
        guard let v = Int(t), v >= 0 else { throw .invalid(file: file, place: "\(place) rle", message: "expected non-negative run lengths, found '\(t)'") }
        runs.append(v)
      }
      let left = try ImportChecks.count(at["left"], file: file, place: "\(place) left")
      let top = try ImportChecks.count(at["top"], file: file, place: "\(place) top")
      let mw = try ImportChecks.count(at["width"], file: file, place: "\(place) width")
      let mh = try ImportChecks.count(at["height"], file: file, place: "\(place) height")
      guard left + mw <= image.width, top + mh <= image.height else {
        throw .invalid(file: file, place: place, message: "mask box \(left),\(top) \(mw)x\(mh) leaves the \(image.width)x\(image.height) image")
      }
      var bitmap = MaskBitmap(width: image.width, height: image.height)
      guard bitmap.paintRowMajor(runs, left: left, top: top, width: mw, height: mh) else {
        throw .invalid(file: file, place: "\(place) rle", message: "runs cover \(runs.reduce(0, +)) pixels, the mask box has \(mw * mh)")
      }
      shape = .mask(bitmap.rleMask)
    case "tag": shape = .tag
    default: return nil
    }
    guard let label = at["label"] else { throw .invalid(file: file, place: place, message: "missing label") }
    var a = Annotation(id: "-", label: label, shape: shape)
    if let occ = at["occluded"] {
      switch occ { case "1", "true": a.attributes["occluded"] = .bool(true); case "0", "false": break
      default: throw .invalid(file: file, place: "\(place) occluded", message: "expected 0 or 1, found '\(occ)'") }
    }
    if let src = at["source"], !src.isEmpty, src != "manual" { a.attributes["source"] = .string(src) }
    if let z = at["z_order"] {
      guard let zi = Int(z) else { throw .invalid(file: file, place: "\(place) z_order", message: "expected an integer, found '\(z)'") }
      if zi != 0 { a.zOrder = zi }
    }
    if let g = at["group_id"] {
      guard let gi = Int(g), gi >= 0 else { throw .invalid(file: file, place: "\(place) group_id", message: "expected a non-negative integer, found '\(g)'") }
      if gi != 0 { a.group = gi }
    }
    let spec = specs[label] ?? [:]
    for attr in s.children(named: "attribute") {
      guard let name = attr.attributes["name"], !name.isEmpty else {
        throw .invalid(file: file, place: "line \(attr.line), <attribute>", message: "attribute without a name")
      }
      let text = attr.value
      let ap = "line \(attr.line), <attribute name=\"\(name)\">"
      switch spec[name]?.kind {
      case .bool?:
        switch text.lowercased() {
        case "true", "1": a.attributes[name] = .bool(true)
        case "false", "0": a.attributes[name] = .bool(false)
        default: throw .invalid(file: file, place: ap, message: "expected true or false, found '\(text)'")
        }
      case .number?: a.attributes[name] = .number(try ImportChecks.number(text, file: file, place: ap))
      default: a.attributes[name] = .string(text)
      }
    }
    return a
  }
}
