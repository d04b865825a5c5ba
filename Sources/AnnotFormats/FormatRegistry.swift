import Foundation
import AnnotModel
import AnnotMedia

/// How sure a format is that a path holds a dataset in that format (datumaro's idea).
public enum DetectionConfidence: Int, Comparable, Sendable {
  case none = 0
  /// Could be this format, but the layout is loose.
  case low = 10
  /// Looks like this format and not like any other known one.
  case medium = 20
  /// Identified by an explicit marker (a magic file, a schema field).
  case high = 30
  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// One image of an imported dataset: its document and where its bytes are on disk.
public struct ImportedItem: Sendable {
  /// The canonical document; annotation ids are the importer's deterministic ids
  /// (AnnotKit re-attaches the parent revision's ids afterwards).
  public var document: LabelDocument
  /// The path of the image file to store under `images/<document.image.path>`. A string, not a
  /// URL: importers of 1M images build none per image.
  public var imageFilePath: String
  /// `imageFilePath` as a file URL.
  public var imageFile: URL {
    get { URL(fileURLWithPath: imageFilePath) }
    set { imageFilePath = newValue.path }
  }
  /// Stat data of the image file (following a symlink) when the importer took it while probing:
  /// the caller's stat cache uses it instead of asking again.
  public var fileStat: FileStat?
  /// The image bytes when the format embeds them (LabelMe's `imageData` without an image
  /// file); then `imageFile` only names where they came from and is not read.
  public var imageData: [UInt8]?
  /// What the image file's header says, when the importer probed it (or `ImportOptions.headers`
  /// knew it): the caller may remember it for the next import of the same unchanged file.
  public var header: ImageInfo?
  /// A hash of everything the document was converted from (source bytes, schema, image header),
  /// set when `ImportOptions.conversions` is given: the key under which the caller records what
  /// the conversion gave.
  public var sourceKey: ObjectID?
  /// Set instead of converting, when `ImportOptions.conversions` knew `sourceKey`: `document`
  /// then holds the image record and no annotations.
  public var skipped: Skipped?
  /// A conversion the importer skipped: what it was recorded to give, and the conversion itself
  /// for a caller that needs the document after all (valid while the import runs).
  public struct Skipped: Sendable {
    public var digest: ObjectID
    public var annotations: Int
    public var convert: @Sendable () throws -> LabelDocument
    public init(digest: ObjectID, annotations: Int, convert: @escaping @Sendable () throws -> LabelDocument) {
      self.digest = digest; self.annotations = annotations; self.convert = convert
    }
  }
  public init(document: LabelDocument, imageFile: URL, imageData: [UInt8]? = nil) {
    self.init(document: document, imageFilePath: imageFile.path, imageData: imageData)
  }
  public init(document: LabelDocument, imageFilePath: String, imageData: [UInt8]? = nil) {
    self.document = document; self.imageFilePath = imageFilePath; self.imageData = imageData
  }
}

/// Headers of image files that cannot have changed since an earlier import read them (the
/// caller's stat cache): an importer asks before opening a file to probe it. Read from any thread.
public protocol HeaderCache: AnyObject, Sendable {
  /// The header recorded for `path` if `stat` (the importer's, following symlinks) still equals
  /// the stat data recorded with it.
  func header(forFile path: String, stat: FileStat) -> ImageInfo?
}

/// What earlier imports' conversions gave, by source key: the SHA-1 of the canonical document
/// and its number of annotations. A cache the caller keeps; importers only read it (from any
/// thread, never while the caller records).
public protocol ConversionMemo: AnyObject, Sendable {
  func converted(_ sourceKey: ObjectID) -> (digest: ObjectID, annotations: Int)?
}

/// What an importer read: the schema it found and one item per image, sorted by path.
public struct ImportedDataset: Sendable {
  public var manifest: DatasetManifest
  public var items: [ImportedItem]
  /// Things the importer accepted but the user should know (clipped boxes, skipped files).
  public var warnings: [String]
  public init(manifest: DatasetManifest, items: [ImportedItem], warnings: [String] = []) {
    self.manifest = manifest; self.items = items.sorted { $0.document.image.path < $1.document.image.path }
    self.warnings = warnings
  }
}

/// Options every importer understands.
public struct ImportOptions: Sendable {
  /// Where the images are, when the format's files do not say (COCO's `--images`).
  public var imagesDirectory: URL?
  /// The schema already in the repository: importers keep its class ids for known names.
  public var existingSchema: DatasetManifest?
  /// Conversions of earlier imports: an importer that supports it (COCO) skips converting an
  /// image whose source key is known and sets `ImportedItem.skipped`. Others ignore it.
  public var conversions: (any ConversionMemo)?
  /// Headers of unchanged image files (COCO and YOLO ask it before probing a file).
  public var headers: (any HeaderCache)?
  public init(imagesDirectory: URL? = nil, existingSchema: DatasetManifest? = nil, conversions: (any ConversionMemo)? = nil,
              headers: (any HeaderCache)? = nil) {
    self.imagesDirectory = imagesDirectory; self.existingSchema = existingSchema; self.conversions = conversions
    self.headers = headers
  }
}

/// Reads one on-disk dataset format into model values.
public protocol DatasetImporter: Sendable {
  /// Stable name used on the command line, e.g. `"coco"`.
  var name: String { get }
  /// What the format can hold, one line, for `annot formats`.
  var summary: String { get }
  /// Looks at `source` (a file or directory) without parsing it fully.
  func detect(_ source: URL) -> DetectionConfidence
  /// `detect` plus, when the answer is `.none`, one short reason ("no data.yaml or obj.names").
  func detectWhy(_ source: URL) -> (DetectionConfidence, String)
  /// Reads the whole dataset; throws `FormatError` naming the file and the place.
  func importDataset(from source: URL, options: ImportOptions) throws -> ImportedDataset
  /// Hands the dataset to `sink` a batch of images at a time, so that memory holds one batch of
  /// documents, not all of them. The default reads the whole dataset and hands it over as one
  /// batch; formats whose files grow with the dataset (COCO) stream.
  func streamDataset(from source: URL, options: ImportOptions, to sink: any ImportSink) throws
}

/// Receives a streamed import: `begin` once with the schema, then `consume` for each batch of
/// images. Image paths are unique across batches; batches are not sorted among themselves.
/// Anything the sink throws stops the import and is rethrown to the caller.
public protocol ImportSink: AnyObject {
  /// The schema the importer found; `imageCount` is how many images will follow, when known.
  func begin(manifest: DatasetManifest, imageCount: Int?) throws
  func consume(_ items: [ImportedItem]) throws
  /// Something the importer accepted but the user should know.
  func warn(_ warning: String)
}

/// An `ImportSink` that keeps everything: `importDataset` of a streaming importer.
public final class CollectingImportSink: ImportSink {
  public private(set) var manifest = DatasetManifest()
  public private(set) var items: [ImportedItem] = []
  public private(set) var warnings: [String] = []
  public init() {}
  public func begin(manifest: DatasetManifest, imageCount: Int?) throws {
    self.manifest = manifest
    items.reserveCapacity(imageCount ?? 0)
  }
  public func consume(_ batch: [ImportedItem]) throws { items += batch }
  public func warn(_ warning: String) { warnings.append(warning) }
  public var dataset: ImportedDataset { ImportedDataset(manifest: manifest, items: items, warnings: warnings) }
}

extension DatasetImporter {
  public func streamDataset(from source: URL, options: ImportOptions, to sink: any ImportSink) throws {
    let d = try importDataset(from: source, options: options)
    try sink.begin(manifest: d.manifest, imageCount: d.items.count)
    for w in d.warnings { sink.warn(w) }
    try sink.consume(d.items)
  }

