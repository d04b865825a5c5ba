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

  /// Images handed to the sink per batch: memory holds this many documents (plus the file).
  public let batchSize: Int
  public init(batchSize: Int = 4096) { self.batchSize = max(1, batchSize) }
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
    let sink = CollectingImportSink()
    try streamDataset(from: source, options: options, to: sink)
    return sink.dataset
  }

  /// Streams a COCO file (or directory of split files) to `sink` a batch of images at a time.
  public func streamDataset(from source: URL, options: ImportOptions, to sink: any ImportSink) throws {
    guard FileAccess.isDirectory(source) else {
      let f = try COCOFile(source)
      let classes = try f.classes(options)
      try sink.begin(manifest: DatasetManifest(classes: classes, attributes: options.existingSchema?.attributes ?? []),
                     imageCount: f.elements("images").count)
      var owner: [String: Int]? = nil
      try stream(f, source: source, classes: classes, options: options, fileIndex: 0, owner: &owner, to: sink)
      return
    }
    let files = Self.splitFiles(source)
    guard !files.isEmpty else {
      throw FormatError.invalid(file: source.path, place: "", message: "no annotations/instances_<split>.json in this directory (name the JSON file instead)")
    }
    // The schema comes first: every file's categories are read (and checked against each
    // other) before any image is handed on; then the files are read again one at a time.
    var classes: [Int: LabelClass] = [:]
    var count = 0
    for f in files {
      let one = try COCOFile(f)
      let name = "annotations/" + f.lastPathComponent
      count += one.elements("images").count
      for c in try one.classes(options) {
        if let k = classes[c.id], k.name != c.name {
          throw FormatError.invalid(file: name, place: "categories (id \(c.id))", message: "category \(c.id) is \"\(c.name)\" here but \"\(k.name)\" in another split file")
        }
        if let k = classes.values.first(where: { $0.name == c.name && $0.id != c.id }) {
          throw FormatError.invalid(file: name, place: "categories (id \(c.id))", message: "category \"\(c.name)\" has id \(c.id) here but \(k.id) in another split file")
        }
        classes[c.id] = classes[c.id] ?? c
      }
    }
    let all = classes.values.sorted { $0.id < $1.id }
    try sink.begin(manifest: DatasetManifest(classes: all, attributes: options.existingSchema?.attributes ?? []), imageCount: count)
    var owner: [String: Int]? = [:]
    for (k, f) in files.enumerated() {
      let one = try COCOFile(f)
      try stream(one, source: f, classes: try one.classes(options), options: options, fileIndex: k, owner: &owner, to: sink,
                 displayName: "annotations/" + f.lastPathComponent, fileNames: files.map { "annotations/" + $0.lastPathComponent })
    }
  }

  /// One COCO JSON file, read and scanned: the top level is parsed without building `images`
  /// and `annotations`, whose elements are parsed a batch at a time on all cores, so memory holds
  /// the file and one batch, never a JSON tree of millions of nodes, and the order of the keys in
  /// the file does not matter.
  struct COCOFile {
    let name: String
    let bytes: [UInt8]
    let root: JSONNode
    private let ranges: [String: [Range<Int>]]
    init(_ source: URL) throws {
      name = source.lastPathComponent
      bytes = try FileAccess.read(source, display: name)
      let scanned: (object: JSONValue, elements: [String: [Range<Int>]])
      do { scanned = try JSONParser.scanObject(bytes, arrays: ["images", "annotations"]) } catch {
        throw FormatError.invalid(file: name, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
      }
      root = JSONNode(value: scanned.object, file: name, place: "")
      ranges = scanned.elements
    }
    func elements(_ key: String) -> [Range<Int>] { ranges[key] ?? [] }

    func parse(_ key: String, _ k: Int) throws -> JSONNode {
      do { return JSONNode(value: try JSONParser.parse(bytes, in: elements(key)[k]), file: name, place: "\(key)[\(k)]") }
      catch {
        throw FormatError.invalid(file: name, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
      }
    }

    /// Runs `body` over `indices` of `key`'s elements in batches on all cores; results come back
    /// in the order of `indices`, and the first failure in that order is thrown.
    func convert<T: Sendable>(_ key: String, _ indices: [Int], _ body: @escaping @Sendable (Int, JSONNode) throws -> T) throws -> [T] {
      let batch = 2048
      let starts = Array(stride(from: 0, to: indices.count, by: batch))
      let me = self
      return try ParallelMap.map(starts) { s -> [T] in
        var out: [T] = []
        out.reserveCapacity(min(batch, indices.count - s))
        for j in s..<min(s + batch, indices.count) { out.append(try body(indices[j], try me.parse(key, indices[j]))) }
        return out
      }.flatMap { $0 }
    }

    /// The categories, with their real ids.
    func classes(_ options: ImportOptions) throws -> [LabelClass] {
      var classes: [LabelClass] = []
      var classByID: [Int: LabelClass] = [:]
      for c in try root.optional("categories")?.array() ?? [] {
        let id = try c.required("id").int()
        let place = c.place
        let cn = c.renamed("\(place) (id \(id))")
        let name = try cn.required("name").string()
        guard !name.isEmpty else { throw FormatError.invalid(file: self.name, place: cn.place + ".name", message: "empty category name") }
        guard classByID[id] == nil else { throw FormatError.invalid(file: self.name, place: cn.place + ".id", message: "duplicate category id \(id)") }
        guard !classes.contains(where: { $0.name == name }) else {
          throw FormatError.invalid(file: self.name, place: cn.place + ".name", message: "duplicate category name \"\(name)\"")
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
      return classes
    }
  }

  /// Streams one file in two passes over its annotations. Pass one reads only each annotation's
  /// `id` and `image_id`, checks ids, and groups the annotations by image; pass two converts a
  /// batch of images' annotations at a time on all cores and hands the documents on. Errors name
  /// the file and the place, e.g. `annotations[12] (id 57).bbox`. `owner` (directories only)
  /// maps each image path to the index of the split file that had it.
  func stream(_ f: COCOFile, source: URL, classes: [LabelClass], options: ImportOptions, fileIndex: Int,
              owner: inout [String: Int]?, to sink: any ImportSink, displayName: String? = nil, fileNames: [String] = []) throws {
    let file = f.name
    let root = f.root
    var classByID: [Int: LabelClass] = [:]
    for c in classes { classByID[c.id] = c }
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
    struct Img: Sendable { var id: Int; var place: String; var record: ImageRecord; var file: URL; var header: ImageInfo }
    let imageCount = f.elements("images").count
    let parsedImages = try f.convert("images", Array(0..<imageCount)) { _, im -> Img in
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
      let info = try FileAccess.probeImage(url, root: root, errFile: file, place: n.place + ".file_name", headers: options.headers)
      guard info.width == width, info.height == height else {
        throw FormatError.invalid(file: file, place: n.place, message: "JSON says \(width)x\(height) but \(path) is \(info.width)x\(info.height)")
      }
      return Img(id: id, place: n.place, record: ImageRecord(path: path, width: width, height: height, mediaType: info.mediaType,
                                                             sourceID: String(id), split: split), file: url, header: info)
    }
    // The position of each image id in `parsedImages`.
    var imageIndex: [Int: Int32] = [:]
    imageIndex.reserveCapacity(parsedImages.count)
    var paths = Set<String>()
    paths.reserveCapacity(parsedImages.count)
    for (k, im) in parsedImages.enumerated() {
      guard imageIndex.updateValue(Int32(k), forKey: im.id) == nil else {
        throw FormatError.invalid(file: file, place: im.place + ".id", message: "duplicate image id \(im.id)")
      }
      guard paths.insert(im.record.path).inserted else {
        throw FormatError.invalid(file: file, place: im.place + ".file_name", message: "duplicate file_name \"\(im.record.path)\"")
      }
      if owner != nil {
        if let o = owner![im.record.path] {
          throw FormatError.invalid(file: displayName ?? file, place: "images", message: "image \"\(im.record.path)\" is also in \(fileNames[o])")
        }
        owner![im.record.path] = fileIndex
      }
    }
    paths = []

    // Absent means an image-info file (no labels); null is a broken file, not "no labels".
    if let a = root.optional("annotations"), f.elements("annotations").isEmpty { _ = try a.array() }
    if case .object(let o) = root.value, o["annotations"]?.isNull == true {
      throw FormatError.invalid(file: file, place: "annotations", message: "expected an array, found null")
    }
    let records = parsedImages.map(\.record)
    let classesByID = classByID
    let index = imageIndex
    // Converting one annotation fully: the exact error for a broken one, and pass two.
    let convertOne: @Sendable (Int, JSONNode) throws -> [Annotation] = { k, a in
      let id = try a.required("id").int()
      let n = a.renamed("\(a.place) (id \(id))")
      let imageID = try n.required("image_id").int()
      guard let i = index[imageID] else { throw FormatError.invalid(file: file, place: n.place + ".image_id", message: "no image with id \(imageID)") }
      let catID = try n.required("category_id").int()
      guard let lc = classesByID[catID] else { throw FormatError.invalid(file: file, place: n.place + ".category_id", message: "no category with id \(catID)") }
      return try self.annotations(n, id: id, label: lc, image: records[Int(i)])
    }

    // Pass one: each annotation's id and image, without building it.
    struct Key: Sendable { var id: Int; var image: Int32 }
    let annCount = f.elements("annotations").count
    let bytes = f.bytes, ranges = f.elements("annotations")
    let keys = try ParallelMap.map(Array(stride(from: 0, to: annCount, by: 8192))) { s -> [Key] in
      var out: [Key] = []
      out.reserveCapacity(min(8192, annCount - s))
      for k in s..<min(s + 8192, annCount) {
        let m = JSONParser.members(["id", "image_id"], of: bytes, in: ranges[k])
        if case .number(let id)? = m?["id"], case .number(let img)? = m?["image_id"],
           let exactID = Int(exactly: id), let exactImage = Int(exactly: img), let i = index[exactImage] {
          out.append(Key(id: exactID, image: i))
        } else {
          _ = try convertOne(k, try f.parse("annotations", k))   // throws the precise error
          preconditionFailure("annotation \(k) converts but its id or image_id could not be read")
        }
      }
      return out
    }.flatMap { $0 }
    // Duplicate ids: the first repeat in file order is reported, as a reader going through the
    // file would find it.
    var byID = Array(0..<annCount)
    byID.sort { keys[$0].id != keys[$1].id ? keys[$0].id < keys[$1].id : $0 < $1 }
    var firstRepeat: Int?
    for j in byID.indices.dropFirst() where keys[byID[j]].id == keys[byID[j - 1]].id {
      firstRepeat = min(firstRepeat ?? Int.max, byID[j])
    }
    byID = []
    if let r = firstRepeat {
      throw FormatError.invalid(file: file, place: "annotations[\(r)] (id \(keys[r].id)).id", message: "duplicate annotation id \(keys[r].id)")
    }
    // Annotations grouped by image, in file order within each image (a stable counting sort).
    var start = [Int](repeating: 0, count: parsedImages.count + 1)
    for key in keys { start[Int(key.image) + 1] += 1 }
    for i in 0..<parsedImages.count { start[i + 1] += start[i] }
    var grouped = [Int](repeating: 0, count: annCount)
    var fill = start
    for (k, key) in keys.enumerated() { grouped[fill[Int(key.image)]] = k; fill[Int(key.image)] += 1 }
    fill = []

    // Pass two: a batch of images at a time. With a conversion memo, each image's source key
    // hashes everything its conversion reads: this code's version, the categories, the image
    // record (file name, size and media type from the header, split), and the bytes of its
    // annotations in file order. A known key skips the conversion.
    let memo = options.conversions
    let starts = start, order = grouped
    let classTag: [UInt8] = {
      let d = Digest.sha1()
      d.update(Array("annot coco conversion \(Self.conversionVersion)\u{0}".utf8))
      d.update(DatasetManifest(classes: classes).canonicalBytes())
      return d.finish()
    }()
    for b in stride(from: 0, to: parsedImages.count, by: batchSize) {
      let e = min(b + batchSize, parsedImages.count)
      struct Known: Sendable { var key: ObjectID?; var hit: (digest: ObjectID, annotations: Int)? }
      let known: [Known] = memo == nil ? Array(repeating: Known(), count: e - b) : try ParallelMap.map(Array(b..<e)) { i -> Known in
        let d = Digest.sha1()
        d.update(classTag)
        d.update(LabelDocument(image: records[i]).canonicalBytes())
        for j in starts[i]..<starts[i + 1] {
          let r = ranges[order[j]]
          var n = UInt32(r.count).littleEndian
          withUnsafeBytes(of: &n) { d.update(Array($0)) }
          bytes.withUnsafeBufferPointer { d.update(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[r])) }
        }
        let key = ObjectID(bytes: d.finish())
        return Known(key: key, hit: memo!.converted(key))
      }
      var anns: [Int] = []
      for i in b..<e where known[i - b].hit == nil { anns += grouped[start[i]..<start[i + 1]] }
      let converted = try f.convert("annotations", anns, convertOne)
      var items: [ImportedItem] = []
      items.reserveCapacity(e - b)
      var j = 0
      for i in b..<e {
        let k = known[i - b]
        if let hit = k.hit {
          let mine = Array(grouped[start[i]..<start[i + 1]])
          let record = records[i]
          var item = ImportedItem(document: LabelDocument(image: record), imageFile: parsedImages[i].file)
          item.header = parsedImages[i].header
          item.sourceKey = k.key
          item.skipped = .init(digest: hit.digest, annotations: hit.annotations) {
            LabelDocument(image: record, annotations: try f.convert("annotations", mine, convertOne).flatMap { $0 })
          }
          items.append(item)
          continue
        }
        var list: [Annotation] = []
        list.reserveCapacity(start[i + 1] - start[i])
        for _ in start[i]..<start[i + 1] { list += converted[j]; j += 1 }
        var item = ImportedItem(document: LabelDocument(image: parsedImages[i].record, annotations: list), imageFile: parsedImages[i].file)
        item.header = parsedImages[i].header
        item.sourceKey = k.key
        items.append(item)
      }
      try sink.consume(items)
    }
  }

  /// Bump when converting a COCO annotation changes (fields read, checks, ids): recorded
  /// conversions of earlier imports then no longer match.
  public static let conversionVersion = 1

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
