import Foundation
import AnnotModel
import AnnotMedia

/// Checks and small conversions shared by the CVAT, VOC and Label Studio importers.
enum ImportChecks {
  /// Parses a finite number from XML text or an attribute; `place` names where it came from.
  static func number(_ text: String?, file: String, place: String) throws(FormatError) -> Double {
    guard let raw = text?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
      throw .invalid(file: file, place: place, message: "missing number")
    }
    guard let d = Double(raw), !raw.lowercased().hasPrefix("0x") else {
      throw .invalid(file: file, place: place, message: "expected a number, found '\(raw)'")
    }
    guard d.isFinite else { throw .invalid(file: file, place: place, message: "non-finite number '\(raw)'") }
    return d
  }

  /// A finite, non-negative number.
  static func nonNegative(_ text: String?, file: String, place: String) throws(FormatError) -> Double {
    let d = try number(text, file: file, place: place)
    guard d >= 0 else { throw .invalid(file: file, place: place, message: "negative number '\(CanonicalJSON.number(d))'") }
    return d
  }

  /// A non-negative integer (image sizes, mask offsets).
  static func count(_ text: String?, file: String, place: String) throws(FormatError) -> Int {
    let d = try nonNegative(text, file: file, place: place)
    guard d == d.rounded(), d < 1e9 else {
      throw .invalid(file: file, place: place, message: "expected a whole number, found '\(text ?? "")'")
    }
    return Int(d)
  }

  /// A positive image size.
  static func imageSize(_ w: String?, _ h: String?, file: String, place: String) throws(FormatError) -> (Int, Int) {
    let width = try count(w, file: file, place: "\(place) width")
    let height = try count(h, file: file, place: "\(place) height")
    guard width > 0, height > 0 else {
      throw .invalid(file: file, place: place, message: "image size \(width)x\(height) is not positive")
    }
    if let tooBig = Limits.imageSizeProblem(width: width, height: height) { throw .invalid(file: file, place: place, message: tooBig) }
    return (width, height)
  }

  /// An absolute image path as a path relative to `root`, the way the writing tool meant it,
  /// confined to `root`: the part after `root` when it lies inside it, else the longest trailing
  /// part of it that names an existing file under `root` (`/home/u/data/img/a.png` with root
  /// `…/data` → `img/a.png`). Nil when neither works; relative paths are returned unchanged.
  static func relativeToRoot(_ path: String, root: URL) -> String? {
    guard path.hasPrefix("/") else { return path }
    let abs = URL(fileURLWithPath: path).standardizedFileURL.path
    for r in [root.standardizedFileURL.path, root.resolvingSymlinksInPath().path] {
      let prefix = r.hasSuffix("/") ? r : r + "/"
      if abs.hasPrefix(prefix) { return String(abs.dropFirst(prefix.count)) }
    }
    var parts = abs.split(separator: "/").map(String.init)
    while !parts.isEmpty {
      let rel = parts.joined(separator: "/")
      if DatasetPath.validate(rel) == nil, FileAccess.exists(root.appendingPathComponent(rel)) { return rel }
      parts.removeFirst()
    }
    return nil
  }

  /// Rejects paths that would leave the dataset (`..`, absolute, control characters).
  static func datasetPath(_ path: String, file: String, place: String) throws(FormatError) -> String {
    if let problem = DatasetPath.validate(path) {
      throw .invalid(file: file, place: place, message: "bad image path '\(path)': \(problem)")
    }
    return path
  }

  /// The image file for `path` under `directory`; throws when it is missing (symlinks count).
  static func imageFile(_ path: String, in directory: URL, file: String, place: String) throws(FormatError) -> URL {
    let url = directory.appendingPathComponent(path)
    guard FileAccess.exists(url) else {
      throw .invalid(file: file, place: place,
                     message: "image file not found: \(url.path) (pass --images DIR if the images are elsewhere)")
    }
    return url
  }

  /// Finds the image for `path` under `directory` and reads its header (size, media type).
  /// A size in the format's file must match the header, or be the header's size turned by 90°
  /// (an EXIF-rotated JPEG legitimately disagrees that way: kept, with a warning). Any other
  /// disagreement is an error: a declared size of 2^40 must not override a 640x480 header.
  static func image(_ path: String, in directory: URL, file: String, place: String,
                    declared: (Int, Int)?, warnings: inout [String]) throws(FormatError) -> (URL, ImageInfo) {
    let url = try imageFile(path, in: directory, file: file, place: place)
    // Same policy as the COCO/YOLO importers: a symlink may point anywhere inside the images
    // directory, never outside it; then the header is probed.
    let info = try FileAccess.probeImage(url, root: directory, errFile: file, place: place)
    if let (w, h) = declared, (w, h) != (info.width, info.height) {
      guard (w, h) == (info.height, info.width) else {
        throw .invalid(file: file, place: place, message: "size \(w)x\(h) in the file, but the image header says \(info.width)x\(info.height)")
      }
      warnings.append("\(file): \(place): size \(w)x\(h) in the file, the image header says \(info.width)x\(info.height) (EXIF rotation?); kept \(w)x\(h)")
    }
    return (url, info)
  }

  /// Reads a file's bytes; a missing or unreadable file is a FormatError.
  static func read(_ url: URL, name: String) throws(FormatError) -> [UInt8] {
    try FileAccess.read(url, display: name)
  }

  /// Runs the model's validation (finite numbers, positive boxes, inside the image within
  /// 0.5 px, labels in the schema) and throws the first problem, naming its place.
  static func validate(_ doc: LabelDocument, schema: DatasetManifest, file: String,
                       places: [String: String]) throws(FormatError) {
    if let p = DocumentValidation.problems(doc, schema: schema, tolerance: 0.5).first {
      let place = p.annotationID.flatMap { places[$0] } ?? "image \(doc.image.path)"
      throw .invalid(file: file, place: place, message: p.message)
    }
  }

  /// Gives `a` its deterministic id: seed `<format>:<source id>` when the format has ids, else
  /// the annotation's content plus an ordinal that counts earlier *identical* annotations in
  /// the same image (so ids do not depend on the order a file lists its shapes, and export →
  /// import keeps them). Throws on a repeated id.
  static func assignID(_ a: inout Annotation, imagePath: String, seed: String?, counts: inout [String: Int],
                       seen: inout Set<String>, file: String, place: String) throws(FormatError) {
    let s: String
    if let seed { s = seed } else {
      let key = AnnotationID.contentSeed(a, ordinal: 0)
      let ordinal = counts[key, default: 0]
      counts[key] = ordinal + 1
      s = AnnotationID.contentSeed(a, ordinal: ordinal)
    }
    a.id = AnnotationID.make(imagePath: imagePath, seed: s)
    guard seen.insert(a.id).inserted else {
      throw .invalid(file: file, place: place, message: "duplicate annotation id (region id or content repeated in this image)")
    }
  }
}

