import Foundation
import AnnotModel
import AnnotMedia

/// Reads a Pascal VOC directory: `Annotations/**/*.xml`, `ImageSets/Main/*.txt` (splits),
/// `JPEGImages/` and an optional Datumaro-style `labelmap.txt`.
///
/// Box convention (Datumaro's): `x = xmin, y = ymin, w = xmax - xmin, h = ymax - ymin`, the
/// numbers taken as they are (VOC's 1-based inclusive pixel indices are not shifted).
///
/// Objects: `name` → label; `pose` (other than `Unspecified`) → string attribute `pose`;
/// `truncated`/`difficult`/`occluded` equal to 1 → bool attributes of those names (0 is not
/// stored); `<actions><a>1</a>` → bool attributes; `<attributes><attribute><name>/<value>` →
/// bool for `true`/`false`, number for a finite number, else string. An object with `<part>`s
/// gets `group` = its 1-based rank among the objects that have parts, and each part becomes a
/// box annotation with the same group (the exporter writes grouped objects first, by group,
/// so the numbers survive export → import). Ids come from content (VOC has no ids), see `ImportChecks.assignID`.
///
/// Images: `<filename>` relative to `JPEGImages/`; a filename without `/` inside
/// `Annotations/sub/x.xml` is taken as `sub/<filename>`. Splits: every
/// `ImageSets/Main/<name>.txt` without `_` in the name (class lists like `car_train.txt` are
/// skipped); `trainval` only applies to ids in neither `train` nor `val`; `default` means no
/// split.
///
/// Masks: `SegmentationObject/<id>.png` (instance index per pixel, 0 background, 255 void) and
/// `SegmentationClass/<id>.png` (class per pixel by colour: the labelmap's colours in order, or
/// VOC 2012's 20 classes in colormap colours without a labelmap). Each instance becomes a
/// full-image COCO RLE `.mask` labelled by the majority class of its pixels; instance k shares a
/// group with the k-th `<object>` when there is one (VOC's convention), else stands alone. A
/// class PNG without an object PNG gives one mask per class present. Masks must have the
/// image's size.
public struct VOCImporter: DatasetImporter {
  public init() {}
  /// `"voc"`.
  public var name: String { "voc" }
  /// One line for `annot formats`.
  public var summary: String { "Pascal VOC: Annotations/*.xml boxes with parts and attributes, SegmentationClass/Object PNG masks, ImageSets splits, labelmap.txt" }

  /// High for a directory with `Annotations/*.xml` and `ImageSets/` or `JPEGImages/`; medium with
  /// `Annotations/` alone.
  public func detect(_ source: URL) -> DetectionConfidence {
    let fm = FileManager.default
    let ann = source.appendingPathComponent("Annotations")
    guard let names = try? fm.contentsOfDirectory(atPath: ann.path), names.contains(where: { $0.lowercased().hasSuffix(".xml") })
    else { return .none }
    let marked = fm.fileExists(atPath: source.appendingPathComponent("ImageSets").path)
      || fm.fileExists(atPath: source.appendingPathComponent("JPEGImages").path)
    return marked ? .high : .medium
  }

