import Foundation
import AnnotModel

/// Reads a Label Studio JSON export: a list of tasks, each with `data.image` and
/// `annotations[].result[]`.
///
/// Source: the JSON file, or a directory holding `labelstudio.json`. Image paths from
/// `data.image`: `/data/local-files/?d=REL` → `REL`; `/data/upload/N/NAME` → `NAME` (kept as
/// Label Studio stored it, hash prefix included); `http(s)://…`, `s3://…`, `gs://…` → the URL's
/// last path component; anything else is used as given. The result is percent-decoded and
/// must be a relative dataset path (no `..`, not absolute). Image files are found under
/// `--images`, else beside the JSON file.
///
/// Regions (`rectanglelabels`, `polygonlabels`, `keypointlabels` → one-point `points`,
/// `ellipselabels`, `brushlabels` → COCO mask) carry exactly one label. Their percent
/// coordinates become pixels (`pct × size / 100`) rounded to 1/10000 px, which removes the
/// float noise of the percent round trip. Rectangles rotate about their top-left corner in
/// Label Studio; annot rotates about the centre, so the corner is moved accordingly.
/// `choices`/`textarea`/`number`/`rating` results sharing a region's `id` become that region's
/// attributes (named by `from_name`); `choices` without a region become tag annotations (one
/// per choice); `textarea`/`number`/`rating` without a region become image attributes.
/// Annotation ids: `AnnotationID.make(imagePath:, seed: "labelstudio:<region id>")` (tags:
/// `"labelstudio:<id>/<choice>"`); `sourceID` keeps the region id. Cancelled annotations and
/// predictions are skipped. The image size comes from the regions' `original_width`/`height`,
/// or, for a task without regions, from the image header (AnnotMedia's ImageProbe).
public struct LabelStudioImporter: DatasetImporter {
  public init() {}
  /// `"labelstudio"`.
  public var name: String { "labelstudio" }
  /// One line for `annot formats`.
  public var summary: String { "Label Studio JSON: rectangles, polygons, keypoints, ellipses, brush masks, choices" }

  static let regionTypes: Set<String> = ["rectanglelabels", "polygonlabels", "keypointlabels", "ellipselabels", "brushlabels"]

  /// High for a `.json` file whose text starts with `[` and has `"data"` and `"annotations"`
  /// or `"predictions"` near the start; also for a directory's `labelstudio.json`.
  public func detect(_ source: URL) -> DetectionConfidence {
    guard let file = Self.jsonFile(source), let h = FileHandle(forReadingAtPath: file.path) else { return .none }
    defer { try? h.close() }
    guard let d = try? h.read(upToCount: 65536) else { return .none }
    let text = String(decoding: d, as: UTF8.self)
    guard text.drop(while: { $0.isWhitespace }).first == "[", text.contains("\"data\"") else { return .none }
    return text.contains("\"annotations\"") || text.contains("\"predictions\"") ? .high : .low
  }

