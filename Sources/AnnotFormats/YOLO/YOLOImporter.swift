import Foundation
import AnnotModel
import AnnotMedia

/// Reads YOLO datasets: the Ultralytics layout (`data.yaml`, `images/<split>/`,
/// `labels/<split>/*.txt`, detect and segment lines) and the darknet layout (`obj.names`,
/// `obj.data`, `train.txt`, labels beside the images). The source is the dataset directory
/// or its `data.yaml`. Image sizes come from the image headers (ImageProbe).
///
/// Dataset paths are the image paths relative to the dataset root with a leading `images/`
/// removed (`images/train/a.jpg` → `train/a.jpg`); the split is the data.yaml key
/// (`train`, `val`, `test`; darknet `valid` → `val`).
public struct YOLOImporter: DatasetImporter {
  /// Normalised coordinates may leave [0, 1] by this many pixels of the image; more is an error.
  public static let tolerance = 0.5
  static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff"]

  public init() {}
  public var name: String { "yolo" }
  public var summary: String { "YOLO / Ultralytics (data.yaml, detect and segment) and darknet (obj.names, train.txt)" }

  /// High for a directory with `data.yaml`/`data.yml` or `obj.names`, or a `data.yaml` file;
  /// medium for a directory with `images/` and `labels/` folders.
  public func detect(_ source: URL) -> DetectionConfidence {
    if FileAccess.isRegularFile(source) {
      return ["yaml", "yml"].contains(source.pathExtension.lowercased()) ? .high : .none
    }
    guard FileAccess.isDirectory(source) else { return .none }
    for n in ["data.yaml", "data.yml", "obj.names", "obj.data"] where FileAccess.isRegularFile(source.appendingPathComponent(n)) { return .high }
    if FileAccess.isDirectory(source.appendingPathComponent("images")) && FileAccess.isDirectory(source.appendingPathComponent("labels")) {
      return .medium
    }
    return .none
  }

