import Foundation
import AnnotModel

/// What an image header says: pixel size, media type and sample depth.
public struct ImageInfo: Sendable, Hashable {
  public var width: Int
  public var height: Int
  /// `image/jpeg`, `image/png`, `image/bmp`, `image/gif`, `image/webp` or `image/tiff`.
  public var mediaType: String
  /// Bits per sample as the header states it: PNG/TIFF bit depth, JPEG sample precision,
  /// GIF colour resolution, 8 for WebP; for BMP, bits per *pixel* (the only depth BMP records).
  public var bitDepth: Int

  /// Makes an info value.
  public init(width: Int, height: Int, mediaType: String, bitDepth: Int) {
    self.width = width; self.height = height; self.mediaType = mediaType; self.bitDepth = bitDepth
  }
}

/// Why an image header could not be read. Every case names the file.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file ends before the header says it should.
  case truncated(file: String, detail: String)
  /// The first bytes match no format annot knows.
  case unknownFormat(file: String)
  /// The format is known but the header is malformed or unsupported.
  case invalid(file: String, detail: String)
  /// The file could not be opened or read.
  case unreadable(file: String, reason: String)

  /// One line: the file, then what is wrong.
  public var description: String {
    switch self {
    case let .truncated(file, _), let .unknownFormat(file), let .invalid(file, _), let .unreadable(file, _): "\(file): \(problem)"
    }
  }

  /// What is wrong, without the file (for callers that name the file themselves).
  public var problem: String {
    switch self {
    case let .truncated(_, detail): "truncated image: \(detail)"
    case .unknownFormat: "not a JPEG, PNG, BMP, GIF, WebP or TIFF image"
    case let .invalid(_, detail): "invalid image header: \(detail)"
    case let .unreadable(_, reason): "cannot read image: \(reason)"
    }
  }
}

/// Reads image sizes from file headers without decoding pixels.
///
/// Why by hand: Foundation on Linux has no image I/O, and decoding a photo to learn its size
/// would cost milliseconds per image on import; a header read costs one small `read`.
public enum ImageProbe {
  /// Bytes read from the start of a file before anything else; enough for every format's
  /// header and for nearly every JPEG (their SOF follows EXIF and ICC segments).
  public static let headerPrefix = 16 * 1024

  /// Probes an image held in memory; `name` only labels errors.
  public static func probe(_ bytes: [UInt8], name: String = "<bytes>") throws(MediaError) -> ImageInfo {
    try run(ByteSource(prefix: bytes, total: bytes.count, fetch: nil), name: name)
  }

  /// Probes the file at `url`, reading the first 16 KiB and, only when a JPEG's SOF or a
  /// TIFF's first IFD lies beyond that, the few bytes needed at later offsets.
  /// Errors name the file by `url.path`.
  public static func probe(fileAt url: URL) throws(MediaError) -> ImageInfo { try probe(atPath: url.path) }

  /// `probe(fileAt:)` by path: importers that probe 100,000s of images build no URL for each.
  public static func probe(atPath name: String) throws(MediaError) -> ImageInfo {
    // POSIX reads (not FileHandle/Data): an import probes every image, 100,000s of them.
    let fd = open(name, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      let exists = FileManager.default.fileExists(atPath: name)
      throw .unreadable(file: name, reason: exists ? "permission denied or not a regular file" : "no such file")
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
      throw .unreadable(file: name, reason: "permission denied or not a regular file")
    }
    func readAt(_ offset: Int, _ count: Int) throws -> [UInt8] {
      var out = [UInt8](repeating: 0, count: max(0, count))
      var done = 0
      while done < out.count {
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { throw MediaError.unreadable(file: name, reason: String(cString: strerror(errno))) }
        if n == 0 { break }
        done += n
      }
      return done == out.count ? out : Array(out[0..<done])
    }
    let source: ByteSource
    do {
      let total = Int(st.st_size)
      source = ByteSource(prefix: try readAt(0, min(headerPrefix, total)), total: total) { offset, count in try readAt(offset, count) }
    } catch {
      throw .unreadable(file: name, reason: "\(error)")
    }
    return try run(source, name: name)
  }

  private static func run(_ s: ByteSource, name: String) throws(MediaError) -> ImageInfo {
    do throws(Failure) {
      let info = try sniff(s)
      guard info.width > 0, info.height > 0 else { throw Failure.invalid("image size \(info.width)x\(info.height)") }
      // A 45-byte PNG may declare 100000x100000; refusing it here keeps every later step
      // (validation, mask export) from allocating for it.
      if let problem = Limits.imageSizeProblem(width: info.width, height: info.height) { throw Failure.invalid(problem) }
      return info
    } catch {
      switch error {
      case .truncated(let d): throw .truncated(file: name, detail: d)
      case .invalid(let d): throw .invalid(file: name, detail: d)
      case .unknown: throw .unknownFormat(file: name)
      case .io(let d): throw .unreadable(file: name, reason: d)
      }
    }
  }

