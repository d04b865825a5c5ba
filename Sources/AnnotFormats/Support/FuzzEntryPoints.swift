import Foundation
import AnnotModel
import AnnotMedia

/// Entry points for the fuzz harness (Tests/Fuzz, `Scripts/fuzz.sh`) and for the test that
/// replays the fuzz corpus: each takes arbitrary bytes and runs one importer or parser on them.
///
/// A FormatError (or any thrown error) is a correct outcome; a crash, a trap or a sanitizer
/// report is a bug. The importers that read a dataset directory run on a per-process
/// workspace under the temp directory that holds the images the seed files name (only
/// headers: importers never decode photos), so the whole importer runs, image checks included.
public enum FormatFuzz {
  /// Runs importer `name` ("coco", "cvat", "voc", "yolo", "yolo-yaml", "labelme",
  /// "labelstudio", "brush") on `bytes`. Returns false for an unknown name.
  @discardableResult
  public static func run(_ name: String, _ bytes: [UInt8]) -> Bool {
    switch name {
    case "coco": importFile(COCOImporter(), workspace: "coco", file: "instances.json", bytes, source: "instances.json")
    case "cvat": importFile(CVATImporter(), workspace: "cvat", file: "annotations.xml", bytes)
    case "voc": importFile(VOCImporter(), workspace: "voc", file: "Annotations/img1.xml", bytes)
    case "labelme": importFile(LabelMeImporter(), workspace: "labelme", file: "ann/a.json", bytes)
    case "labelstudio": importFile(LabelStudioImporter(), workspace: "labelstudio", file: "labelstudio.json", bytes)
    case "yolo":
      guard let text = String(validating: bytes, as: UTF8.self) else { return true }
      let image = ImageRecord(path: "a.png", width: 100, height: 80, mediaType: "image/png")
      _ = try? YOLOImporter.parseLabels(text, file: "a.txt", image: image, names: ["car", "person", "bike"])
    case "yolo-yaml":
      guard let text = String(validating: bytes, as: UTF8.self) else { return true }
      _ = try? YOLODataYAML.parse(text, file: "data.yaml")
    case "brush":
      // Label Studio's brush RLE: first two bytes give the mask size (1…32 × 1…32), the rest
      // are the RLE integers (one byte each, as Label Studio's arrays hold 0…255).
      guard bytes.count >= 2 else { return true }
      let w = Int(bytes[0] % 32) + 1, h = Int(bytes[1] % 32) + 1
      if let mask = try? LabelStudioBrush.decode(bytes.dropFirst(2).map(Int.init), width: w, height: h) {
        let again = try? LabelStudioBrush.decode(LabelStudioBrush.encode(mask), width: w, height: h)
        precondition(again == mask, "brush RLE: encode(decode(x)) does not decode to the same mask")
      }
    default: return false
    }
    return true
  }

  /// The image headers each workspace holds: path → (width, height).
  static let workspaceImages: [String: [String: (Int, Int)]] = [
    "coco": ["images/a.png": (100, 80), "images/sub/b.jpg": (64, 48)],
    "cvat": ["images/a.png": (20, 10), "images/sub/b.png": (8, 6)],
    "voc": ["JPEGImages/img1.png": (100, 80), "JPEGImages/sub/img2.png": (10, 10), "JPEGImages/a.png": (20, 10),
            "JPEGImages/sub/b.png": (8, 6)],
    "labelme": ["images/a.png": (100, 80)],
    "labelstudio": ["photos/a b.png": (200, 100), "abc123-m.png": (4, 2), "c.png": (6, 3), "a.png": (20, 10), "sub/b.png": (8, 6)],
  ]

  nonisolated(unsafe) private static var workspaces: [String: URL] = [:]
  private static let lock = NSLock()

  /// The workspace directory for `name`, created (with its images) on first use.
  static func workspace(_ name: String) -> URL {
    lock.lock(); defer { lock.unlock() }
    if let w = workspaces[name] { return w }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("annot-fuzz-\(getpid())-\(name)")
    try? FileManager.default.removeItem(at: dir)
    for (path, (w, h)) in workspaceImages[name] ?? [:] {
      let url = dir.appendingPathComponent(path)
      try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? Data(path.hasSuffix(".jpg") ? jpegHeader(w, h) : pngHeader(w, h)).write(to: url)
    }
    workspaces[name] = dir
    return dir
  }

  private static func importFile(_ importer: any DatasetImporter, workspace name: String, file: String,
                                 _ bytes: [UInt8], source: String? = nil) {
    let dir = workspace(name)
    let url = dir.appendingPathComponent(file)
    try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    guard (try? Data(bytes).write(to: url)) != nil else { return }
    _ = try? importer.importDataset(from: source.map { dir.appendingPathComponent($0) } ?? dir, options: ImportOptions())
  }

  static func pngHeader(_ w: Int, _ h: Int) -> [UInt8] {
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(w) + be32(h) + [8, 6, 0, 0, 0, 0, 0, 0, 0]
  }

  static func jpegHeader(_ w: Int, _ h: Int) -> [UInt8] {
    [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(h >> 8), UInt8(h & 255), UInt8(w >> 8), UInt8(w & 255), 0x03,
     0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9]
  }
}