  /// `detect`, with what was missing when it says none.
  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    let c = detect(source)
    return (c, c == .none ? "no data.yaml, obj.names/obj.data, or images/ and labels/ folders" : "")
  }

  public func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset {
    let sink = CollectingImportSink()
    try streamDataset(from: source, options: options, to: sink)
    return sink.dataset
  }

  /// Reads the class names and the image list first (a plan), then the images' headers and
  /// label files a batch at a time on all cores, handing each batch to `sink`.
  public func streamDataset(from source: URL, options: ImportOptions, to sink: any ImportSink) throws {
    let plan: Plan
    if FileAccess.isRegularFile(source) {
      plan = try ultralytics(yaml: source, root: source.deletingLastPathComponent(), options: options)
    } else if let n = ["data.yaml", "data.yml"].first(where: { FileAccess.isRegularFile(source.appendingPathComponent($0)) }) {
      plan = try ultralytics(yaml: source.appendingPathComponent(n), root: source, options: options)
    } else if FileAccess.isRegularFile(source.appendingPathComponent("obj.names")) || FileAccess.isRegularFile(source.appendingPathComponent("obj.data")) {
      plan = try darknet(root: source, options: options)
    } else {
      throw FormatError.invalid(file: source.path, place: "", message: "no data.yaml or obj.names: YOLO class names are unknown")
    }
    try sink.begin(manifest: manifest(plan.names, options), imageCount: plan.jobs.count)
    for w in plan.warnings { sink.warn(w) }
    let batch = 4096
    for b in stride(from: 0, to: plan.jobs.count, by: batch) {
      let jobs = Array(plan.jobs[b..<min(b + batch, plan.jobs.count)])
      let names = plan.names, root = plan.root, headers = options.headers
      try sink.consume(try ParallelMap.map(jobs) { j in
        try self.item(root: root, imageRel: j.imageRel, labelRel: j.labelRel, datasetPath: j.datasetPath, split: j.split, names: names,
                      headers: headers)
      })
    }
  }

  /// What a YOLO dataset holds, before any image or label file is read.
  struct Plan {
    var root: URL
    var names: [String]
    var jobs: [Job] = []
    var warnings: [String] = []
  }
  struct Job: Sendable { var imageRel: String; var labelRel: String; var datasetPath: String; var split: String }

  // MARK: Ultralytics

  func ultralytics(yaml: URL, root yamlDir: URL, options: ImportOptions) throws -> Plan {
    let file = yaml.lastPathComponent
    guard let text = String(validating: try FileAccess.read(yaml, display: file), as: UTF8.self) else {
      throw FormatError.invalid(file: file, place: "", message: "not UTF-8 text")
    }
    let data = try YOLODataYAML.parse(text, file: file)
    if data.has("kpt_shape") { throw FormatError.invalid(file: file, place: "kpt_shape", message: "pose (keypoint) datasets are not supported") }
    for k in data.unreadable.intersection(["names", "train", "val", "test", "path", "nc"]) {
      throw FormatError.invalid(file: file, place: k, message: "expected a scalar, a list or a flat map")
    }

    let names: [String]
    switch data["names"] {
    case .list(let l)?: names = l
    case .map(let m)?:
      var byIndex: [Int: String] = [:]
      for (k, v) in m {
        guard let i = Int(k), i >= 0 else { throw FormatError.invalid(file: file, place: "names", message: "key '\(k)' is not a class index") }
        guard byIndex.updateValue(v, forKey: i) == nil else { throw FormatError.invalid(file: file, place: "names", message: "duplicate index \(i)") }
      }
      guard Set(byIndex.keys) == Set(0..<byIndex.count) else {
        throw FormatError.invalid(file: file, place: "names", message: "indices must be 0...\(byIndex.count - 1) without gaps")
      }
      names = (0..<byIndex.count).map { byIndex[$0]! }
    case .scalar?: throw FormatError.invalid(file: file, place: "names", message: "expected a list or an index: name map")
    case nil: throw FormatError.invalid(file: file, place: "names", message: "missing")
    }
    if case .scalar(let nc)? = data["nc"] {
      guard Int(nc) == names.count else { throw FormatError.invalid(file: file, place: "nc", message: "nc is \(nc) but names has \(names.count) entries") }
    }
    try checkNames(names, file: file)

    var root = yamlDir
    if case .scalar(let p)? = data["path"], !p.isEmpty {
      root = p.hasPrefix("/") ? URL(fileURLWithPath: p) : yamlDir.appendingPathComponent(p)
    }
    root = root.standardizedFileURL
    var splits: [(String, [String])] = []
    for key in ["train", "val", "test"] {
      switch data[key] {
      case .scalar(let s)? where !s.isEmpty: splits.append((key, [s]))
      case .list(let l)?: splits.append((key, l))
      default: break
      }
    }
    if splits.isEmpty {   // no split keys: every folder under images/ is a split
      for e in try FileAccess.list(root.appendingPathComponent("images"), display: "images") where e.isDirectory {
        splits.append((e.name, ["images/\(e.name)"]))
      }
    }

    var listed: [(split: String, rel: String)] = []
    // A data.yaml may name one folder for several splits (Ultralytics needs `val`, so a dataset
    // without one points it at train): read each folder once, under its first split.
    var readSources = Set<String>()
    for (split, entries) in splits {
      for entry in entries {
        var url = entry.hasPrefix("/") ? URL(fileURLWithPath: entry) : root.appendingPathComponent(entry)
        // Ultralytics' own fallback for Roboflow-style `../train/images`.
        if !FileAccess.exists(url), entry.hasPrefix("../") { url = root.appendingPathComponent(String(entry.dropFirst(3))) }
        url = url.standardizedFileURL
        guard readSources.insert(url.path).inserted else { continue }
        guard let rel = relative(url, to: root) else {
          throw FormatError.invalid(file: file, place: split, message: "'\(entry)' is outside the dataset root \(root.path)")
        }
        if FileAccess.isDirectory(url) {
          for f in try FileAccess.walk(url, display: rel) where Self.imageExtensions.contains((f as NSString).pathExtension.lowercased()) {
            listed.append((split, rel.isEmpty ? f : rel + "/" + f))
          }
        } else if url.pathExtension.lowercased() == "txt" {
          listed += try listFile(url, display: rel, root: root).map { (split, $0) }
        } else {
          throw FormatError.invalid(file: file, place: split, message: "'\(entry)' is not a directory or a .txt image list")
        }
      }
    }

    var plan = Plan(root: root, names: names)
    var seen: [String: String] = [:]
    for (split, rel) in listed {
      if let first = seen[rel] { plan.warnings.append("\(rel): listed in \(first) and \(split); kept in \(first)"); continue }
      seen[rel] = split
      plan.jobs.append(Job(imageRel: rel, labelRel: Self.labelPath(forImage: rel), datasetPath: Self.datasetPath(rel), split: split))
    }
    return plan
  }

  /// Ultralytics' img2label_paths: the last `/images/` becomes `/labels/`, the extension `.txt`.
  static func labelPath(forImage rel: String) -> String {
    let slashed = "/" + rel
    var out = slashed
    if let r = slashed.range(of: "/images/", options: .backwards) { out.replaceSubrange(r, with: "/labels/") }
    return String((out as NSString).deletingPathExtension.dropFirst()) + ".txt"
  }

  static func datasetPath(_ rel: String) -> String { rel.hasPrefix("images/") ? String(rel.dropFirst(7)) : rel }

  // MARK: Darknet

  func darknet(root: URL, options: ImportOptions) throws -> Plan {
    var config: [String: String] = [:]
    var configOrder: [String] = []
    let dataURL = root.appendingPathComponent("obj.data")
    if FileAccess.isRegularFile(dataURL) {
      let text = String(decoding: try FileAccess.read(dataURL, display: "obj.data"), as: UTF8.self)
      for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
        let t = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty || t.hasPrefix("#") { continue }
        guard let eq = t.firstIndex(of: "=") else { throw FormatError.invalid(file: "obj.data", place: "line \(n + 1)", message: "expected 'key = value'") }
        let key = t[..<eq].trimmingCharacters(in: .whitespaces)
        guard config[key] == nil else { throw FormatError.invalid(file: "obj.data", place: "line \(n + 1)", message: "duplicate key '\(key)'") }
        config[key] = t[t.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        configOrder.append(key)
      }
    }
    func resolve(_ p: String) -> URL {
      let u = root.appendingPathComponent(p)
      // Darknet configs name files from darknet's working directory, usually `data/…`.
      if !FileAccess.exists(u), p.hasPrefix("data/") { return root.appendingPathComponent(String(p.dropFirst(5))) }
      return u
    }
    let namesURL = config["names"].map(resolve) ?? root.appendingPathComponent("obj.names")
    let namesFile = relative(namesURL.standardizedFileURL, to: root) ?? namesURL.path
    let names = String(decoding: try FileAccess.read(namesURL, display: namesFile), as: UTF8.self)
      .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    try checkNames(names, file: namesFile)
    if let c = config["classes"], Int(c) != names.count {
      throw FormatError.invalid(file: "obj.data", place: "classes", message: "classes is \(c) but \(namesFile) has \(names.count) names")
    }

    // Every key but darknet's own settings names a split's image list (Datumaro writes the
    // subset name, `val = data/val.txt`; darknet writes `valid`). A named list that is missing
    // is an error: a split must never disappear quietly.
    var listed: [(split: String, rel: String)] = []
    var splitKeys = configOrder.filter { !Self.darknetSettings.contains($0) }
    if config["train"] == nil, FileAccess.isRegularFile(root.appendingPathComponent("train.txt")) { splitKeys.insert("train", at: 0) }
    var warnings: [String] = []
    for key in splitKeys {
      let split = key == "valid" ? "val" : key
      if let why = DatasetPath.validate(split) ?? (split.contains("/") ? "contains '/'" : nil) {
        throw FormatError.invalid(file: "obj.data", place: key, message: "split name \"\(split)\" cannot be used: \(why)")
      }
      let value = config[key] ?? "train.txt"
      var url = resolve(value)
      // Lists named from darknet's own folder (`/home/u/darknet/data/train.txt`) are looked up by
      // their file name in the dataset root.
      if !FileAccess.isRegularFile(url), FileAccess.isRegularFile(root.appendingPathComponent(url.lastPathComponent)) {
        url = root.appendingPathComponent(url.lastPathComponent)
      }
      guard FileAccess.isRegularFile(url) else {
        throw FormatError.invalid(file: "obj.data", place: key, message: "image list '\(value)' not found (looked for \(url.path))")
      }
      guard url.pathExtension.lowercased() == "txt" else {
        warnings.append("obj.data: \(key) = \(value): not a .txt image list; skipped")
        continue
      }
      let before = listed.count
      listed += try listFile(url.standardizedFileURL, display: relative(url.standardizedFileURL, to: root) ?? url.path, root: root).map { (split, $0) }
      if listed.count == before { warnings.append("obj.data: \(key) = \(value): the list names no images") }
    }
    if listed.isEmpty {   // no list files: every image with a .txt beside it
      for f in try FileAccess.walk(root, display: root.lastPathComponent)
      where Self.imageExtensions.contains((f as NSString).pathExtension.lowercased())
        && FileAccess.isRegularFile(root.appendingPathComponent((f as NSString).deletingPathExtension + ".txt")) {
        listed.append(("train", f))
      }
    }
    var plan = Plan(root: root, names: names, warnings: warnings)
    var seen: [String: String] = [:]
    for (split, rel) in listed {
      if let first = seen[rel] { plan.warnings.append("\(rel): listed in \(first) and \(split); kept in \(first)"); continue }
      seen[rel] = split
      plan.jobs.append(Job(imageRel: rel, labelRel: (rel as NSString).deletingPathExtension + ".txt", datasetPath: rel, split: split))
    }
    return plan
  }

  /// obj.data keys that are darknet settings, not split lists (Datumaro's reserved keys plus
  /// darknet's own `results`, `eval`, `backup`).
  static let darknetSettings: Set<String> = ["classes", "names", "backup", "results", "eval", "top"]

  // MARK: Shared

  func checkNames(_ names: [String], file: String) throws(FormatError) {
    var seen = Set<String>()
    for (i, n) in names.enumerated() {
      guard !n.isEmpty else { throw FormatError.invalid(file: file, place: "names[\(i)]", message: "empty class name") }
      guard seen.insert(n).inserted else { throw FormatError.invalid(file: file, place: "names[\(i)]", message: "duplicate class name \"\(n)\"") }
    }
  }

  /// Classes keep the repository's ids for known names; new ones take their YOLO index if free.
  func manifest(_ names: [String], _ options: ImportOptions) -> DatasetManifest {
    var preferred: [String: Int] = [:]
    for (i, n) in names.enumerated() { preferred[n] = i }
    return SchemaBuilder.manifest(names: names, existing: options.existingSchema, preferred: preferred)
  }

  /// Image paths from a list file (one per line, relative to the root, `./` and `data/` allowed).
  func listFile(_ url: URL, display: String, root: URL) throws(FormatError) -> [String] {
    guard let text = String(validating: try FileAccess.read(url, display: display, inside: root), as: UTF8.self) else {
      throw FormatError.invalid(file: display, place: "", message: "not UTF-8 text")
    }
    var out: [String] = []
    for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      var p = line.trimmingCharacters(in: .whitespacesAndNewlines)
      if p.isEmpty { continue }
      while p.hasPrefix("./") { p.removeFirst(2) }
      // Absolute entries (darknet lists written on another machine) are made relative to the
      // dataset root: the part inside it, else the longest trailing part naming a file there.
      if p.hasPrefix("/"), let rel = ImportChecks.relativeToRoot(p, root: root) { p = rel }
      if !FileAccess.exists(root.appendingPathComponent(p)), p.hasPrefix("data/") { p.removeFirst(5) }
      if let why = DatasetPath.validate(p) {
        throw FormatError.invalid(file: display, place: "line \(n + 1)", message: "invalid image path \"\(p)\": \(why)")
      }
      out.append(p)
    }
    return out
  }

  /// One image and its label file (missing label file = no objects, as in Ultralytics).
  func item(root: URL, imageRel: String, labelRel: String, datasetPath: String, split: String, names: [String],
            headers: (any HeaderCache)? = nil) throws -> ImportedItem {
    if let why = DatasetPath.validate(datasetPath) {
      throw FormatError.invalid(file: imageRel, place: "", message: "invalid image path: \(why)")
    }
    let imageURL = root.appendingPathComponent(imageRel)
    let (info, fileStat) = try FileAccess.probeImage(atPath: imageURL.path, root: root.path, errFile: imageRel, place: "", headers: headers)
    var record = ImageRecord(path: datasetPath, width: info.width, height: info.height, mediaType: info.mediaType, split: split)
    record.split = split
    var annotations: [Annotation] = []
    let labelURL = root.appendingPathComponent(labelRel)
    if FileAccess.exists(labelURL) {
      guard let text = String(validating: try FileAccess.read(labelURL, display: labelRel, inside: root), as: UTF8.self) else {
        throw FormatError.invalid(file: labelRel, place: "", message: "not UTF-8 text")
      }
      annotations = try Self.parseLabels(text, file: labelRel, image: record, names: names)
    }
    var out = ImportedItem(document: LabelDocument(image: record, annotations: annotations), imageFilePath: imageURL.path)
    out.header = info
    out.fileStat = fileStat
    return out
  }

  /// Label lines: `class cx cy w h [score]` (detect) or `class x1 y1 x2 y2 …` (segment, ≥ 3 points),
  /// all normalised to the image size. Ids derive from the content (see `ContentIDs`).
  static func parseLabels(_ text: String, file: String, image: ImageRecord, names: [String]) throws(FormatError) -> [Annotation] {
    let W = Double(image.width), H = Double(image.height)
    var out: [Annotation] = []
    var ids = ContentIDs()
    for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
      if fields.isEmpty { continue }
      func fail(_ m: String) -> FormatError { .invalid(file: file, place: "line \(n + 1)", message: m) }
      guard let cls = Int(fields[0]) else { throw fail("class index '\(fields[0])' is not an integer") }
      guard cls >= 0, cls < names.count else { throw fail("class index \(cls) is not in names (0...\(names.count - 1))") }
      var v: [Double] = []
      for f in fields.dropFirst() {
        guard let d = Double(f), d.isFinite else { throw fail("'\(f)' is not a finite number") }
        v.append(d)
      }
      func check(_ x: Double, _ size: Double) throws(FormatError) {
        guard x >= -tolerance / size, x <= 1 + tolerance / size else {
          throw fail("coordinate \(CanonicalJSON.number(x)) is outside [0, 1] by more than \(tolerance) px")
        }
      }
      var shape: Shape
      var score: Double?
      if v.count == 4 || v.count == 5 {
        guard v[2] > 0, v[3] > 0 else { throw fail("box size must be positive") }
        let x0 = v[0] - v[2] / 2, y0 = v[1] - v[3] / 2
        try check(x0, W); try check(y0, H); try check(x0 + v[2], W); try check(y0 + v[3], H)
        shape = .box(Box(x: x0 * W, y: y0 * H, w: v[2] * W, h: v[3] * H), rotation: 0)
        if v.count == 5 { score = v[4] }
      } else if v.count >= 6 && v.count % 2 == 0 {
        var flat: [Double] = []
        for k in stride(from: 0, to: v.count, by: 2) {
          try check(v[k], W); try check(v[k + 1], H)
          flat.append(v[k] * W); flat.append(v[k + 1] * H)
        }
        shape = .polygon([flat])
      } else {
        throw fail("expected 4 box values (cx cy w h) or an even number (at least 6) of polygon coordinates, found \(v.count)")
      }
      var a = Annotation(id: "", label: names[cls], shape: shape, score: score)
      ids.assign(&a, imagePath: image.path)
      out.append(a)
    }
    return out
  }

  /// `url` relative to `root` ("" for the root itself), nil if outside.
  func relative(_ url: URL, to root: URL) -> String? {
    let r = root.standardizedFileURL.path, p = url.standardizedFileURL.path
    if p == r { return "" }
    let prefix = r.hasSuffix("/") ? r : r + "/"
    return p.hasPrefix(prefix) ? String(p.dropFirst(prefix.count)) : nil
  }
}
