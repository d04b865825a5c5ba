import Foundation
import AnnotModel
import AnnotMedia

/// Reads a COCO `instances` or `person_keypoints` JSON file (the source is the JSON file).
///
/// Images are looked up, per image, in `options.imagesDirectory` if given; otherwise in the
/// JSON's directory, then `<dir>/images`, then (for `instances_<split>.json` in an
/// `annotations/` folder, the layout `COCOExporter` writes) `<dir>/../images/<split>`.
/// See Docs/FORMATS.md for the full mapping.
public struct COCOImporter: DatasetImporter {
  /// Coordinates may leave the image by this many pixels (rounding in other tools); more is an error.
  public static let tolerance = 0.5

  public init() {}
  public var name: String { "coco" }
  public var summary: String { "COCO instances/person_keypoints JSON: boxes, polygons, RLE masks, keypoints, categories with their ids" }

  /// High for a `.json` file whose first 64 KiB name `images`, `annotations` and `categories`,
  /// or a directory with `annotations/instances_*.json` (or `person_keypoints_*.json`); medium
  /// when only some of the keys (or `file_name`/`image_id`) appear.
  public func detect(_ source: URL) -> DetectionConfidence { detectWhy(source).0 }

  /// The confidence and, when none, why not (for `auto`'s report).
  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    if FileAccess.isDirectory(source) {
      return Self.splitFiles(source).isEmpty ? (.none, "no annotations/instances_<split>.json") : (.high, "")
    }
    guard source.pathExtension.lowercased() == "json" else { return (.none, "not a .json file") }
    guard FileAccess.isRegularFile(source), let h = try? FileHandle(forReadingFrom: source) else { return (.none, "cannot be read") }
    defer { try? h.close() }
    let head = String(decoding: (try? h.read(upToCount: 64 * 1024)) ?? Data(), as: UTF8.self)
    if head.contains("\"shapes\"") && head.contains("\"imagePath\"") { return (.none, "a LabelMe file (shapes, imagePath)") }
    let keys = ["\"images\"", "\"annotations\"", "\"categories\""].filter { head.contains($0) }.count
    if keys == 3 { return (.high, "") }
    if keys > 0 || head.contains("\"file_name\"") || head.contains("\"image_id\"") { return (.medium, "") }
    return (.none, "no images/annotations/categories keys in the first 64 KiB")
  }

  /// The split files of a COCO directory (`annotations/instances_<split>.json`, as Datumaro and
  /// annot's exporter write it; `person_keypoints_<split>.json` for splits without an
  /// instances file), sorted by name.
  static func splitFiles(_ dir: URL) -> [URL] {
    let ann = dir.appendingPathComponent("annotations")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: ann.path) else { return [] }
    let json = names.filter { $0.hasSuffix(".json") && FileAccess.isRegularFile(ann.appendingPathComponent($0)) }
    let instances = json.filter { $0.hasPrefix("instances_") }
    let splits = Set(instances.map { String($0.dropFirst("instances_".count).dropLast(5)) })
    let keypoints = json.filter { $0.hasPrefix("person_keypoints_") && !splits.contains(String($0.dropFirst("person_keypoints_".count).dropLast(5))) }
    return (instances + keypoints).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { ann.appendingPathComponent($0) }
  }

  /// Reads a COCO JSON file, or every split file of a COCO directory (each image gets the split
  /// of its file; category ids and names must agree between files).
  public func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset {
    guard FileAccess.isDirectory(source) else { return try importFile(source, options: options) }
    let files = Self.splitFiles(source)
    guard !files.isEmpty else {
      throw FormatError.invalid(file: source.path, place: "", message: "no annotations/instances_<split>.json in this directory (name the JSON file instead)")
    }
    var classes: [Int: LabelClass] = [:]
    var items: [ImportedItem] = []
    var warnings: [String] = []
    var owner: [String: String] = [:]
    for f in files {
      let one = try importFile(f, options: options)
      let name = "annotations/" + f.lastPathComponent
      for c in one.manifest.classes {
        if let k = classes[c.id], k.name != c.name {
          throw FormatError.invalid(file: name, place: "categories (id \(c.id))", message: "category \(c.id) is \"\(c.name)\" here but \"\(k.name)\" in another split file")
        }
        if let k = classes.values.first(where: { $0.name == c.name && $0.id != c.id }) {
          throw FormatError.invalid(file: name, place: "categories (id \(c.id))", message: "category \"\(c.name)\" has id \(c.id) here but \(k.id) in another split file")
        }
        classes[c.id] = classes[c.id] ?? c
      }
      for it in one.items {
        if let o = owner[it.document.image.path] {
          throw FormatError.invalid(file: name, place: "images", message: "image \"\(it.document.image.path)\" is also in \(o)")
        }
        owner[it.document.image.path] = name
        items.append(it)
      }
      warnings += one.warnings
    }
    let manifest = DatasetManifest(classes: classes.values.sorted { $0.id < $1.id }, attributes: options.existingSchema?.attributes ?? [])
    return ImportedDataset(manifest: manifest, items: items, warnings: warnings)
  }

  /// Reads one JSON file. Throws `FormatError.invalid` naming the JSON file and the place,
  /// e.g. `annotations[12] (id 57).bbox`.
  func importFile(_ source: URL, options: ImportOptions) throws -> ImportedDataset {
    let file = source.lastPathComponent
    let bytes = try FileAccess.read(source, display: file)
    // The top level is scanned without building `images` and `annotations`: their elements are
    // parsed and turned into model values a batch at a time on all cores, so memory holds the
    // file and the documents, never a JSON tree of millions of nodes, and the order of the keys
    // in the file does not matter.
    let scanned: (object: JSONValue, elements: [String: [Range<Int>]])
    do { scanned = try JSONParser.scanObject(bytes, arrays: ["images", "annotations"]) } catch {
      throw FormatError.invalid(file: file, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
    }
    let root = JSONNode(value: scanned.object, file: file, place: "")
    func elements(_ key: String) -> [Range<Int>] { scanned.elements[key] ?? [] }
    /// Parses and converts `key`'s elements in batches on all cores, handing the results to
    /// `consume` in file order a group of batches at a time (so only one group is held besides
    /// what `consume` keeps); the first failure in file order is thrown.
    func convert<T: Sendable>(_ key: String, _ body: @escaping @Sendable (Int, JSONNode) throws -> T,
                              consume: ([T]) throws -> Void) throws {
      let ranges = elements(key)
      let batch = 2048, group = 8 * batch
      let input = bytes
      for g in stride(from: 0, to: ranges.count, by: group) {
        let starts = Array(stride(from: g, to: min(g + group, ranges.count), by: batch))
        let results = try ParallelMap.map(starts) { s -> [T] in
          var out: [T] = []
          out.reserveCapacity(min(batch, ranges.count - s))
          for k in s..<min(s + batch, ranges.count) {
            let v: JSONValue
            do { v = try JSONParser.parse(input, in: ranges[k]) } catch let error as JSONSyntaxError {
              throw FormatError.invalid(file: file, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
            }
            out.append(try body(k, JSONNode(value: v, file: file, place: "\(key)[\(k)]")))
          }
          return out
        }
        for r in results { try consume(r) }
      }
    }

    // Categories keep their real ids.
    var classes: [LabelClass] = []
    var classByID: [Int: LabelClass] = [:]
    for c in try root.optional("categories")?.array() ?? [] {
      let id = try c.required("id").int()
      let place = c.place
      let cn = c.renamed("\(place) (id \(id))")
      let name = try cn.required("name").string()
      guard !name.isEmpty else { throw FormatError.invalid(file: file, place: cn.place + ".name", message: "empty category name") }
      guard classByID[id] == nil else { throw FormatError.invalid(file: file, place: cn.place + ".id", message: "duplicate category id \(id)") }
      guard !classes.contains(where: { $0.name == name }) else {
        throw FormatError.invalid(file: file, place: cn.place + ".name", message: "duplicate category name \"\(name)\"")
      }
      var lc = LabelClass(id: id, name: name, supercategory: try cn.optional("supercategory")?.string())
      if let existing = options.existingSchema?.labelClass(named: name) {
        lc.color = existing.color; lc.attributes = existing.attributes
      }
      lc.keypoints = try (cn.optional("keypoints")?.array() ?? []).map { e throws(FormatError) in try e.string() }
      for e in try cn.optional("skeleton")?.array() ?? [] {
        let pair = try e.array().map { x throws(FormatError) in try x.int() }
        guard pair.count == 2, pair.allSatisfy({ $0 >= 1 && $0 <= lc.keypoints.count }) else {
          throw e.fail("expected a pair of 1-based keypoint indices (1...\(lc.keypoints.count))")
        }
        lc.skeleton.append(pair)
      }
      classes.append(lc)
      classByID[id] = lc
    }

    let split = Self.split(fromFileName: file)
    let candidates: [URL] = {
      // --images names the images root; in a split layout it may be the parent of images/<split>/.
      if let d = options.imagesDirectory {
        if let split { return [d, d.appendingPathComponent(split)] }
        return Self.isExportName(file) ? [d, d.appendingPathComponent("default")] : [d]
      }
      let dir = source.deletingLastPathComponent()
      var c = [dir, dir.appendingPathComponent("images")]
      if let split { c.append(dir.deletingLastPathComponent().appendingPathComponent("images/\(split)")) }
      else if Self.isExportName(file) { c.append(dir.deletingLastPathComponent().appendingPathComponent("images/default")) }
      return c
    }()

    // Images: each is parsed and its file probed on all cores; ids and paths are checked in order.
    guard case .array = root.optional("images")?.value else { _ = try root.required("images").array(); throw root.fail("images: expected an array") }
    struct Img: Sendable { var id: Int; var place: String; var record: ImageRecord; var file: URL; var annotations: [Annotation] = [] }
    var parsedImages: [Img] = []
    parsedImages.reserveCapacity(elements("images").count)
    try convert("images", { _, im -> Img in
      let id = try im.required("id").int()
      let n = im.renamed("\(im.place) (id \(id))")
      var path = try n.required("file_name").string()
      // kwcoco and some converters write absolute file names: under --images (or the JSON's
      // folder) they become relative to it; anywhere else they are refused.
      if path.hasPrefix("/") {
        let abs = URL(fileURLWithPath: path).standardizedFileURL
        search: for r in (options.imagesDirectory.map { [$0] } ?? []) + [source.deletingLastPathComponent()] {
          // As written, then with symbolic links in the folders resolved (/tmp vs /private/tmp).
          for (root, file) in [(r.standardizedFileURL.path, abs.path),
                               (r.resolvingSymlinksInPath().path, abs.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(abs.lastPathComponent).path)] {
            let prefix = root.hasSuffix("/") ? root : root + "/"
            if file.hasPrefix(prefix) { path = String(file.dropFirst(prefix.count)); break search }
          }
        }
      }
      if let why = DatasetPath.validate(path) {
        throw FormatError.invalid(file: file, place: n.place + ".file_name", message: "invalid image path \"\(path)\": \(why)")
      }
      let width = try n.required("width").int(), height = try n.required("height").int()
      guard width > 0, height > 0 else { throw FormatError.invalid(file: file, place: n.place, message: "image size \(width)x\(height) is not positive") }
      let root = candidates.first { FileAccess.exists($0.appendingPathComponent(path)) }
      guard let root else {
        throw FormatError.invalid(file: file, place: n.place + ".file_name",
                                  message: "image file \"\(path)\" not found in \(candidates.map(\.path).joined(separator: ", "))")
      }
      let url = root.appendingPathComponent(path)
      let info = try FileAccess.probeImage(url, root: root, errFile: file, place: n.place + ".file_name")
      guard info.width == width, info.height == height else {
        throw FormatError.invalid(file: file, place: n.place, message: "JSON says \(width)x\(height) but \(path) is \(info.width)x\(info.height)")
      }
      return Img(id: id, place: n.place, record: ImageRecord(path: path, width: width, height: height, mediaType: info.mediaType,
                                                             sourceID: String(id), split: split), file: url)
    }, consume: { parsedImages += $0 })
    var images: [Int: Img] = [:]
    images.reserveCapacity(parsedImages.count)
    var paths = Set<String>()
    for im in parsedImages {
      guard images[im.id] == nil else { throw FormatError.invalid(file: file, place: im.place + ".id", message: "duplicate image id \(im.id)") }
      guard paths.insert(im.record.path).inserted else {
        throw FormatError.invalid(file: file, place: im.place + ".file_name", message: "duplicate file_name \"\(im.record.path)\"")
      }
      images[im.id] = im
    }

    // Annotations, converted on all cores against the images and categories read above.
    if let a = root.optional("annotations"), elements("annotations").isEmpty { _ = try a.array() }
    struct Converted: Sendable { var id: Int; var index: Int; var imageID: Int; var annotations: [Annotation] }
    let records = images.mapValues(\.record)
    let classesByID = classByID
    var annIDs = Set<Int>()
    // Absent means an image-info file (no labels); null is a broken file, not "no labels".
    if case .object(let o) = root.value, o["annotations"]?.isNull == true {
      throw FormatError.invalid(file: file, place: "annotations", message: "expected an array, found null")
    }
    annIDs.reserveCapacity(elements("annotations").count)
    try convert("annotations", { k, a -> Converted in
      let id = try a.required("id").int()
      let n = a.renamed("\(a.place) (id \(id))")
      let imageID = try n.required("image_id").int()
      guard let image = records[imageID] else { throw FormatError.invalid(file: file, place: n.place + ".image_id", message: "no image with id \(imageID)") }
      let catID = try n.required("category_id").int()
      guard let lc = classesByID[catID] else { throw FormatError.invalid(file: file, place: n.place + ".category_id", message: "no category with id \(catID)") }
      return Converted(id: id, index: k, imageID: imageID, annotations: try self.annotations(n, id: id, label: lc, image: image))
    }, consume: { batch in
      for c in batch {
        guard annIDs.insert(c.id).inserted else {
          throw FormatError.invalid(file: file, place: "annotations[\(c.index)] (id \(c.id)).id", message: "duplicate annotation id \(c.id)")
        }
        images[c.imageID]!.annotations += c.annotations
      }
    })

    // Arrays grown by appending hold up to twice their count: each image's annotations are
    // moved into an exact-size array (and the grown one freed) as its document is made.
    var items: [ImportedItem] = []
    items.reserveCapacity(parsedImages.count)
    for im in parsedImages {
      guard var img = images.removeValue(forKey: im.id) else { continue }
      let exact = img.annotations.withUnsafeBufferPointer { Array($0) }
      img.annotations = []
      items.append(ImportedItem(document: LabelDocument(image: img.record, annotations: exact), imageFile: img.file))
    }
    return ImportedDataset(manifest: DatasetManifest(classes: classes, attributes: options.existingSchema?.attributes ?? []), items: items)
  }

  /// One COCO annotation → one model annotation, or two when it has both a segmentation and
  /// keypoints (the keypoints become `coco:<id>:keypoints` with the same source id).
  func annotations(_ n: JSONNode, id: Int, label lc: LabelClass, image: ImageRecord) throws(FormatError) -> [Annotation] {
    let W = Double(image.width), H = Double(image.height), tol = Self.tolerance
    func inside(_ flat: [Double], _ node: JSONNode, stride: Int = 2) throws(FormatError) {
      var k = 0
      while k + 1 < flat.count {
        let visible = stride == 2 || flat[k + 2] > 0
        if visible && (flat[k] < -tol || flat[k] > W + tol || flat[k + 1] < -tol || flat[k + 1] > H + tol) {
          throw node.fail("point (\(CanonicalJSON.number(flat[k])), \(CanonicalJSON.number(flat[k + 1]))) is outside the \(image.width)x\(image.height) image")
        }
        k += stride
      }
    }

    var bbox: Box?
    if let b = n.optional("bbox") {
      let v = try b.numbers()
      guard v.count == 4 else { throw b.fail("expected 4 numbers [x, y, w, h], found \(v.count)") }
      guard v[2] >= 0, v[3] >= 0 else { throw b.fail("negative box size \(CanonicalJSON.number(v[2]))x\(CanonicalJSON.number(v[3]))") }
      let box = Box(x: v[0], y: v[1], w: v[2], h: v[3])
      if box.x < -tol || box.y < -tol || box.maxX > W + tol || box.maxY > H + tol {
        throw b.fail("box [\(v.map(CanonicalJSON.number).joined(separator: ", "))] extends outside the \(image.width)x\(image.height) image by more than \(tol) px")
      }
      bbox = box
    }

    var crowd = false
    if let c = n.optional("iscrowd") {
      if case .bool(let b) = c.value { crowd = b } else {
        let v = try c.int()
        guard v == 0 || v == 1 else { throw c.fail("expected 0 or 1, found \(v)") }
        crowd = v == 1
      }
    }
    var attributes = try n.optional("attributes")?.attributes() ?? [:]
    let score = try n.optional("score")?.number()
    var area: Double?
    if let an = n.optional("area"), !an.value.isNull {
      let v = try an.number()
      guard v >= 0 else { throw an.fail("negative area \(CanonicalJSON.number(v))") }
      area = v
    }

    var segShape: Shape?
    if let s = n.optional("segmentation") {
      switch s.value {
      case .array(let parts) where !parts.isEmpty:
        var ps: [[Double]] = []
        for p in try s.array() {
          let flat = try p.numbers()
          guard flat.count >= 6, flat.count % 2 == 0 else { throw p.fail("a polygon needs an even number of coordinates, at least 6; found \(flat.count)") }
          try inside(flat, p)
          ps.append(flat)
        }
        segShape = .polygon(ps)
      case .array: break
      case .object:
        let size = try s.required("size").array().map { x throws(FormatError) in try x.int() }
        guard size.count == 2 else { throw s.fail("size: expected [height, width]") }
        guard size[0] == image.height, size[1] == image.width else {
          throw s.fail("mask size \(size[1])x\(size[0]) differs from the \(image.width)x\(image.height) image")
        }
        let c = try s.required("counts")
        let mask: RLEMask
        switch c.value {
        case .string(let str):
          guard RLE.decode(str) != nil else { throw c.fail("malformed compressed RLE counts") }
          mask = RLEMask(height: size[0], width: size[1], counts: .compressed(str))
        default:
          let runs = try c.array().map { x throws(FormatError) in try x.int() }
          guard runs.allSatisfy({ $0 >= 0 }) else { throw c.fail("negative run length") }
          mask = RLEMask(height: size[0], width: size[1], counts: .runs(runs))
        }
        let total = RLE.runs(mask)!.reduce(0, +)
        guard total == image.width * image.height else { throw c.fail("RLE runs cover \(total) pixels, the image has \(image.width * image.height)") }
        segShape = .mask(mask)
      default:
        throw s.fail("expected a list of polygons or an RLE object, found \(s.value.typeName)")
      }
    }

    var kpShape: Shape?
    if let k = n.optional("keypoints") {
      let flat = try k.numbers()
      if !flat.isEmpty {
        guard flat.count % 3 == 0 else { throw k.fail("expected [x, y, v] triples, found \(flat.count) numbers") }
        if !lc.keypoints.isEmpty && flat.count / 3 != lc.keypoints.count {
          throw k.fail("\(flat.count / 3) keypoints, category \"\(lc.name)\" defines \(lc.keypoints.count)")
        }
        var v = 2
        while v < flat.count {
          guard [0, 1, 2].contains(flat[v]) else { throw k.fail("visibility \(CanonicalJSON.number(flat[v])) is not 0, 1 or 2") }
          v += 3
        }
        try inside(flat, k, stride: 3)
        kpShape = .keypoints(flat)
      } else if let nk = try n.optional("num_keypoints")?.int(), nk > 0 {
        throw k.fail("num_keypoints is \(nk) but keypoints is empty")
      }
    }

    var primary: Shape
    var rotation = 0.0
    if let s = segShape { primary = s } else if let k = kpShape { primary = k; kpShape = nil } else {
      guard let b = bbox else { throw n.fail("has no bbox, segmentation or keypoints") }
      // CVAT writes a rotated box's angle as the `rotation` attribute; annot keeps it in the shape.
      if case .number(let r)? = attributes["rotation"] { rotation = r; attributes["rotation"] = nil }
      guard b.w > 0, b.h > 0 else { throw n.fail("box size \(CanonicalJSON.number(b.w))x\(CanonicalJSON.number(b.h)) is not positive") }
      primary = .box(b, rotation: rotation)
    }
    let keptBox: Box? = if case .box = primary { nil } else { bbox }
    var first = Annotation(id: AnnotationID.make(imagePath: image.path, seed: "coco:\(id)"), label: lc.name, shape: primary,
                           bbox: keptBox, attributes: attributes, score: score, crowd: crowd, sourceID: String(id))
    // The source's area is kept when it differs from what annot would derive (COCO's own areas
    // come from pycocotools' polygon rasterisation, not the shoelace sum), and written back.
    if let area, area != COCOExporter.derivedArea(first) { first.sourceArea = area }
    var out = [first]
    if let k = kpShape {
      out.append(Annotation(id: AnnotationID.make(imagePath: image.path, seed: "coco:\(id):keypoints"), label: lc.name, shape: k,
                            bbox: bbox, attributes: attributes, score: score, crowd: crowd, sourceID: String(id)))
    }
    return out
  }

  /// `instances_val2017.json` → `val2017`; `default` (what the exporter writes for items without
  /// a split) and names of other shapes → nil.
  static func split(fromFileName name: String) -> String? {
    for prefix in ["instances_", "person_keypoints_"] where name.hasPrefix(prefix) && name.hasSuffix(".json") {
      let s = String(name.dropFirst(prefix.count).dropLast(5))
      return s.isEmpty || s == "default" ? nil : s
    }
    return nil
  }
  static func isExportName(_ name: String) -> Bool { name == "instances_default.json" || name == "person_keypoints_default.json" }
}