  public func detectWhy(_ source: URL) -> (DetectionConfidence, String) {
    let c = detect(source)
    return (c, c == .none ? "not recognised" : "")
  }
}

/// One image handed to an exporter: its document and a way to get its bytes.
public struct ExportItem: Sendable {
  public var document: LabelDocument
  /// Reads the image bytes (from the object store); called at most once per item.
  public var imageBytes: @Sendable () throws -> [UInt8]
  public init(document: LabelDocument, imageBytes: @escaping @Sendable () throws -> [UInt8]) {
    self.document = document; self.imageBytes = imageBytes
  }
}

/// Options every exporter understands; format-specific ones go in `extra`.
public struct ExportOptions: Sendable {
  /// Hard-link instead of copy is decided by the caller; exporters only write label files
  /// and call `writeImage` for image bytes.
  public var extra: [String: String]
  public init(extra: [String: String] = [:]) { self.extra = extra }
}

/// What an export could not hold, counted per kind of loss ("polygons written as boxes": 312).
public struct ExportReport: Sendable, Equatable {
  public var losses: [String: Int]
  public var filesWritten: Int
  public init(losses: [String: Int] = [:], filesWritten: Int = 0) { self.losses = losses; self.filesWritten = filesWritten }
  public mutating func lose(_ what: String, _ n: Int = 1) { losses[what, default: 0] += n }
  /// "312 polygons written as boxes, 40 keypoint sets dropped", sorted by text.
  public var lossSummary: String {
    losses.keys.sorted().map { "\(losses[$0]!) \($0)" }.joined(separator: ", ")
  }
}

/// Where an exporter writes. Paths are relative to the export root and validated by the sink,
/// so an exporter can never write outside it.
public protocol ExportSink {
  func write(_ relativePath: String, _ bytes: [UInt8]) throws
  /// Writes an image item's bytes at `relativePath` (copy or hard link, the sink decides).
  func writeImage(_ relativePath: String, item: ExportItem) throws
}

/// Writes one dataset format from a revision. Items arrive sorted by path; an exporter must
/// write the same bytes for the same items (no clock, no hash-map order, fixed number format).
public protocol DatasetExporter: Sendable {
  var name: String { get }
  func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
              options: ExportOptions) throws -> ExportReport
  /// The same export from items handed over one at a time in path order. A format written one
  /// image at a time (YOLO) implements it and holds one batch of documents, not the revision;
  /// the default collects the items and calls `export(manifest:items:…)`.
  func export(manifest: DatasetManifest, stream: ExportStream, to sink: any ExportSink,
              options: ExportOptions) throws -> ExportReport
}

