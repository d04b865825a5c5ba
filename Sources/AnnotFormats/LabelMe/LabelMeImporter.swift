import Foundation
import AnnotModel
import AnnotMedia

/// Reads LabelMe: one JSON per image (the source is one such file or a directory searched
/// recursively for them). `imagePath` is resolved from the JSON's folder and must stay inside
/// the source directory; the dataset path is the image's path relative to it.
///
/// rectangle → box, polygon → polygon, line/linestrip → polyline, point/points → points,
/// circle → ellipse (rx = ry), image `flags` → image attributes, shape `flags` → boolean
/// attributes, `description` → the `description` attribute, `group_id` → group.
/// `mask` (a base64 PNG of the inclusive box `points`) → a full-image COCO RLE mask.
public struct LabelMeImporter: DatasetImporter {
  /// Points may leave the image by this many pixels; more is an error.
  public static let tolerance = 0.5

  public init() {}
  public var name: String { "labelme" }
  public var summary: String { "LabelMe JSON per image: rectangles, polygons, lines, points, circles, masks, flags" }

  /// High for a `.json` file, or a directory whose first `.json` files (up to 3, recursively),
  /// that names `shapes` and `imagePath`.
  public func detect(_ source: URL) -> DetectionConfidence {
    var files: [URL] = []
    if FileAccess.isRegularFile(source) { files = [source] } else if FileAccess.isDirectory(source) {
      let found = (try? FileAccess.walk(source, display: source.path)) ?? []
      files = found.filter { $0.lowercased().hasSuffix(".json") }.prefix(3).map { source.appendingPathComponent($0) }
    }
    for f in files where f.pathExtension.lowercased() == "json" {
      guard let h = try? FileHandle(forReadingFrom: f) else { continue }
      let head = String(decoding: (try? h.read(upToCount: 64 * 1024)) ?? Data(), as: UTF8.self)
      try? h.close()
      if head.contains("\"shapes\"") && head.contains("\"imagePath\"") { return .high }
    }
    return .none
  }