  /// `detect`, with what was missing when it says none.
  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    let c = detect(source)
    return (c, c == .none ? "no Annotations/*.xml" : "")
  }

  /// Reads the whole directory; errors name the file (relative to the root) and line/element.
  public func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset {
    let fm = FileManager.default
    let annDir = source.appendingPathComponent("Annotations")
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: annDir.path, isDirectory: &isDir), isDir.boolValue else {
      throw FormatError.invalid(file: source.path, place: "", message: "no Annotations/ directory (not a Pascal VOC dataset)")
    }
    var warnings: [String] = []
    var schema = DeclaredSchema(existing: options.existingSchema)
    var actionsByLabel: [String: [String]] = [:]
    let labelmap = source.appendingPathComponent("labelmap.txt")
    // Class order for segmentation PNGs: the labelmap's, else VOC 2012's 20 classes.
    var maskClasses = VOCMasks.Classes.standard
    if fm.fileExists(atPath: labelmap.path) {
      maskClasses = try Self.readLabelmap(ImportChecks.read(labelmap, name: "labelmap.txt"), schema: &schema, actions: &actionsByLabel)
    }
    let splits = try Self.readSplits(source, warnings: &warnings)
    let imagesDir = options.imagesDirectory ?? source.appendingPathComponent("JPEGImages")

    // Every .xml under Annotations/, sorted by relative path; symlinks are not followed.
    var ids: [String] = []
    if let walker = fm.enumerator(at: annDir, includingPropertiesForKeys: [.isRegularFileKey], options: []) {
      for case let url as URL in walker where url.pathExtension.lowercased() == "xml" {
        let rel = String(url.standardizedFileURL.path.dropFirst(annDir.standardizedFileURL.path.count + 1))
        guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
        ids.append(String(rel.dropLast(4)))
      }
    }
    ids.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }

    var items: [ImportedItem] = []
    var seenPaths = Set<String>()
    for id in ids {
      let file = "Annotations/\(id).xml"
      let root = try XMLTree.parse(ImportChecks.read(annDir.appendingPathComponent(id + ".xml"), name: file), file: file)
      guard root.name == "annotation" else {
        throw FormatError.invalid(file: file, place: "line \(root.line), <\(root.name)>", message: "root element must be <annotation>")
      }
      let place = "line \(root.line), <annotation>"
      var filename = root.childValue("filename") ?? ""
      // Split by hand: Foundation's NSString path methods crash on one-character names on Linux.
      let slash = id.lastIndex(of: "/")
      if filename.isEmpty { filename = String(slash.map { id[id.index(after: $0)...] } ?? id[...]) + ".jpg" }
      let dir = slash.map { String(id[..<$0]) } ?? ""
      let path = try ImportChecks.datasetPath(filename.contains("/") || dir.isEmpty ? filename : dir + "/" + filename,
                                              file: file, place: "\(place) filename")
      guard let size = root.child("size") else { throw FormatError.invalid(file: file, place: place, message: "missing <size>") }
      let (w, h) = try ImportChecks.imageSize(size.childValue("width"), size.childValue("height"), file: file,
                                              place: "line \(size.line), <size>")
      let (imageFile, info) = try ImportChecks.image(path, in: imagesDir, file: file, place: "\(place) filename",
                                                     declared: (w, h), warnings: &warnings)
      var record = ImageRecord(path: path, width: w, height: h, mediaType: info.mediaType)
      if let s = splits[id], s != "default" { record.split = s }

      var annotations: [Annotation] = []
      var places: [String: String] = [:]
      var seen = Set<String>()
      var counts: [String: Int] = [:]
      var groups = 0
      let objects = root.children(named: "object")
      let objectLabels = objects.map { $0.childValue("name") ?? "" }
      let masks = try Self.readMasks(source, id: id, width: w, height: h, classes: maskClasses, objectLabels: objectLabels)
      // Objects whose order matches a mask instance share a group with it (VOC's convention).
      let maskedObjects = Set(masks.map(\.index).filter { $0 <= objects.count })
      var groupOfObject: [Int: Int] = [:]
      for (k, obj) in objects.enumerated() {
        let op = "line \(obj.line), <object>"
        var a = try Self.readBox(obj, file: file, place: op)
        try schema.use(a.label, file: file, place: "\(op) name")
        a.attributes = try Self.objectAttributes(obj, file: file, place: op)
        let parts = obj.children(named: "part")
        if !parts.isEmpty || maskedObjects.contains(k + 1) { groups += 1; a.group = groups; groupOfObject[k + 1] = groups }
        var group: [(Annotation, String)] = [(a, op)]
        for part in parts {
          let pp = "line \(part.line), <part>"
          var p = try Self.readBox(part, file: file, place: pp)
          try schema.use(p.label, file: file, place: "\(pp) name")
          p.group = groups
          group.append((p, pp))
        }
        for (var ann, ap) in group {
          try ImportChecks.assignID(&ann, imagePath: path, seed: nil, counts: &counts, seen: &seen, file: file, place: ap)
          places[ann.id] = ap
          annotations.append(ann)
        }
      }
      for m in masks {
        let mp = "SegmentationObject/\(id).png instance \(m.index)"
        try schema.use(m.label, file: "SegmentationClass/\(id).png", place: "instance \(m.index)")
        var ann = Annotation(id: "-", label: m.label, shape: .mask(m.mask), group: groupOfObject[m.index])
        try ImportChecks.assignID(&ann, imagePath: path, seed: nil, counts: &counts, seen: &seen, file: file, place: mp)
        places[ann.id] = mp
        annotations.append(ann)
      }
      guard seenPaths.insert(path).inserted else {
        throw FormatError.invalid(file: file, place: "\(place) filename", message: "image '\(path)' is described by two annotation files")
      }
      let doc = LabelDocument(image: record, annotations: annotations)
      try ImportChecks.validate(doc, schema: schema.manifest, file: file, places: places)
      items.append(ImportedItem(document: doc, imageFile: imageFile))
    }
    for id in splits.keys.sorted() where !ids.contains(id) {
      warnings.append("ImageSets/Main: '\(id)' has no Annotations/\(id).xml; skipped")
    }
    return ImportedDataset(manifest: schema.manifest, items: items, warnings: warnings)
  }

  /// The mask instances of image `id` from `SegmentationObject/` and `SegmentationClass/`, if any.
  static func readMasks(_ source: URL, id: String, width: Int, height: Int, classes: VOCMasks.Classes,
                        objectLabels: [String]) throws -> [VOCMasks.Instance] {
    let objectFile = "SegmentationObject/\(id).png", classFile = "SegmentationClass/\(id).png"
    let objURL = source.appendingPathComponent(objectFile), clsURL = source.appendingPathComponent(classFile)
    let fm = FileManager.default
    let obj = fm.fileExists(atPath: objURL.path) ? try VOCMasks.decode(objURL, file: objectFile, width: width, height: height) : nil
    let cls = fm.fileExists(atPath: clsURL.path) ? try VOCMasks.decode(clsURL, file: classFile, width: width, height: height) : nil
    return try VOCMasks.instances(objectPNG: obj, classPNG: cls, classes: classes, objectLabels: objectLabels,
                                  objectFile: objectFile, classFile: classFile)
  }

  /// A `<name>` + `<bndbox>` element as a box annotation (id assigned later).
  static func readBox(_ el: XMLNode, file: String, place: String) throws(FormatError) -> Annotation {
    guard let label = el.childValue("name"), !label.isEmpty else {
      throw .invalid(file: file, place: place, message: "missing <name>")
    }
    guard let bb = el.child("bndbox") else { throw .invalid(file: file, place: place, message: "missing <bndbox>") }
    let bp = "line \(bb.line), <bndbox>"
    let x0 = try ImportChecks.number(bb.childValue("xmin"), file: file, place: "\(bp) xmin")
    let y0 = try ImportChecks.number(bb.childValue("ymin"), file: file, place: "\(bp) ymin")
    let x1 = try ImportChecks.number(bb.childValue("xmax"), file: file, place: "\(bp) xmax")
    let y1 = try ImportChecks.number(bb.childValue("ymax"), file: file, place: "\(bp) ymax")
    guard x1 > x0, y1 > y0 else { throw .invalid(file: file, place: bp, message: "xmax <= xmin or ymax <= ymin") }
    return Annotation(id: "-", label: label, shape: .box(Box(x: x0, y: y0, w: x1 - x0, h: y1 - y0), rotation: 0))
  }

  static func flag(_ el: XMLNode, _ name: String, file: String) throws(FormatError) -> Bool {
    guard let v = el.childValue(name), !v.isEmpty else { return false }
    switch v {
    case "1", "true": return true
    case "0", "false": return false
    default: throw .invalid(file: file, place: "line \(el.child(name)!.line), <\(name)>", message: "expected 0 or 1, found '\(v)'")
    }
  }

  static func objectAttributes(_ obj: XMLNode, file: String, place: String) throws(FormatError) -> [String: AttributeValue] {
    var out: [String: AttributeValue] = [:]
    if let pose = obj.childValue("pose"), !pose.isEmpty, pose != "Unspecified" { out["pose"] = .string(pose) }
    for f in ["truncated", "difficult", "occluded"] where try flag(obj, f, file: file) { out[f] = .bool(true) }
    if let actions = obj.child("actions") {
      for a in actions.children { out[a.name] = .bool(try flag(actions, a.name, file: file)) }
    }
    for attr in obj.child("attributes")?.children(named: "attribute") ?? [] {
      guard let n = attr.childValue("name"), !n.isEmpty else {
        throw .invalid(file: file, place: "line \(attr.line), <attribute>", message: "attribute without a <name>")
      }
      out[n] = typedValue(attr.childValue("value") ?? "")
    }
    return out
  }

  /// VOC attribute text → the model's value: bool, finite number, else string.
  static func typedValue(_ s: String) -> AttributeValue {
    if s == "true" { return .bool(true) }
    if s == "false" { return .bool(false) }
    if let d = Double(s), d.isFinite, !s.lowercased().hasPrefix("0x"), s.first.map({ $0.isNumber || $0 == "-" }) == true {
      return .number(d)
    }
    return .string(s)
  }

  /// `name:r,g,b:parts:actions` lines (Datumaro's labelmap.txt); `background` is implicit.
  /// Returns the classes in file order (mask class index k = k-th non-background line), a
  /// class without a colour taking the VOC colormap's colour of its index.
  @discardableResult
  static func readLabelmap(_ bytes: [UInt8], schema: inout DeclaredSchema, actions: inout [String: [String]]) throws(FormatError) -> VOCMasks.Classes {
    var classes = VOCMasks.Classes(names: [], colors: [])
    let text = String(decoding: bytes, as: UTF8.self)
    var parts: [String] = []
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let cols = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      let name = cols[0]
      guard !name.isEmpty else { throw .invalid(file: "labelmap.txt", place: "line \(i + 1)", message: "empty label name") }
      if name == "background" { continue }
      var color: String? = nil
      if cols.count > 1, !cols[1].isEmpty {
        let rgb = cols[1].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard rgb.count == 3, rgb.allSatisfy({ $0 != nil && (0...255).contains($0!) }) else {
          throw .invalid(file: "labelmap.txt", place: "line \(i + 1)", message: "color must be r,g,b with 0...255, found '\(cols[1])'")
        }
        color = "#" + rgb.map { String(format: "%02x", $0!) }.joined()
        classes.colors.append(PNGColor(UInt8(rgb[0]!), UInt8(rgb[1]!), UInt8(rgb[2]!)))
      } else {
        classes.colors.append(VOCMasks.colormap[min(classes.names.count + 1, 255)])
      }
      classes.names.append(name)
      let acts = cols.count > 3 ? cols[3].split(separator: ",").map(String.init).filter { !$0.isEmpty } : []
      schema.declare(name, color: color, attributes: acts.map { AttributeDefinition(name: $0, kind: .bool, defaultValue: .bool(false)) })
      actions[name] = acts
      if cols.count > 2 { parts += cols[2].split(separator: ",").map(String.init).filter { !$0.isEmpty } }
    }
    for p in parts where !(schema.declared?.contains(p) ?? false) { schema.declare(p) }
    return classes
  }

  /// Image id → split from `ImageSets/Main/*.txt`.
  static func readSplits(_ source: URL, warnings: inout [String]) throws(FormatError) -> [String: String] {
    let main = source.appendingPathComponent("ImageSets/Main")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: main.path) else { return [:] }
    let lists = names.filter { $0.hasSuffix(".txt") && !$0.dropLast(4).contains("_") }.map { String($0.dropLast(4)) }
    // Specific splits first, trainval last, so an id in train.txt and trainval.txt is "train".
    let order = lists.sorted { a, b in
      let ra = a == "trainval" ? 1 : 0, rb = b == "trainval" ? 1 : 0
      return ra != rb ? ra < rb : a.utf8.lexicographicallyPrecedes(b.utf8)
    }
    var out: [String: String] = [:]
    for split in order {
      let file = "ImageSets/Main/\(split).txt"
      let text = String(decoding: try ImportChecks.read(main.appendingPathComponent(split + ".txt"), name: file), as: UTF8.self)
      for raw in text.split(separator: "\n") {
        let id = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
        if id.isEmpty { continue }
        if let prior = out[id] {
          if prior != split && split != "trainval" { warnings.append("\(file): '\(id)' is also in \(prior); kept \(prior)") }
          continue
        }
        out[id] = split
      }
    }
    return out
  }
}
