import Foundation
import AnnotModel

/// Reads annot's own layout from a plain directory (what `annot export --format annot` writes):
/// `annot.json` (the manifest), `images/<path>` and `labels/<path>.json` (one canonical document
/// per image). Lossless: documents and manifest are decoded as they are, ids included.
///
/// Checks: every image has a document and every document an image; paths pass
/// `DatasetPath.validate`; a document's `image.path` is its file's path; its width and height
/// are the image header's; documents validate against the manifest. Errors name the file and
/// the JSON place.
public struct AnnotDirImporter: DatasetImporter {
  public init() {}
  /// `"annot"`.
  public var name: String { "annot" }
  /// One line for `annot formats`.
  public var summary: String { "annot's own layout: annot.json, images/<path>, labels/<path>.json (lossless)" }

  /// High when `annot.json` says `"format": "annot"`; none otherwise.
  public func detect(_ source: URL) -> DetectionConfidence {
    let manifest = source.appendingPathComponent("annot.json")
    guard FileAccess.isRegularFile(manifest), let bytes = try? FileAccess.read(manifest, display: "annot.json"),
          case .object(let o)? = try? JSONParser.parse(bytes), case .string("annot")? = o["format"] else { return .none }
    return .high
  }

  /// `detect`, with what was missing when it says none.
  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    let c = detect(source)
    return (c, c == .none ? "no annot.json with \"format\": \"annot\"" : "")
  }

  /// Reads the manifest, then every document and its image, sorted by path.
  public func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset {
    guard FileAccess.isDirectory(source) else {
      throw FormatError.invalid(file: source.path, place: "", message: "not a directory")
    }
    let manifestBytes = try FileAccess.read(source.appendingPathComponent("annot.json"), display: "annot.json")
    if case .object(let o)? = try? JSONParser.parse(manifestBytes), let f = o["format"], f != .string("annot") {
      throw FormatError.invalid(file: "annot.json", place: "format", message: "expected \"annot\"")
    }
    let manifest: DatasetManifest
    do { manifest = try DatasetManifest.decode(manifestBytes) } catch {
      throw FormatError.invalid(file: "annot.json", place: error.place, message: error.message)
    }
    let imagesDir = source.appendingPathComponent("images"), labelsDir = source.appendingPathComponent("labels")
    let images = FileAccess.isDirectory(imagesDir) ? try FileAccess.walk(imagesDir, display: "images") : []
    let labels = FileAccess.isDirectory(labelsDir) ? try FileAccess.walk(labelsDir, display: "labels") : []
    var documentPaths = Set<String>()
    for rel in labels {
      guard rel.hasSuffix(".json") else {
        throw FormatError.invalid(file: "labels/\(rel)", place: "", message: "not a document (labels/ holds only <image path>.json)")
      }
      documentPaths.insert(String(rel.dropLast(5)))
    }
    let imageSet = Set(images)
    for p in documentPaths.sorted() where !imageSet.contains(p) {
      throw FormatError.invalid(file: "labels/\(p).json", place: "", message: "no image images/\(p)")
    }
    var items: [ImportedItem] = []
    for path in images {
      let file = "labels/\(path).json"
      if let why = DatasetPath.validate(path) { throw FormatError.invalid(file: "images/\(path)", place: "", message: "invalid dataset path: \(why)") }
      guard documentPaths.contains(path) else {
        throw FormatError.invalid(file: "images/\(path)", place: "", message: "no document \(file)")
      }
      let doc: LabelDocument
      do { doc = try LabelDocument.decode(try FileAccess.read(labelsDir.appendingPathComponent(path + ".json"), display: file)) } catch let e as DocumentError {
        throw FormatError.invalid(file: file, place: e.place, message: e.message)
      }
      guard doc.image.path == path else {
        throw FormatError.invalid(file: file, place: "image.path", message: "\"\(doc.image.path)\" but the file describes images/\(path)")
      }
      let imageFile = imagesDir.appendingPathComponent(path)
      let info = try FileAccess.probeImage(imageFile, root: source, errFile: file, place: "image")
      guard info.width == doc.image.width, info.height == doc.image.height else {
        throw FormatError.invalid(file: file, place: "image", message: "says \(doc.image.width)x\(doc.image.height) but images/\(path) is \(info.width)x\(info.height)")
      }
      var places: [String: String] = [:]
      for (i, a) in doc.annotations.enumerated() { places[a.id] = "annotations[\(i)]" }
      try ImportChecks.validate(doc, schema: manifest, file: file, places: places)
      items.append(ImportedItem(document: doc, imageFile: imageFile))
    }
    return ImportedDataset(manifest: manifest, items: items)
  }
}
