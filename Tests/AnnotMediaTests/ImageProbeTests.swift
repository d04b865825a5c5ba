import Foundation
import Testing
import AnnotMedia
import AnnotTestSupport

/// One probe case: bytes and the size/type/depth their header states (read off the files'
/// hex dumps, not through ImageProbe). Add a case by appending a row.
struct ProbeCase: Sendable, CustomTestStringConvertible {
  var name: String
  var bytes: [UInt8]
  var expected: ImageInfo
  var testDescription: String { name }

  static let all: [ProbeCase] = [
    ProbeCase(name: "PNG 8-bit RGB", bytes: Images.png8, expected: ImageInfo(width: 5, height: 3, mediaType: "image/png", bitDepth: 8)),
    ProbeCase(name: "PNG 16-bit grey", bytes: Images.png16, expected: ImageInfo(width: 5, height: 3, mediaType: "image/png", bitDepth: 16)),
    ProbeCase(name: "JPEG with JFIF + EXIF APP1", bytes: Images.jpegExif, expected: ImageInfo(width: 6, height: 4, mediaType: "image/jpeg", bitDepth: 8)),
    ProbeCase(name: "JPEG progressive (SOF2)", bytes: Images.jpegProgressive, expected: ImageInfo(width: 10, height: 7, mediaType: "image/jpeg", bitDepth: 8)),
    ProbeCase(name: "JPEG with 0xFF fill bytes before a marker", bytes: [0xFF, 0xD8, 0xFF, 0xFF, 0xFF] + Images.jpegExif.dropFirst(3),
              expected: ImageInfo(width: 6, height: 4, mediaType: "image/jpeg", bitDepth: 8)),
    ProbeCase(name: "BMP bottom-up", bytes: Images.bmp, expected: ImageInfo(width: 7, height: 2, mediaType: "image/bmp", bitDepth: 24)),
    ProbeCase(name: "BMP top-down (negative height)", bytes: patch(Images.bmp, at: 22, [0xFE, 0xFF, 0xFF, 0xFF]),
              expected: ImageInfo(width: 7, height: 2, mediaType: "image/bmp", bitDepth: 24)),
    ProbeCase(name: "GIF87a", bytes: Images.gif, expected: ImageInfo(width: 3, height: 9, mediaType: "image/gif", bitDepth: 1)),
    ProbeCase(name: "WebP lossy VP8", bytes: Images.webpLossy, expected: ImageInfo(width: 9, height: 5, mediaType: "image/webp", bitDepth: 8)),
    ProbeCase(name: "WebP lossless VP8L", bytes: Images.webpLossless, expected: ImageInfo(width: 9, height: 5, mediaType: "image/webp", bitDepth: 8)),
    ProbeCase(name: "WebP extended VP8X", bytes: Images.webpExtended, expected: ImageInfo(width: 9, height: 5, mediaType: "image/webp", bitDepth: 8)),
    ProbeCase(name: "TIFF little-endian, LONG sizes", bytes: Images.tiffLE, expected: ImageInfo(width: 4, height: 6, mediaType: "image/tiff", bitDepth: 8)),
    ProbeCase(name: "TIFF big-endian, SHORT width, LONG height", bytes: bigEndianTIFF,
              expected: ImageInfo(width: 258, height: 300, mediaType: "image/tiff", bitDepth: 16)),
  ]

  static func patch(_ b: [UInt8], at o: Int, _ with: [UInt8]) -> [UInt8] {
    var c = b; for (k, x) in with.enumerated() { c[o + k] = x }; return c
  }

  /// Hand-written: header, IFD at 8 with ImageWidth SHORT 258, ImageLength LONG 300, BitsPerSample SHORT 16.
  static let bigEndianTIFF: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 3,
    0x01, 0x00, 0, 3, 0, 0, 0, 1, 0x01, 0x02, 0, 0,
    0x01, 0x01, 0, 4, 0, 0, 0, 1, 0, 0, 0x01, 0x2C,
    0x01, 0x02, 0, 3, 0, 0, 0, 1, 0, 16, 0, 0,
    0, 0, 0, 0]
}

@Suite struct ImageProbeTests {
  @Test(arguments: ProbeCase.all)
  func probesBytes(_ c: ProbeCase) throws {
    #expect(try ImageProbe.probe(c.bytes) == c.expected)
  }

  @Test(arguments: ProbeCase.all)
  func probesFiles(_ c: ProbeCase) throws {
    let dir = try TestSupport.tempDir("probe")
    defer { try? FileManager.default.removeItem(at: dir) }
    try TestSupport.write(c.bytes, to: dir.appendingPathComponent("img"))
    #expect(try ImageProbe.probe(fileAt: dir.appendingPathComponent("img")) == c.expected)
  }

  /// Two 64 KiB APP2 segments push the SOF past the first read: the file probe must seek on.
  @Test func jpegWithSOFBeyondTheFirst64KiB() throws {
    var big: [UInt8] = [0xFF, 0xD8]
    for _ in 0..<2 { big += [0xFF, 0xE2, 0xFF, 0xFF] + [UInt8](repeating: 0x41, count: 65533) }
    big += Images.jpegExif.dropFirst(2)
    #expect(big.count > 2 * ImageProbe.headerPrefix)
    let dir = try TestSupport.tempDir("probe")
    defer { try? FileManager.default.removeItem(at: dir) }
    try TestSupport.write(big, to: dir.appendingPathComponent("late.jpg"))
    let expected = ImageInfo(width: 6, height: 4, mediaType: "image/jpeg", bitDepth: 8)
    #expect(try ImageProbe.probe(fileAt: dir.appendingPathComponent("late.jpg")) == expected)
    #expect(try ImageProbe.probe(big) == expected)
  }

  @Test func errorsNameTheFileAndTheProblem() throws {
    func message(_ b: [UInt8]) -> String? {
      do { _ = try ImageProbe.probe(b, name: "x.img"); return nil } catch { return error.description }
    }
    #expect(message(Array(Images.jpegExif.prefix(30))) == "x.img: truncated image: file ends (at 30 bytes) inside the JPEG marker segments before the frame header")
    #expect(message(Array(Images.png8.prefix(20))) == "x.img: truncated image: file ends (at 20 bytes) inside the PNG IHDR chunk")
    #expect(message(Array("hello, world".utf8)) == "x.img: not a JPEG, PNG, BMP, GIF, WebP or TIFF image")
    #expect(message([]) == "x.img: truncated image: empty file")
    #expect(message([0xFF, 0xD8, 0xFF, 0xDA, 0, 2]) == "x.img: invalid image header: JPEG has no frame header (SOF) before its scan data")
    #expect(message([0x49, 0x49, 0x2B, 0x00, 8, 0, 0, 0]) == "x.img: invalid image header: BigTIFF is not supported")
    let missing = URL(fileURLWithPath: "/nonexistent/annot/x.png")
    #expect(throws: MediaError.unreadable(file: "/nonexistent/annot/x.png", reason: "no such file")) { try ImageProbe.probe(fileAt: missing) }
  }
}
