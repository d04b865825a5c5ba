import Foundation
import Testing
import AnnotModel
import AnnotFormats

/// Tiny real images made with Pillow 13 at test-authoring time (solid colours; sizes in the names
/// or in `ImageProbeTests`). Base64 keeps them readable in review and out of Package.swift resources.
enum Images {
  static func bytes(_ b64: String) -> [UInt8] { [UInt8](Data(base64Encoded: b64)!) }
  /// 73 bytes.
  static let png8 = bytes("iVBORw0KGgoAAAANSUhEUgAAAAUAAAADCAIAAADUVFKvAAAAEElEQVR4nGP8z4ACmBjw8wEvkQEFsRIyegAAAABJRU5ErkJggg==")
  /// 75 bytes.
  static let png16 = bytes("iVBORw0KGgoAAAANSUhEUgAAAAUAAAADEAAAAAAuzUZnAAAAEklEQVR4nGNkfsEABUwMDFiYABz8APHb9XRkAAAAAElFTkSuQmCC")
  /// 374 bytes.
  static let jpegExif = bytes("/9j/4AAQSkZJRgABAQAAAQABAAD/4QAoRXhpZgAATU0AKgAAAAgAAQEPAAIAAAAGAAAAGgAAAABhbm5vdAD/2wBDAKBueIx4ZKCMgoy0qqC+8P//8Nzc8P//////////////////////////////////////////////////////////wAALCAAEAAYBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AG1//9k=")
  /// 281 bytes.
  static let jpegProgressive = bytes("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAKBueIx4ZKCMgoy0qqC+8P//8Nzc8P//////////////////////////////////////////////////////////wgALCAAHAAoBAREA/8QAFQABAQAAAAAAAAAAAAAAAAAAAAH/2gAIAQEAAAABj//EABQQAQAAAAAAAAAAAAAAAAAAABD/2gAIAQEAAQUCP//EABQQAQAAAAAAAAAAAAAAAAAAABD/2gAIAQEABj8CP//EABQQAQAAAAAAAAAAAAAAAAAAABD/2gAIAQEAAT8hP//aAAgBAQAAABA//8QAFBABAAAAAAAAAAAAAAAAAAAAEP/aAAgBAQABPxA//9k=")
  /// 102 bytes.
  static let bmp = bytes("Qk1mAAAAAAAAADYAAAAoAAAABwAAAAIAAAABABgAAAAAADAAAADEDgAAxA4AAAAAAAAAAAAAAP8AAP8AAP8AAP8AAP8AAP8AAP8AAAAAAP8AAP8AAP8AAP8AAP8AAP8AAP8AAAAA")
  /// 44 bytes.
  static let gif = bytes("R0lGODdhAwAJAIAAAAAAAAAAACwAAAAAAwAJAAAICwABCBxIsKBBgwEBADs=")
  /// 60 bytes.
  static let webpLossy = bytes("UklGRjQAAABXRUJQVlA4ICgAAACQAQCdASoJAAUAB0CWJaACdLoAA5gA/uUK+Cepco/+N48CvJdjoAAA")
  /// 36 bytes.
  static let webpLossless = bytes("UklGRhwAAABXRUJQVlA4TA8AAAAvCAABAAcQ/Y/+ByKi/wEA")
  /// 96 bytes.
  static let webpExtended = bytes("UklGRlgAAABXRUJQVlA4WAoAAAAQAAAACAAABAAAQUxQSAoAAAABB1DAiAhERP8DVlA4ICgAAACQAQCdASoJAAUAB0CWJaACdLoAA5gA/uUK+Cepco/+N48CvJdjoAAA")
  /// 146 bytes.
  static let tiffLE = bytes("SUkqAAgAAAAJAAABBAABAAAABAAAAAEBBAABAAAABgAAAAIBAwABAAAACAAAAAMBAwABAAAAAQAAAAYBAwABAAAAAQAAABEBBAABAAAAegAAABYBBAABAAAABgAAABcBBAABAAAAGAAAABwBAwABAAAAAQAAAAAAAAAHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=")
  /// 250 bytes.
  static let png100x80 = bytes("iVBORw0KGgoAAAANSUhEUgAAAGQAAABQCAIAAABga0e4AAAAwUlEQVR4nO3QQQ0AIRDAwOM0rH+tWKAvQjKjoOmamY8z/+2Al5gVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFZgVmBWYFWzRVQDcQngmlgAAAABJRU5ErkJggg==")
  /// 100 bytes.
  static let png40x30 = bytes("iVBORw0KGgoAAAANSUhEUgAAACgAAAAeCAIAAADRv8uKAAAAK0lEQVR4nO3NMQEAAAgDIDXD+me1gp8PFKCT1Id5WcVisVgsFovFYrFYfLIKLQB4yMFipwAAAABJRU5ErkJggg==")
  /// 367 bytes.
  static let jpeg64x48 = bytes("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAKBueIx4ZKCMgoy0qqC+8P//8Nzc8P//////////////////////////////////////////////////////////wAALCAAwAEABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AIqKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK//2Q==")
}

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