/// Builds the dataset manifest while reading: keeps the repository's class ids for known
/// names, adds new classes in the order the file names them, and (when the file declares its
/// labels) refuses labels it did not declare.
struct DeclaredSchema {
  var manifest: DatasetManifest
  /// Labels the file declared; nil when the format has no label list.
  private(set) var declared: Set<String>?

  init(existing: DatasetManifest?) { manifest = existing ?? DatasetManifest() }

  /// Declares a class from the file's label list; colour and attributes from the file win.
  mutating func declare(_ name: String, color: String? = nil, attributes: [AttributeDefinition] = []) {
    if declared == nil { declared = [] }
    declared!.insert(name)
    let c = manifest.ensureClass(name)
    guard let i = manifest.classes.firstIndex(where: { $0.id == c.id }) else { return }
    if let color { manifest.classes[i].color = color }
    if !attributes.isEmpty { manifest.classes[i].attributes = attributes }
  }

  /// Notes a label used by an annotation; throws if the file declared labels and not this one.
  mutating func use(_ name: String, file: String, place: String) throws(FormatError) {
    guard !name.isEmpty else { throw .invalid(file: file, place: place, message: "empty label") }
    if let declared, !declared.contains(name) {
      throw .invalid(file: file, place: place, message: "unknown label '\(name)' (not in the file's label list)")
    }
    manifest.ensureClass(name)
  }
}
