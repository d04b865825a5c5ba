import Foundation
import AnnotModel

/// Helpers for end-to-end tests: temporary directories, running the built `annot` binary and
/// the real `git`, and tiny deterministic images.
public enum TestSupport {
  /// A fresh empty directory under the system temp dir.
  public static func tempDir(_ label: String = "annot") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The `annot` executable built next to the test bundle (or `$ANNOT_BIN`).
  public static var annotBinary: String {
    if let env = ProcessInfo.processInfo.environment["ANNOT_BIN"] { return env }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("annot").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    let file = URL(fileURLWithPath: #filePath)
    return file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent(".build/debug/annot").path
  }

  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
  }

  /// Runs `executable` with `arguments` in `cwd`, with a fixed author and date.
  @discardableResult
  public static func run(_ executable: String, _ arguments: [String], in cwd: URL, env extra: [String: String] = [:]) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.currentDirectoryURL = cwd
    var env = ProcessInfo.processInfo.environment
    env["GIT_AUTHOR_NAME"] = "Test Labeler"; env["GIT_AUTHOR_EMAIL"] = "test@example.com"
    env["GIT_COMMITTER_NAME"] = "Test Labeler"; env["GIT_COMMITTER_EMAIL"] = "test@example.com"
    env["GIT_AUTHOR_DATE"] = "1767225600 +0000"; env["GIT_COMMITTER_DATE"] = "1767225600 +0000"
    env["NO_COLOR"] = "1"
    for (k, v) in extra { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read both pipes before waiting so a large output cannot block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
  }

  @discardableResult
  public static func annot(_ arguments: [String], in cwd: URL, env: [String: String] = [:]) throws -> Result {
    try run(annotBinary, arguments, in: cwd, env: env)
  }

  @discardableResult
  public static func git(_ arguments: [String], in cwd: URL) throws -> Result {
    try run("/usr/bin/git", arguments, in: cwd)
  }

  /// A valid RGB PNG of the given size whose pixels depend on `seed` (so images differ).
  public static func png(width: Int, height: Int, seed: Int = 0) -> [UInt8] {
    var raw: [UInt8] = []
    for y in 0..<height {
      raw.append(0)
      for x in 0..<width { raw += [UInt8((x + seed) & 255), UInt8((y * 3 + seed) & 255), UInt8((seed * 7) & 255)] }
    }
    func be(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
      let td = Array(type.utf8) + data
      return be(data.count) + td + be(Int(crc32(td)))
    }
    // Stored (uncompressed) deflate blocks keep this free of a zlib dependency.
    var z: [UInt8] = [0x78, 0x01]
    var i = 0
    repeat {
      let n = min(65535, raw.count - i)
      let last: UInt8 = i + n >= raw.count ? 1 : 0
      z += [last, UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)]
      z += raw[i..<(i + n)]
      i += n
    } while i < raw.count
    var a: UInt32 = 1, b: UInt32 = 0
    for c in raw { a = (a + UInt32(c)) % 65521; b = (b + a) % 65521 }
    z += be(Int(b << 16 | a))
    let ihdr = be(width) + be(height) + [8, 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", [])
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
      c ^= UInt32(b)
      for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return ~c
  }

  public static func write(_ bytes: [UInt8], to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  public static func write(_ text: String, to url: URL) throws { try write(Array(text.utf8), to: url) }

  /// A small COCO dataset: `count` images (images/img_N.png, 64×48) with two boxes each.
  /// `moved`: annotation ids shifted right by `dx`; `relabel`: annotation id → category id.
  public static func cocoDataset(in dir: URL, count: Int, moved: Set<Int> = [], dx: Double = 0, relabel: [Int: Int] = [:],
                                 name: String = "instances.json", width: Int = 64, height: Int = 48) throws -> URL {
    var images: [String] = [], anns: [String] = []
    var annID = 1
    for i in 0..<count {
      let name = "img_\(i).png"
      let file = dir.appendingPathComponent("images/\(name)")
      if !FileManager.default.fileExists(atPath: file.path) { try write(png(width: width, height: height, seed: i), to: file) }
      images.append(#"{"id":\#(i + 1),"file_name":"\#(name)","width":\#(width),"height":\#(height)}"#)
      for k in 0..<2 {
        let cat = relabel[annID] ?? (k == 0 ? 1 : 2)
        let x = Double(4 + k * 20) + (moved.contains(annID) ? dx : 0)
        anns.append(#"{"id":\#(annID),"image_id":\#(i + 1),"category_id":\#(cat),"bbox":[\#(x),6,16,12],"area":192,"iscrowd":0}"#)
        annID += 1
      }
    }
    let json = #"{"images":[\#(images.joined(separator: ","))],"annotations":[\#(anns.joined(separator: ","))],"categories":[{"id":1,"name":"car","supercategory":"vehicle"},{"id":2,"name":"person","supercategory":"human"},{"id":3,"name":"bike","supercategory":"vehicle"}]}"#
    let url = dir.appendingPathComponent(name)
    try write(json, to: url)
    return url
  }
}