extension DatasetExporter {
  public func export(manifest: DatasetManifest, stream: ExportStream, to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    var all: [ExportItem] = []
    all.reserveCapacity(stream.count)
    try stream.forEach { all.append($0) }
    return try export(manifest: manifest, items: all, to: sink, options: options)
  }
}

/// Export items produced on demand, in dataset-path byte order (the Kit reads and decodes the
/// documents a batch at a time), so that memory holds a batch, not every document of a revision.
public struct ExportStream: Sendable {
  /// Items the producer will consider (an upper bound when it filters).
  public let count: Int
  private let produce: @Sendable ((ExportItem) throws -> Void) throws -> Void
  public init(count: Int, produce: @escaping @Sendable ((ExportItem) throws -> Void) throws -> Void) {
    self.count = count
    self.produce = produce
  }
  /// Items already in memory, put in path order.
  public init(_ items: [ExportItem]) {
    let sorted = items.sorted { $0.document.image.path.utf8.lexicographicallyPrecedes($1.document.image.path.utf8) }
    self.init(count: sorted.count) { body in for item in sorted { try body(item) } }
  }
  public func forEach(_ body: (ExportItem) throws -> Void) throws { try produce(body) }
}

/// Errors from importing and exporting: always the file and the place.
public enum FormatError: Error, Sendable, Equatable, CustomStringConvertible {
  /// `file`: `place`: `message`, e.g. instances.json: annotations[3].bbox: expected 4 numbers.
  case invalid(file: String, place: String, message: String)
  case unknownFormat(String, known: [String])
  /// No importer recognised the path; `reasons` says why each said no ("coco: not a .json file").
  case noMatchingFormat(String, reasons: [String] = [])
  case ambiguousFormat(String, candidates: [String])
  /// `--strict` export found losses.
  case lossy(format: String, summary: String)

  /// One line: control characters in file names and values are escaped (see `DisplayText`).
  public var description: String { DisplayText.quoted(text) }

  private var text: String {
    switch self {
    case let .invalid(file, place, message): place.isEmpty ? "\(file): \(message)" : "\(file): \(place): \(message)"
    case let .unknownFormat(name, known): "unknown format '\(name)'; known formats: \(known.joined(separator: ", "))"
    case let .noMatchingFormat(path, reasons):
      "no known dataset format found in '\(path)'" + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")")
        + "; name the format instead of 'auto'"
    case let .ambiguousFormat(path, c): "'\(path)' matches several formats (\(c.joined(separator: ", "))); name one instead of 'auto'"
    case let .lossy(format, summary): "\(format) cannot hold everything in this revision: \(summary) (drop --strict to export anyway)"
    }
  }
}

/// Every importer and exporter annot knows.
public struct FormatRegistry: Sendable {
  public let importers: [any DatasetImporter]
  public let exporters: [any DatasetExporter]

  public init(importers: [any DatasetImporter], exporters: [any DatasetExporter]) {
    self.importers = importers; self.exporters = exporters
  }

  public func importer(named name: String) throws(FormatError) -> any DatasetImporter {
    guard let i = importers.first(where: { $0.name == name }) else {
      throw .unknownFormat(name, known: importers.map(\.name))
    }
    return i
  }

  public func exporter(named name: String) throws(FormatError) -> any DatasetExporter {
    guard let e = exporters.first(where: { $0.name == name }) else {
      throw .unknownFormat(name, known: exporters.map(\.name))
    }
    return e
  }

  /// The single importer most confident about `source`; throws if none, or if several tie.
  public func detect(_ source: URL) throws(FormatError) -> any DatasetImporter {
    let all = importers.map { ($0, $0.detectWhy(source)) }
    let scored = all.map { ($0.0, $0.1.0) }.filter { $0.1 > .none }
    guard let best = scored.map(\.1).max() else {
      throw .noMatchingFormat(source.path, reasons: all.map { "\($0.0.name): \($0.1.1)" })
    }
    let top = scored.filter { $0.1 == best }
    if top.count > 1 { throw .ambiguousFormat(source.path, candidates: top.map(\.0.name)) }
    return top[0].0
  }
}