  /// `detect`, with what was missing when it says none.
  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    let c = detect(source)
    return (c, c == .none ? "no .json file naming shapes and imagePath (first 3 .json files looked at)" : "")
  }

  public func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset {
    let root: URL
    var jsons: [String]
    // Files found by walking a directory must stay inside it (symlinks included); a file named
    // on the command line is read wherever it is.
    let walked = !FileAccess.isRegularFile(source)
    if !walked {
      root = source.deletingLastPathComponent()
      jsons = [source.lastPathComponent]
    } else {
      root = source
      jsons = try FileAccess.walk(source, display: source.lastPathComponent).filter { $0.lowercased().hasSuffix(".json") }
    }
    var warnings: [String] = []
    var parsed: [(doc: LabelDocument, file: URL, labels: [String], data: [UInt8]?)] = []
    var owners: [String: String] = [:]
    for rel in jsons {
      let node = try JSONNode.parse(try FileAccess.read(root.appendingPathComponent(rel), display: rel, inside: walked ? root : nil), file: rel)
      guard case .object(let o) = node.value, o["shapes"] != nil, o["imagePath"] != nil else {
        warnings.append("\(rel): not a LabelMe file (no shapes/imagePath); skipped")
        continue
      }
      let one = try readFile(node, rel: rel, root: root, warnings: &warnings)
      if let other = owners[one.doc.image.path] {
        throw FormatError.invalid(file: rel, place: "imagePath", message: "image \(one.doc.image.path) is already described by \(other)")
      }
      owners[one.doc.image.path] = rel
      parsed.append(one)
    }
    let names = Set(parsed.flatMap(\.labels)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let manifest = SchemaBuilder.manifest(names: names, existing: options.existingSchema)
    return ImportedDataset(manifest: manifest, items: parsed.map { ImportedItem(document: $0.doc, imageFile: $0.file, imageData: $0.data) }, warnings: warnings)
  }

  func readFile(_ node: JSONNode, rel: String, root: URL, warnings: inout [String]) throws -> (doc: LabelDocument, file: URL, labels: [String], data: [UInt8]?) {
    let imagePathNode = try node.required("imagePath")
    let raw = try imagePathNode.string().replacingOccurrences(of: "\\", with: "/")
    let dir = (rel as NSString).deletingLastPathComponent
    guard !raw.hasPrefix("/"), let path = Self.normalize(dir.isEmpty ? raw : dir + "/" + raw) else {
      throw imagePathNode.fail("\"\(raw)\" points outside \(root.path)")
    }
    if let why = DatasetPath.validate(path) { throw imagePathNode.fail("invalid image path \"\(path)\": \(why)") }
    let url = root.appendingPathComponent(path)
    // labelme opens a file whose image is missing from its embedded `imageData` (base64): so
    // does annot, storing those bytes as the image.
    var embedded: [UInt8]?
    let info: ImageInfo
    if !FileAccess.exists(url), let dataNode = node.optional("imageData") {
      guard let data = Data(base64Encoded: try dataNode.string(), options: .ignoreUnknownCharacters), !data.isEmpty else {
        throw dataNode.fail("not base64 image bytes")
      }
      embedded = [UInt8](data)
      do { info = try ImageProbe.probe(embedded!, name: rel + ": imageData") } catch { throw dataNode.fail(error.description) }
    } else {
      info = try FileAccess.probeImage(url, root: root, errFile: rel, place: "imagePath")
    }
    let width = try node.required("imageWidth").int(), height = try node.required("imageHeight").int()
    guard width == info.width, height == info.height else {
      throw node.fail("JSON says \(width)x\(height) but \(path) is \(info.width)x\(info.height)")
    }
    var image = ImageRecord(path: path, width: width, height: height, mediaType: info.mediaType)
    if let flags = node.optional("flags") {
      for (k, v) in try flags.object() {
        guard case .bool(let b) = v else { throw FormatError.invalid(file: rel, place: "flags.\(k)", message: "expected true or false") }
        image.attributes[k] = .bool(b)
      }
    }
    let W = Double(width), H = Double(height), tol = Self.tolerance
    var annotations: [Annotation] = []
    var labels: [String] = []
    var ids = ContentIDs()
    for s in try node.required("shapes").array() {
      let label = try s.required("label").string()
      guard !label.isEmpty else { throw s.fail("empty label") }
      let type = try s.optional("shape_type")?.string() ?? "polygon"
      var flat: [Double] = []
      for p in try s.required("points").array() {
        let xy = try p.numbers()
        guard xy.count == 2 else { throw p.fail("expected [x, y]") }
        guard xy[0] >= -tol, xy[0] <= W + tol, xy[1] >= -tol, xy[1] <= H + tol else {
          throw p.fail("point (\(CanonicalJSON.number(xy[0])), \(CanonicalJSON.number(xy[1]))) is outside the \(width)x\(height) image")
        }
        flat += xy
      }
      let n = flat.count / 2
      func need(_ ok: Bool, _ what: String) throws(FormatError) { if !ok { throw s.fail("\(type) needs \(what) points, found \(n)") } }
      let shape: Shape
      switch type {
      case "rectangle":
        try need(n == 2, "2")
        let b = Box(x: min(flat[0], flat[2]), y: min(flat[1], flat[3]), w: abs(flat[2] - flat[0]), h: abs(flat[3] - flat[1]))
        guard b.w > 0, b.h > 0 else { throw s.fail("rectangle has zero width or height") }
        shape = .box(b, rotation: 0)
      case "polygon": try need(n >= 3, "at least 3"); shape = .polygon([flat])
      case "line": try need(n == 2, "2"); shape = .polyline(flat)
      case "linestrip": try need(n >= 2, "at least 2"); shape = .polyline(flat)
      case "point": try need(n == 1, "1"); shape = .points(flat)
      case "points": try need(n >= 1, "at least 1"); shape = .points(flat)
      case "mask":
        try need(n == 2, "2")
        shape = .mask(try Self.readMask(s, corners: flat, width: width, height: height, file: rel))
      case "circle":
        try need(n == 2, "2")
        let r = ((flat[2] - flat[0]) * (flat[2] - flat[0]) + (flat[3] - flat[1]) * (flat[3] - flat[1])).squareRoot()
        shape = .ellipse(cx: flat[0], cy: flat[1], rx: r, ry: r, rotation: 0)
      default:
        throw FormatError.invalid(file: rel, place: s.place + ".shape_type", message: "unknown shape_type \"\(type)\"")
      }
      var attributes: [String: AttributeValue] = [:]
      if let flags = s.optional("flags") {
        for (k, v) in try flags.object() {
          guard case .bool(let b) = v else { throw FormatError.invalid(file: rel, place: "\(s.place).flags.\(k)", message: "expected true or false") }
          attributes[k] = .bool(b)
        }
      }
      if let d = try s.optional("description")?.string(), !d.isEmpty { attributes["description"] = .string(d) }
      var a = Annotation(id: "", label: label, shape: shape, attributes: attributes, group: try s.optional("group_id")?.int())
      ids.assign(&a, imagePath: path)
      annotations.append(a)
      labels.append(label)
    }
    return (LabelDocument(image: image, annotations: annotations), url, labels, embedded)
  }

  /// A `mask` shape: `mask` is a base64 PNG covering the inclusive box `points` (labelme's
  /// `mask[y1:y2+1, x1:x2+1]`); a pixel is foreground when its grey value, palette index or
  /// colour is not zero/black. Returned as a full-image COCO RLE mask.
  static func readMask(_ s: JSONNode, corners: [Double], width: Int, height: Int, file: String) throws(FormatError) -> RLEMask {
    let place = s.place + ".mask"
    let ints = corners.map { Int($0.rounded()) }
    guard zip(corners, ints).allSatisfy({ $0 == Double($1) }) else { throw s.fail("mask points must be whole pixels") }
    let (x1, y1, x2, y2) = (ints[0], ints[1], ints[2], ints[3])
    guard x1 >= 0, y1 >= 0, x2 >= x1, y2 >= y1, x2 < width, y2 < height else {
      throw s.fail("mask box (\(x1), \(y1))-(\(x2), \(y2)) is not inside the \(width)x\(height) image")
    }
    let text = try s.required("mask").string()
    guard let data = Data(base64Encoded: text) else { throw .invalid(file: file, place: place, message: "not base64") }
    let png: DecodedPNG
    do { png = try PNGCodec.decode([UInt8](data), name: place) } catch {
      throw .invalid(file: file, place: place, message: "\(error)".replacingOccurrences(of: place + ": ", with: ""))
    }
    let w = x2 - x1 + 1, h = y2 - y1 + 1
    guard png.width == w, png.height == h else {
      throw .invalid(file: file, place: place, message: "mask PNG is \(png.width)x\(png.height) but its points span \(w)x\(h)")
    }
    var bm = MaskBitmap(width: width, height: height)
    for y in 0..<h {
      for x in 0..<w {
        let on: Bool
        switch png.pixels {
        case .indexed(let i, _): on = i[y * w + x] != 0
        case .grey(let g): on = g[y * w + x] != 0
        case .rgb(let c): on = c[y * w + x] != PNGColor(0, 0, 0)
        }
        if on { bm.bits[(y1 + y) * width + x1 + x] = 1 }
      }
    }
    return bm.rleMask
  }

  /// Resolves `.` and `..` in a relative path; nil if it climbs above its start.
  static func normalize(_ path: String) -> String? {
    var out: [Substring] = []
    for c in path.split(separator: "/") {
      if c == "." { continue }
      if c == ".." { if out.isEmpty { return nil }; out.removeLast(); continue }
      out.append(c)
    }
    return out.joined(separator: "/")
  }
}