  /// `detect`, with what was missing when it says none.
  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    let c = detect(source)
    return (c, c == .none ? "not a JSON list of tasks with data and annotations (or a directory with labelstudio.json)" : "")
  }

  static func jsonFile(_ source: URL) -> URL? {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDir) else { return nil }
    if isDir.boolValue {
      let f = source.appendingPathComponent("labelstudio.json")
      return FileManager.default.fileExists(atPath: f.path) ? f : nil
    }
    return source.pathExtension.lowercased() == "json" ? source : nil
  }

  /// `data.image` → dataset path, by the rules in the type's documentation (not yet validated).
  public static func imagePath(fromURL raw: String) -> String {
    var s = raw
    // Label Studio's local-files URL, with or without a host (`http://host/data/local-files/?d=…`),
    // and a bare `?d=…`; the value ends at `&`.
    if let q = s.range(of: "?d="), s[..<q.lowerBound].isEmpty || s[..<q.lowerBound].hasSuffix("local-files") || s[..<q.lowerBound].hasSuffix("local-files/") {
      s = String(s[q.upperBound...])
      if let amp = s.firstIndex(of: "&") { s = String(s[..<amp]) }
    } else if s.hasPrefix("/data/upload/") {
      let rest = s.dropFirst("/data/upload/".count)
      if let slash = rest.firstIndex(of: "/"), rest[..<slash].allSatisfy(\.isNumber) { s = String(rest[rest.index(after: slash)...]) }
    } else if let scheme = s.range(of: "://"), s[..<scheme.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber }) {
      let afterHost = s[scheme.upperBound...]
      var pathPart = afterHost.firstIndex(of: "/").map { String(afterHost[$0...]) } ?? ""
      if let q = pathPart.firstIndex(where: { $0 == "?" || $0 == "#" }) { pathPart = String(pathPart[..<q]) }
      s = pathPart.split(separator: "/").last.map(String.init) ?? ""
    }
    return s.removingPercentEncoding ?? s
  }

  /// Reads the whole file; errors name the file and `tasks[i].annotations[j].result[k]` with the region id.
  public func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset {
    guard let url = Self.jsonFile(source) else {
      throw FormatError.invalid(file: source.path, place: "", message: "no Label Studio JSON file found")
    }
    let file = url.lastPathComponent
    // The list of tasks is scanned, and each task parsed as it is read: a large project's
    // export never becomes one JSON tree in memory.
    let bytes = try ImportChecks.read(url, name: file)
    let ranges: [Range<Int>]
    do {
      guard let r = try JSONParser.scanArray(bytes) else {
        let value = try JSONParser.parse(bytes)
        throw FormatError.invalid(file: file, place: "", message: "expected a list of tasks, found \(value.typeName)")
      }
      ranges = r
    } catch let e as JSONSyntaxError {
      throw FormatError.invalid(file: file, place: "line \(e.line), column \(e.column)", message: e.message)
    }
    let tasks = LazyTasks(bytes: bytes, ranges: ranges)
    let imagesDir = options.imagesDirectory ?? url.deletingLastPathComponent()
    var schema = DeclaredSchema(existing: options.existingSchema)
    var items: [ImportedItem] = []
    var warnings: [String] = []
    var seenPaths = Set<String>()
    var skippedPredictions = 0
    for ti in 0..<tasks.count {
      let task: JSONValue
      do { task = try tasks.parse(ti) } catch {
        throw FormatError.invalid(file: file, place: "line \(error.line), column \(error.column)", message: error.message)
      }
      let tp = "tasks[\(ti)]"
      guard case .object(let t) = task else { throw FormatError.invalid(file: file, place: tp, message: "expected an object, found \(task.typeName)") }
      guard case .object(let data)? = t["data"] else { throw FormatError.invalid(file: file, place: "\(tp).data", message: "missing or not an object") }
      guard case .string(let imageURL)? = data["image"] else {
        throw FormatError.invalid(file: file, place: "\(tp).data.image", message: "missing or not a string")
      }
      var raw = Self.imagePath(fromURL: imageURL)
      // An absolute local-files path (`?d=/home/u/data/a.png`): relative to the images folder.
      if raw.hasPrefix("/") {
        guard let rel = ImportChecks.relativeToRoot(raw, root: imagesDir) else {
          throw FormatError.invalid(file: file, place: "\(tp).data.image",
                                    message: "absolute path '\(raw)' is not under the images folder: \(imagesDir.path) (pass --images with the folder that holds it)")
        }
        raw = rel
      }
      let path = try ImportChecks.datasetPath(raw, file: file, place: "\(tp).data.image")
      if case .array(let p)? = t["predictions"] { skippedPredictions += p.count }
      var results: [(JSONValue, String)] = []
      if let anns = t["annotations"] {
        guard case .array(let list) = anns else { throw FormatError.invalid(file: file, place: "\(tp).annotations", message: "expected an array") }
        for (ai, ann) in list.enumerated() {
          guard case .object(let a) = ann else { throw FormatError.invalid(file: file, place: "\(tp).annotations[\(ai)]", message: "expected an object") }
          if a["was_cancelled"]?.boolValue == true { continue }
          guard case .array(let rs)? = a["result"] else {
            throw FormatError.invalid(file: file, place: "\(tp).annotations[\(ai)].result", message: "missing or not an array")
          }
          for (ri, r) in rs.enumerated() { results.append((r, "\(tp).annotations[\(ai)].result[\(ri)]")) }
        }
      }
      guard seenPaths.insert(path).inserted else {
        throw FormatError.invalid(file: file, place: "\(tp).data.image", message: "image '\(path)' appears in two tasks")
      }
      var taskSource: String? = nil
      if let id = t["id"] { taskSource = id.intValue.map(String.init) ?? id.stringValue }
      items.append(try readTask(results, path: path, taskID: taskSource, file: file, imagesDir: imagesDir, schema: &schema,
                                taskPlace: tp, warnings: &warnings))
    }
    if skippedPredictions > 0 { warnings.append("\(file): \(skippedPredictions) predictions skipped (only annotations are imported)") }
    return ImportedDataset(manifest: schema.manifest, items: items, warnings: warnings)
  }

  /// The tasks of a scanned file, parsed one at a time.
  struct LazyTasks {
    let bytes: [UInt8]
    let ranges: [Range<Int>]
    var count: Int { ranges.count }
    func parse(_ i: Int) throws(JSONSyntaxError) -> JSONValue { try JSONParser.parse(bytes, in: ranges[i]) }
  }

  private func readTask(_ results: [(JSONValue, String)], path: String, taskID: String?, file: String, imagesDir: URL,
                        schema: inout DeclaredSchema, taskPlace: String, warnings: inout [String]) throws -> ImportedItem {
    var size: (Int, Int)? = nil
    var regions: [Annotation] = []
    var regionIndex: [String: Int] = [:]
    var places: [String: String] = [:]
    var seen = Set<String>()
    var counts: [String: Int] = [:]
    var later: [(JSONValue, String)] = []
    var imageAttributes: [String: AttributeValue] = [:]
    // Pass 1: regions with geometry (their ids must be known before per-region attributes).
    for (r, rp) in results {
      guard case .object(let o) = r else { throw FormatError.invalid(file: file, place: rp, message: "expected an object") }
      guard case .string(let type)? = o["type"] else { throw FormatError.invalid(file: file, place: "\(rp).type", message: "missing or not a string") }
      let rid: String
      switch o["id"] {
      case .string(let s)?: rid = s
      case .number?: rid = o["id"]!.intValue.map(String.init) ?? ""
      default: rid = ""
      }
      let place = rid.isEmpty ? rp : "\(rp) (id \(rid))"
      guard Self.regionTypes.contains(type) else {
        later.append((r, place)); continue
      }
      guard !rid.isEmpty else { throw FormatError.invalid(file: file, place: "\(rp).id", message: "region without an id") }
      let w = try Self.int(o["original_width"], file: file, place: "\(place).original_width")
      let h = try Self.int(o["original_height"], file: file, place: "\(place).original_height")
      guard w > 0, h > 0 else { throw FormatError.invalid(file: file, place: place, message: "original size \(w)x\(h) is not positive") }
      if let tooBig = Limits.imageSizeProblem(width: w, height: h) { throw FormatError.invalid(file: file, place: place, message: tooBig) }
      if let s = size, s != (w, h) {
        throw FormatError.invalid(file: file, place: place, message: "original size \(w)x\(h) differs from \(s.0)x\(s.1) of earlier results")
      }
      size = (w, h)
      guard case .object(let v)? = o["value"] else { throw FormatError.invalid(file: file, place: "\(place).value", message: "missing or not an object") }
      var a = try Self.region(type: type, value: v, width: w, height: h, file: file, place: place)
      try schema.use(a.label, file: file, place: "\(place).value.\(type)")
      if let s = o["score"] {
        guard case .number(let d) = s else { throw FormatError.invalid(file: file, place: "\(place).score", message: "expected a number") }
        a.score = d
      }
      a.sourceID = rid
      try ImportChecks.assignID(&a, imagePath: path, seed: "labelstudio:\(rid)", counts: &counts, seen: &seen, file: file, place: place)
      places[a.id] = place
      regionIndex[rid] = regions.count
      regions.append(a)
    }
    // Pass 2: classifications, attached to their region or to the image.
    for (r, place) in later {
      if case .object(let o) = r, o["type"]?.stringValue == "relation" {
        warnings.append("\(file): \(place): relation skipped (annot has no relations)")
        continue
      }
      guard case .object(let o) = r, case .string(let type)? = o["type"], case .object(let v)? = o["value"] else {
        throw FormatError.invalid(file: file, place: place, message: "result without a type or value")
      }
      let fromName = o["from_name"]?.stringValue ?? type
      let rid = o["id"]?.stringValue ?? o["id"]?.intValue.map(String.init) ?? ""
      let attr: AttributeValue
      switch type {
      case "choices":
        let choices = try Self.strings(v["choices"], file: file, place: "\(place).value.choices")
        if let k = regionIndex[rid] { regions[k].attributes[fromName] = .string(choices.joined(separator: ",")); continue }
        guard !rid.isEmpty else { throw FormatError.invalid(file: file, place: "\(place).id", message: "result without an id") }
        for c in choices {
          try schema.use(c, file: file, place: "\(place).value.choices")
          var a = Annotation(id: "-", label: c, shape: .tag, sourceID: rid)
          try ImportChecks.assignID(&a, imagePath: path, seed: "labelstudio:\(rid)/\(c)", counts: &counts, seen: &seen, file: file, place: place)
          places[a.id] = place
          regions.append(a)
        }
        continue
      case "textarea": attr = .string(try Self.strings(v["text"], file: file, place: "\(place).value.text").joined(separator: "\n"))
      case "number", "rating":
        guard case .number(let d)? = v[type] else { throw FormatError.invalid(file: file, place: "\(place).value.\(type)", message: "missing or not a number") }
        attr = .number(d)
      default:
        throw FormatError.invalid(file: file, place: "\(place).type", message: "unsupported result type '\(type)'")
      }
      if let k = regionIndex[rid] { regions[k].attributes[fromName] = attr } else { imageAttributes[fromName] = attr }
    }
    // Regions carry the size; a task without regions takes it from the image header.
    let (imageFile, info) = try ImportChecks.image(path, in: imagesDir, file: file, place: "\(taskPlace).data.image",
                                                   declared: size, warnings: &warnings)
    let (w, h) = size ?? (info.width, info.height)
    let record = ImageRecord(path: path, width: w, height: h, mediaType: info.mediaType,
                             sourceID: taskID, attributes: imageAttributes)
    let doc = LabelDocument(image: record, annotations: regions)
    try ImportChecks.validate(doc, schema: schema.manifest, file: file, places: places)
    return ImportedItem(document: doc, imageFile: imageFile)
  }

  static func int(_ v: JSONValue?, file: String, place: String) throws(FormatError) -> Int {
    guard let v else { throw .invalid(file: file, place: place, message: "missing") }
    guard let i = v.intValue else { throw .invalid(file: file, place: place, message: "expected an integer, found \(v.typeName)") }
    return i
  }

  static func strings(_ v: JSONValue?, file: String, place: String) throws(FormatError) -> [String] {
    guard case .array(let a)? = v else { throw .invalid(file: file, place: place, message: "missing or not an array") }
    var out: [String] = []
    for (i, e) in a.enumerated() {
      guard case .string(let s) = e else { throw .invalid(file: file, place: "\(place)[\(i)]", message: "expected a string, found \(e.typeName)") }
      out.append(s)
    }
    return out
  }

  /// Percent → pixels, rounded to 1/10000 px.
  static func px(_ pct: Double, _ size: Int) -> Double { (pct * Double(size) / 100 * 10000).rounded() / 10000 }

  static func num(_ v: [String: JSONValue], _ key: String, file: String, place: String) throws(FormatError) -> Double {
    guard let x = v[key] else { throw .invalid(file: file, place: "\(place).value.\(key)", message: "missing") }
    guard case .number(let d) = x else { throw .invalid(file: file, place: "\(place).value.\(key)", message: "expected a number, found \(x.typeName)") }
    return d
  }

  static func region(type: String, value v: [String: JSONValue], width w: Int, height h: Int,
                     file: String, place: String) throws(FormatError) -> Annotation {
    let labels = try strings(v[type], file: file, place: "\(place).value.\(type)")
    guard labels.count == 1 else {
      throw .invalid(file: file, place: "\(place).value.\(type)", message: "expected exactly one label, found \(labels.count)")
    }
    let shape: Shape
    switch type {
    case "rectanglelabels":
      let x = try num(v, "x", file: file, place: place), y = try num(v, "y", file: file, place: place)
      let bw = try num(v, "width", file: file, place: place), bh = try num(v, "height", file: file, place: place)
      let rot = v["rotation"] == nil ? 0 : try num(v, "rotation", file: file, place: place)
      guard bw > 0, bh > 0 else { throw .invalid(file: file, place: "\(place).value", message: "width and height must be positive") }
      let pw = bw * Double(w) / 100, ph = bh * Double(h) / 100
      var x0 = x * Double(w) / 100, y0 = y * Double(h) / 100
      if rot != 0 {
        // Label Studio anchors the rotation at the top-left corner; move to a centre anchor.
        let t = rot * Double.pi / 180
        let cx = x0 + pw / 2 * cos(t) - ph / 2 * sin(t), cy = y0 + pw / 2 * sin(t) + ph / 2 * cos(t)
        x0 = cx - pw / 2; y0 = cy - ph / 2
      }
      let r = { (d: Double) in (d * 10000).rounded() / 10000 }
      shape = .box(Box(x: r(x0), y: r(y0), w: r(pw), h: r(ph)), rotation: rot)
    case "polygonlabels":
      guard case .array(let pts)? = v["points"] else { throw .invalid(file: file, place: "\(place).value.points", message: "missing or not an array") }
      var flat: [Double] = []
      for (i, p) in pts.enumerated() {
        guard case .array(let xy) = p, xy.count == 2, case .number(let px0) = xy[0], case .number(let py0) = xy[1] else {
          throw .invalid(file: file, place: "\(place).value.points[\(i)]", message: "expected [x, y]")
        }
        flat += [px(px0, w), px(py0, h)]
      }
      guard flat.count >= 6 else { throw .invalid(file: file, place: "\(place).value.points", message: "polygon needs at least 3 points") }
      shape = .polygon([flat])
    case "keypointlabels":
      shape = .points([px(try num(v, "x", file: file, place: place), w), px(try num(v, "y", file: file, place: place), h)])
    case "ellipselabels":
      let rx = try num(v, "radiusX", file: file, place: place), ry = try num(v, "radiusY", file: file, place: place)
      guard rx >= 0, ry >= 0 else { throw .invalid(file: file, place: "\(place).value", message: "negative ellipse radius") }
      shape = .ellipse(cx: px(try num(v, "x", file: file, place: place), w), cy: px(try num(v, "y", file: file, place: place), h),
                       rx: px(rx, w), ry: px(ry, h),
                       rotation: v["rotation"] == nil ? 0 : try num(v, "rotation", file: file, place: place))
    default: // brushlabels
      guard v["format"]?.stringValue ?? "rle" == "rle" else {
        throw .invalid(file: file, place: "\(place).value.format", message: "only the rle brush format is read")
      }
      guard case .array(let a)? = v["rle"] else { throw .invalid(file: file, place: "\(place).value.rle", message: "missing or not an array") }
      var bytes: [Int] = []
      bytes.reserveCapacity(a.count)
      for e in a {
        guard let i = e.intValue else { throw .invalid(file: file, place: "\(place).value.rle", message: "expected integers 0...255") }
        bytes.append(i)
      }
      do {
        shape = .mask(try LabelStudioBrush.decode(bytes, width: w, height: h).rleMask)
      } catch {
        let why: String = switch error {
        case .notBytes: "values must be integers 0...255"
        case .truncated: "truncated RLE"
        case .badHeader: "word size over 32 bits"
        case .wrongCount(let n, let e): "RLE holds \(n) values, a \(w)x\(h) RGBA image has \(e)"
        }
        throw .invalid(file: file, place: "\(place).value.rle", message: why)
      }
    }
    return Annotation(id: "-", label: labels[0], shape: shape)
  }
}