  /// Internal failure without the file name; `run` adds it.
  enum Failure: Error { case truncated(String), invalid(String), unknown, io(String) }

  static func sniff(_ s: ByteSource) throws(Failure) -> ImageInfo {
    let head = s.prefix
    func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head[0..<magic.count]) == magic }
    if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try png(s) }
    if starts([0xFF, 0xD8]) { return try jpeg(s) }
    if starts(Array("GIF8".utf8)) { return try gif(s) }
    if starts(Array("BM".utf8)) { return try bmp(s) }
    if starts(Array("RIFF".utf8)) {
      if head.count < 12 { throw .truncated("file ends (at \(head.count) bytes) inside the RIFF header") }
      if Array(head[8..<12]) == Array("WEBP".utf8) { return try webp(s) }
    }
    if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return try tiff(s, little: head[0] == 0x49) }
    if starts([0x49, 0x49, 0x2B, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2B]) { throw .invalid("BigTIFF is not supported") }
    if head.isEmpty { throw .truncated("empty file") }
    throw .unknown
  }

  // MARK: PNG

  static func png(_ s: ByteSource) throws(Failure) -> ImageInfo {
    let h = try s.bytes(8, 25, what: "PNG IHDR chunk")
    guard Array(h[4..<8]) == Array("IHDR".utf8), be32(h, 0) == 13 else { throw .invalid("PNG does not start with an IHDR chunk") }
    let depth = Int(h[16])
    guard [1, 2, 4, 8, 16].contains(depth) else { throw .invalid("PNG bit depth \(depth)") }
    return ImageInfo(width: be32(h, 8), height: be32(h, 12), mediaType: "image/png", bitDepth: depth)
  }

  // MARK: JPEG

  /// Walks the marker segments (skipping APPn/EXIF, tables and fill bytes) to the first SOFn.
  static func jpeg(_ s: ByteSource) throws(Failure) -> ImageInfo {
    var p = 2
    let what = "JPEG marker segments before the frame header"
    while true {
      // A marker is 0xFF then a code; any number of 0xFF fill bytes may come first.
      var b = try s.bytes(p, 1, what: what)[0]
      guard b == 0xFF else { throw .invalid("JPEG: expected a marker at byte \(p), found 0x\(hex(b))") }
      while b == 0xFF { p += 1; b = try s.bytes(p, 1, what: what)[0] }
      let marker = b
      p += 1
      switch marker {
      case 0x01, 0xD0...0xD8: continue   // standalone markers carry no length
      case 0xD9, 0xDA: throw .invalid("JPEG has no frame header (SOF) before its scan data")
      default: break
      }
      let len = be16(try s.bytes(p, 2, what: what), 0)
      guard len >= 2 else { throw .invalid("JPEG segment 0xFF\(hex(marker)) at byte \(p - 2) has length \(len)") }
      // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
      let isSOF = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
      if isSOF {
        let f = try s.bytes(p + 2, 5, what: "JPEG frame header")
        let height = be16(f, 1), width = be16(f, 3)
        if height == 0 { throw .invalid("JPEG height defined by a DNL marker is not supported") }
        return ImageInfo(width: width, height: height, mediaType: "image/jpeg", bitDepth: Int(f[0]))
      }
      p += len
    }
  }

  // MARK: GIF, BMP

  static func gif(_ s: ByteSource) throws(Failure) -> ImageInfo {
    let h = try s.bytes(0, 11, what: "GIF screen descriptor")
    let version = String(decoding: h[3..<6], as: UTF8.self)
    guard version == "87a" || version == "89a" else { throw .invalid("GIF version '\(version)'") }
    return ImageInfo(width: le16(h, 6), height: le16(h, 8), mediaType: "image/gif", bitDepth: Int((h[10] >> 4) & 7) + 1)
  }

  static func bmp(_ s: ByteSource) throws(Failure) -> ImageInfo {
    let h = try s.bytes(0, 18, what: "BMP headers")
    let dib = le32(h, 14)
    if dib == 12 {   // BITMAPCOREHEADER (OS/2): unsigned 16-bit sizes
      let c = try s.bytes(18, 8, what: "BMP core header")
      return ImageInfo(width: le16(c, 0), height: le16(c, 2), mediaType: "image/bmp", bitDepth: le16(c, 6))
    }
    guard dib >= 40 else { throw .invalid("BMP DIB header size \(dib)") }
    let c = try s.bytes(18, 12, what: "BMP info header")
    let width = Int(Int32(bitPattern: UInt32(le32(c, 0))))
    let height = Int(Int32(bitPattern: UInt32(le32(c, 4))))
    // A negative height means rows are stored top-down; the size is its magnitude.
    return ImageInfo(width: width, height: abs(height), mediaType: "image/bmp", bitDepth: le16(c, 10))
  }

  // MARK: WebP

  static func webp(_ s: ByteSource) throws(Failure) -> ImageInfo {
    let c = try s.bytes(12, 8, what: "WebP chunk header")
    let fourCC = String(decoding: c[0..<4], as: UTF8.self)
    switch fourCC {
    case "VP8 ":   // lossy: 3-byte frame tag, start code 9D 01 2A, 14-bit sizes
      let d = try s.bytes(20, 10, what: "WebP VP8 frame header")
      guard d[3] == 0x9D, d[4] == 0x01, d[5] == 0x2A else { throw .invalid("WebP VP8 start code missing") }
      return ImageInfo(width: le16(d, 6) & 0x3FFF, height: le16(d, 8) & 0x3FFF, mediaType: "image/webp", bitDepth: 8)
    case "VP8L":   // lossless: signature 0x2F, then 14-bit width-1 and height-1
      let d = try s.bytes(20, 5, what: "WebP VP8L header")
      guard d[0] == 0x2F else { throw .invalid("WebP VP8L signature missing") }
      let bits = UInt32(le32(d, 1))
      return ImageInfo(width: Int(bits & 0x3FFF) + 1, height: Int((bits >> 14) & 0x3FFF) + 1, mediaType: "image/webp", bitDepth: 8)
    case "VP8X":   // extended: flags, 3 reserved bytes, 24-bit canvas width-1 and height-1
      let d = try s.bytes(20, 10, what: "WebP VP8X header")
      let w = Int(d[4]) | Int(d[5]) << 8 | Int(d[6]) << 16
      let h = Int(d[7]) | Int(d[8]) << 8 | Int(d[9]) << 16
      return ImageInfo(width: w + 1, height: h + 1, mediaType: "image/webp", bitDepth: 8)
    default:
      throw .invalid("WebP chunk '\(fourCC)' where VP8, VP8L or VP8X was expected")
    }
  }

  // MARK: TIFF

  /// Reads the first IFD: ImageWidth (256), ImageLength (257) as SHORT or LONG, BitsPerSample (258).
  static func tiff(_ s: ByteSource, little: Bool) throws(Failure) -> ImageInfo {
    func u16(_ b: [UInt8], _ o: Int) -> Int { little ? le16(b, o) : be16(b, o) }
    func u32(_ b: [UInt8], _ o: Int) -> Int { little ? le32(b, o) : be32(b, o) }
    let ifd = u32(try s.bytes(4, 4, what: "TIFF header"), 0)
    guard ifd >= 8 else { throw .invalid("TIFF first IFD offset \(ifd)") }
    let n = u16(try s.bytes(ifd, 2, what: "TIFF IFD"), 0)
    guard n > 0 else { throw .invalid("TIFF first IFD is empty") }
    let entries = try s.bytes(ifd + 2, 12 * n, what: "TIFF IFD entries")
    var width: Int?, height: Int?, depth = 1
    for k in 0..<n {
      let e = 12 * k
      let tag = u16(entries, e), type = u16(entries, e + 2), count = u32(entries, e + 4)
      // SHORT values sit left-justified in the 4-byte value field; LONG values fill it.
      let value: Int? = switch type {
      case 3: u16(entries, e + 8)
      case 4: u32(entries, e + 8)
      default: nil
      }
      switch tag {
      case 256, 257:
        guard let v = value, count == 1 else { throw .invalid("TIFF tag \(tag) is not a single SHORT or LONG") }
        if tag == 256 { width = v } else { height = v }
      case 258 where type == 3 && count >= 1:
        // Up to two SHORTs fit in the value field; more are stored at the offset it holds.
        depth = count <= 2 ? u16(entries, e + 8) : u16(try s.bytes(u32(entries, e + 8), 2, what: "TIFF BitsPerSample"), 0)
      default: break
      }
    }
    guard let w = width, let h = height else { throw .invalid("TIFF first IFD lacks ImageWidth or ImageLength") }
    return ImageInfo(width: w, height: h, mediaType: "image/tiff", bitDepth: depth)
  }

  // MARK: Bytes

  static func hex(_ b: UInt8) -> String { let s = String(b, radix: 16, uppercase: true); return b < 16 ? "0" + s : s }
  static func be16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) << 8 | Int(b[o + 1]) }
  static func le16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
  static func be32(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
  static func le32(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
}

/// The start of a file in memory, plus a way to read further bytes only when a header needs them.
struct ByteSource {
  let prefix: [UInt8]
  let total: Int
  let fetch: ((Int, Int) throws -> [UInt8])?

  /// `count` bytes at `offset`; throws `truncated` naming `what` if the file is shorter.
  func bytes(_ offset: Int, _ count: Int, what: String) throws(ImageProbe.Failure) -> [UInt8] {
    guard offset >= 0, count >= 0, offset + count <= total else {
      throw .truncated("file ends (at \(total) bytes) inside the \(what)")
    }
    if offset + count <= prefix.count { return Array(prefix[offset..<(offset + count)]) }
    guard let fetch else { throw .truncated("file ends (at \(prefix.count) bytes) inside the \(what)") }
    let b: [UInt8]
    do { b = try fetch(offset, count) } catch { throw ImageProbe.Failure.io("\(error)") }
    guard b.count == count else { throw .truncated("file ends inside the \(what)") }
    return b
  }
}
