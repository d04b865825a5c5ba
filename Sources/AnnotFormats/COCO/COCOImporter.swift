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
    // Kept for every image until the end, so only what cannot be derived: the file's path is
    // its root's plus the record's path, the header is the record's size and type plus a depth,
    // and the place in the file is the element's index.
    struct Img: Sendable {
      var id: Int; var record: ImageRecord; var root: UInt8; var bitDepth: UInt8; var stat: FileStat?
      var header: ImageInfo { ImageInfo(width: record.width, height: record.height, mediaType: record.mediaType, bitDepth: Int(bitDepth)) }
    }
    func place(_ k: Int, _ im: Img) -> String { "images[\(k)] (id \(im.id))" }
    // Paths as strings: a URL per image and candidate cost more than the checks themselves.
    let roots = candidates.map(\.path)
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
      // The first root that has the file; its lstat goes on to the probe.
      var st = stat()
      var found: (root: String, file: String, index: Int)?
      for (k, r) in roots.enumerated() {
        let f = r.hasSuffix("/") ? r + path : r + "/" + path
        if lstat(f, &st) == 0 { found = (r, f, k); break }
      }
      guard let found else {
        throw FormatError.invalid(file: file, place: n.place + ".file_name",
                                  message: "image file \"\(path)\" not found in \(roots.joined(separator: ", "))")
      }
      let (info, fileStat) = try FileAccess.probeImage(atPath: found.file, root: found.root, errFile: file, place: n.place + ".file_name",
                                                       headers: options.headers, lstat: st)
      guard info.width == width, info.height == height else {
        throw FormatError.invalid(file: file, place: n.place, message: "JSON says \(width)x\(height) but \(path) is \(info.width)x\(info.height)")
      }
      return Img(id: id, record: ImageRecord(path: path, width: width, height: height, mediaType: info.mediaType, sourceID: String(id), split: split),
                 root: UInt8(found.index), bitDepth: UInt8(clamping: info.bitDepth), stat: fileStat)
    }
    // The position of each image id in `parsedImages`.
    var imageIndex: [Int: Int32] = [:]
    imageIndex.reserveCapacity(parsedImages.count)
    var paths = Set<String>()
    paths.reserveCapacity(parsedImages.count)
    for (k, im) in parsedImages.enumerated() {
      guard imageIndex.updateValue(Int32(k), forKey: im.id) == nil else {
        throw FormatError.invalid(file: file, place: place(k, im) + ".id", message: "duplicate image id \(im.id)")
      }
      guard paths.insert(im.record.path).inserted else {
        throw FormatError.invalid(file: file, place: place(k, im) + ".file_name", message: "duplicate file_name \"\(im.record.path)\"")
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
    let images = parsedImages
    func filePath(_ im: Img) -> String { let r = roots[Int(im.root)]; return r.hasSuffix("/") ? r + im.record.path : r + "/" + im.record.path }
    let classesByID = classByID
    let index = imageIndex
    // Converting one annotation fully: the exact error for a broken one, and pass two.
    let convertOne: @Sendable (Int, JSONNode) throws -> [Annotation] = { k, a in
      let id = try a.required("id").int()
      let n = a.withID(id)
      let imageID = try n.required("image_id").int()
      guard let i = index[imageID] else { throw FormatError.invalid(file: file, place: n.place + ".image_id", message: "no image with id \(imageID)") }
      let catID = try n.required("category_id").int()
      guard let lc = classesByID[catID] else { throw FormatError.invalid(file: file, place: n.place + ".category_id", message: "no category with id \(catID)") }
      return try self.annotations(n, id: id, label: lc, image: images[Int(i)].record)
    }

    // Pass one: each annotation's id and image, without building it.
    struct Key: Sendable { var id: Int; var image: Int32 }
    let annCount = f.elements("annotations").count
    // Positions are kept as Int32 (4 bytes an annotation); only a raised input limit could pass this.
    guard annCount < Int(Int32.max), imageCount < Int(Int32.max) else {
      throw FormatError.invalid(file: file, place: "annotations", message: "more than \(Int32.max) elements")
    }
    var keys = try ParallelMap.map(Array(stride(from: 0, to: annCount, by: 8192))) { s -> [Key] in
      try f.withElements("annotations", Array(s..<min(s + 8192, annCount))) { j, buf -> Key in
        // The same integer rule as the full conversion (`intValue`), so what fails here fails there.
        if let (id, img) = JSONParser.integerMembers("id", "image_id", of: buf), let i = index[img] {
          return Key(id: id, image: i)
        }
        let k = s + j
        _ = try convertOne(k, try f.node("annotations", k, buf))   // throws the precise error
        throw FormatError.invalid(file: file, place: "annotations[\(k)]", message: "id or image_id cannot be read")
      }
    }.flatMap { $0 }
    // Duplicate ids: the first repeat in file order is reported, as a reader going through the
    // file would find it.
    // Sorting the bare ids finds whether there is one; only then is the first found.
    var sortedIDs = keys.map(\.id)
    sortedIDs.sort()
    let anyRepeat = sortedIDs.indices.dropFirst().contains { sortedIDs[$0] == sortedIDs[$0 - 1] }
    sortedIDs = []
    if anyRepeat {
      var byID = Array(0..<annCount)
      byID.sort { keys[$0].id != keys[$1].id ? keys[$0].id < keys[$1].id : $0 < $1 }
      var r = Int.max
      for j in byID.indices.dropFirst() where keys[byID[j]].id == keys[byID[j - 1]].id { r = min(r, byID[j]) }
      throw FormatError.invalid(file: file, place: "annotations[\(r)] (id \(keys[r].id)).id", message: "duplicate annotation id \(keys[r].id)")
    }
    // Annotations grouped by image, in file order within each image (a stable counting sort).
    var start = [Int](repeating: 0, count: parsedImages.count + 1)
    for key in keys { start[Int(key.image) + 1] += 1 }
    for i in 0..<parsedImages.count { start[i + 1] += start[i] }
    var grouped = [Int32](repeating: 0, count: annCount)
    var fill = start
    for (k, key) in keys.enumerated() { grouped[fill[Int(key.image)]] = Int32(k); fill[Int(key.image)] += 1 }
    fill = []
    keys = []   // 16 bytes an annotation, 160 MB at 10M, not needed past this point

    // Pass two: a batch of images at a time. With a conversion memo, each image's source key
    // hashes everything its conversion reads: this code's version, the categories, the image
    // record (file name, size and media type from the header, split), and the bytes of its
    // annotations in file order. A known key skips the conversion.
    let memo = options.conversions
    let starts = start, order = grouped
    let classTag: [UInt8] = {
      let d = Digest.sha1()
      d.update(Array("annot coco conversion \(Self.conversionVersion)\u{0}".utf8))
      // Only what converting reads of a category: its id, name and keypoints (colours and
      // attributes come from the repository's schema and change between first and later imports).
      d.update(DatasetManifest(classes: classes.map { LabelClass(id: $0.id, name: $0.name, keypoints: $0.keypoints) }).canonicalBytes())
      return d.finish()
    }()
    for b in stride(from: 0, to: parsedImages.count, by: batchSize) {
      let e = min(b + batchSize, parsedImages.count)
      struct Known: Sendable { var key: ObjectID?; var hit: (digest: ObjectID, annotations: Int)? }
      // Keys a few hundred images at a time, so their annotations are read in one or a few spans.
      let known: [Known] = memo == nil ? Array(repeating: Known(), count: e - b)
        : try ParallelMap.map(Array(stride(from: b, to: e, by: 256))) { c -> [Known] in
          let chunk = c..<min(c + 256, e)
          let digests = chunk.map { i -> Digest in
            let d = Digest.sha1()
            d.update(classTag)
            d.update(LabelDocument(image: images[i].record).canonicalBytes())
            return d
          }
          // The annotations of these images in image order, each hashed into its image's digest.
          var owner: [Int] = []
          for i in chunk { owner += Array(repeating: i - c, count: starts[i + 1] - starts[i]) }
          _ = try f.withElements("annotations", order[starts[c]..<starts[chunk.upperBound]].map(Int.init)) { j, buf in
            let d = digests[owner[j]]
            var n = UInt32(buf.count).littleEndian
            withUnsafeBytes(of: &n) { d.update(Array($0)) }
            d.update(UnsafeRawBufferPointer(buf))
          }
          return digests.map { d in
            let key = ObjectID(bytes: d.finish())
            return Known(key: key, hit: memo!.converted(key))
          }
        }.flatMap { $0 }
      var anns: [Int] = []
      for i in b..<e where known[i - b].hit == nil { anns += grouped[start[i]..<start[i + 1]].map(Int.init) }
      let converted = try f.convert("annotations", anns, convertOne)
      var items: [ImportedItem] = []
      items.reserveCapacity(e - b)
      var j = 0
      for i in b..<e {
        let k = known[i - b]
        if let hit = k.hit {
          let mine = grouped[start[i]..<start[i + 1]].map(Int.init)
          let record = images[i].record
          var item = ImportedItem(document: LabelDocument(image: record), imageFilePath: filePath(images[i]))
          item.header = parsedImages[i].header
          item.fileStat = parsedImages[i].stat
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
        var item = ImportedItem(document: LabelDocument(image: images[i].record, annotations: list), imageFilePath: filePath(images[i]))
        item.header = parsedImages[i].header
        item.fileStat = parsedImages[i].stat
        item.sourceKey = k.key
        items.append(item)
      }
      try sink.consume(items)
    }
  }

  /// Bump when converting a COCO annotation changes (fields read, checks, ids): recorded
  /// conversions of earlier imports then no longer match.
  public static let conversionVersion = 1


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
