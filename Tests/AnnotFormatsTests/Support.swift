import Foundation
import Testing
import AnnotModel
import AnnotFormats
@_exported import AnnotTestSupport

/// A fresh directory under the system temp dir, removed by the caller via `defer`.
func makeTempDir(_ function: String = #function) -> URL {
  let u = FileManager.default.temporaryDirectory
    .appendingPathComponent("annot-formats-\(function.filter(\.isLetter))-\(UUID().uuidString)")
  try! FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
  return u
}

/// Writes `bytes` at `root/rel`, creating folders.
func put(_ root: URL, _ rel: String, _ bytes: [UInt8]) {
  let u = root.appendingPathComponent(rel)
  try! FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
  try! Data(bytes).write(to: u)
}
func put(_ root: URL, _ rel: String, _ text: String) { put(root, rel, Array(text.utf8)) }

/// An ExportSink that keeps files in memory and refuses paths that leave the root.
final class MemorySink: ExportSink {
  var files: [String: [UInt8]] = [:]
  func write(_ relativePath: String, _ bytes: [UInt8]) throws {
    if let why = DatasetPath.validate(relativePath) { throw FormatError.invalid(file: relativePath, place: "", message: why) }
    precondition(files[relativePath] == nil, "written twice: \(relativePath)")
    files[relativePath] = bytes
  }
  func writeImage(_ relativePath: String, item: ExportItem) throws { try write(relativePath, try item.imageBytes()) }
  func text(_ path: String) -> String? { files[path].map { String(decoding: $0, as: UTF8.self) } }
  /// Writes every file under `root`.
  func dump(to root: URL) { for (p, b) in files { put(root, p, b) } }
}

/// Export items for an imported dataset, reading image bytes from the imported files.
func exportItems(_ d: ImportedDataset) -> [ExportItem] {
  d.items.map { item in
    let url = item.imageFile
    return ExportItem(document: item.document) { [UInt8](try Data(contentsOf: url)) }
  }
}

/// The one-line message of whatever `body` throws, or nil.
func errorLine(_ body: () throws -> Void) -> String? {
  do { try body(); return nil } catch { return "\(error)" }
}
