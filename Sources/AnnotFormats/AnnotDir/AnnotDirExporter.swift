import Foundation
import AnnotModel

/// Writes annot's own layout: `annot.json` (`manifest.canonicalBytes()`), `images/<path>` and
/// `labels/<path>.json` (`document.canonicalBytes()`). Lossless, so the report never has losses;
/// the bytes are those of the commit tree, so importing and exporting again is byte-identical.
public struct AnnotDirExporter: DatasetExporter {
  public init() {}
  /// `"annot"`.
  public var name: String { "annot" }

  /// Writes the manifest, then each image and its document.
  public func export(manifest: DatasetManifest, items: [ExportItem], to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    try export(manifest: manifest, stream: ExportStream(items), to: sink, options: options)
  }

  public func export(manifest: DatasetManifest, stream: ExportStream, to sink: any ExportSink,
                     options: ExportOptions) throws -> ExportReport {
    try sink.write("annot.json", manifest.canonicalBytes())
    var n = 0
    try stream.forEach { item in
      let path = item.document.image.path
      try sink.writeImage("images/\(path)", item: item)
      try sink.write("labels/\(path).json", item.document.canonicalBytes())
      n += 1
    }
    return ExportReport(losses: [:], filesWritten: 1 + 2 * n)
  }
}
