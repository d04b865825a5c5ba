import Foundation
import Testing
import AnnotModel
import AnnotMedia
@testable import AnnotFormats

/// Hostile inputs at the format layer (issue 11, classes 1, 2, 4 and 7): each is refused with a
/// FormatError naming the file and the place; none crashes or allocates for a size it declares.
@Suite struct HardeningTests {
  // MARK: XML

  func xmlError(_ bytes: [UInt8]) -> String? {
    do { _ = try XMLTree.parse(bytes, file: "a.xml"); return nil } catch { return error.description }
  }

  @Test(arguments: [
    ("<annotations><i\u{FF}age/></annotations>", "a.xml: line 1, column 16: malformed XML: invalid UTF-8 byte"),
    ("<annotations>\n<image na\u{FE}me=\"x\"/></annotations>", "a.xml: line 2, column 10: malformed XML: invalid UTF-8 byte"),
    ("<annotations>\n<image name=\"\u{C3}\"/></annotations>", "a.xml: line 2, column 14: malformed XML: invalid UTF-8 byte"),
  ])
  func invalidUTF8AnywhereIsAnErrorWithItsPlace(_ c: (String, String)) {
    // The strings hold raw bytes via Latin-1 code points: map each scalar to one byte.
    let bytes = c.0.unicodeScalars.map { UInt8($0.value) }
    #expect(xmlError(bytes) == c.1)
  }

  @Test func deepNestingStopsAtTheDepthLimit() {
    let deep = "<r>" + String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000) + "</r>"
    #expect(xmlError(Array(deep.utf8))?.contains("elements nested deeper than 256 levels") == true)
    let ok = "<r>" + String(repeating: "<a>", count: 200) + "x" + String(repeating: "</a>", count: 200) + "</r>"
    #expect(xmlError(Array(ok.utf8)) == nil)
  }

  @Test func parsesNamesAttributesTextAndLines() throws {
    let xml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r a=\"1 &amp; 2\" x:b=\"é\">\n  <c>t&lt;1<![CDATA[<raw>]]></c>\n  <c/>\n</r>"
    let root = try XMLTree.parse(Array(xml.utf8), file: "a.xml")
    #expect(root.name == "r" && root.line == 2)
    #expect(root.attributes == ["a": "1 & 2", "x:b": "é"])  // the encoding declaration is ignored: bytes are UTF-8
    #expect(root.children.map(\.name) == ["c", "c"] && root.children[1].line == 4)
    #expect(root.children[0].text == "t<1<raw>")
  }

  @Test(arguments: [
    "<r>&undefined;</r>", "<r><a></b></r>", "", "<r>", "<r/><r/>", "<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>",
    "<r xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/etc/passwd\" parse=\"text\"/></r>",
  ])
  func malformedOrHostileXMLIsRefusedOrInert(_ text: String) throws {
    do {
      let root = try XMLTree.parse(Array(text.utf8), file: "a.xml")
      // XInclude is never processed: the element stays an element, nothing is read.
      #expect(root.children.first?.name == "xi:include" && root.children.first?.text == "")
    } catch {
      #expect(error.description.hasPrefix("a.xml: "))
      #expect(!error.description.contains("\n"))
    }
  }

  // MARK: Resource limits

  static func png(_ w: Int, _ h: Int) -> [UInt8] {
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(w) + be32(h) + [8, 0, 0, 0, 0, 0, 0, 0, 0]
  }

  @Test func imageHeadersBeyondThePixelLimitAreRefused() throws {
    #expect(throws: MediaError.invalid(file: "<bytes>", detail: "image size 100000x100000 exceeds the limit of 268435456 pixels (raise it with ANNOT_MAX_IMAGE_PIXELS)")) {
      try ImageProbe.probe(Self.png(100_000, 100_000))
    }
    #expect(throws: MediaError.self) { try ImageProbe.probe(Self.png(2_000_000, 1)) }
    #expect(try ImageProbe.probe(Self.png(16384, 16384)).width == 16384)
    #expect(Limits.imageSizeProblem(width: Int.max, height: Int.max) != nil)  // no overflow trap
  }

  /// A complete, CRC-correct PNG whose IHDR declares `w`x`h` (grey, 8-bit) and whose data is empty.
  static func pngFile(_ w: Int, _ h: Int) -> [UInt8] {
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    func crc(_ b: [UInt8]) -> UInt32 {
      var c: UInt32 = 0xFFFF_FFFF
      for x in b { c ^= UInt32(x); for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 } }
      return ~c
    }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
      let body = Array(type.utf8) + data
      return be32(data.count) + body + be32(Int(crc(body)))
    }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", be32(w) + be32(h) + [8, 0, 0, 0, 0])
      + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
  }

  @Test func maskPNGsDeclaringHugeSizesAreRefusedBeforeDecoding() {
    #expect(throws: MediaError.invalid(file: "m.png", detail: "image size 100000x100000 exceeds the limit of 268435456 pixels (raise it with ANNOT_MAX_IMAGE_PIXELS)")) {
      try PNGCodec.decode(Self.pngFile(100_000, 100_000), name: "m.png")
    }
  }

  @Test func validationRefusesDocumentsDeclaringHugeImages() {
    let doc = LabelDocument(image: ImageRecord(path: "a.png", width: 1 << 20, height: 1 << 20, mediaType: "image/png"), annotations: [
      Annotation(id: "m", label: "x", shape: .mask(RLEMask(height: 1 << 20, width: 1 << 20, counts: .runs([1 << 40])))),
    ])
    #expect(DocumentValidation.problems(doc, schema: nil).map(\.message) == [
      "image size 1048576x1048576 exceeds the limit of 268435456 pixels (raise it with ANNOT_MAX_IMAGE_PIXELS)"])
  }

  @Test func inputFilesOverTheLimitAndNonRegularFilesAreRefusedUnread() throws {
    let d = makeTempDir()
    defer { try? FileManager.default.removeItem(at: d) }
    put(d, "big.json", String(repeating: " ", count: 1000))
    #expect(throws: FormatError.invalid(file: "big.json", place: "", message: "file is 1000 bytes, over the input limit of 999 (raise it with ANNOT_MAX_INPUT_BYTES)")) {
      try FileAccess.read(d.appendingPathComponent("big.json"), display: "big.json", limit: 999)
    }
    #expect(try FileAccess.read(d.appendingPathComponent("big.json"), display: "big.json", limit: 1000).count == 1000)
    // A FIFO would block a plain read forever.
    let fifo = d.appendingPathComponent("pipe.json")
    #expect(mkfifo(fifo.path, 0o600) == 0)
    #expect(throws: FormatError.invalid(file: "pipe.json", place: "", message: "not a regular file")) {
      try FileAccess.read(fifo, display: "pipe.json")
    }
    // A sparse file is judged by its size, before any byte is read.
    let sparse = d.appendingPathComponent("sparse.json")
    #expect(FileManager.default.createFile(atPath: sparse.path, contents: nil))
    #expect(truncate(sparse.path, 3 << 30) == 0)
    #expect(throws: FormatError.self) { try FileAccess.read(sparse, display: "sparse.json") }
  }

  @Test func labelStudioOriginalSizeMustAgreeWithTheHeader() throws {
    for (w, h, needle) in [(1 << 40, 100, "exceeds the limit"), (300, 100, "size 300x100 in the file, but the image header says 200x100")] {
      let text = LabelStudioTests.json().replacingOccurrences(of: "\"original_width\": 200", with: "\"original_width\": \(w)")
        .replacingOccurrences(of: "\"original_height\": 100", with: "\"original_height\": \(h)")
      let e = Fixture2.importError(LabelStudioImporter(), try LabelStudioTests.fixture(text))
      #expect(e?.description.contains(needle) == true, "\(String(describing: e))")
    }
  }

  @Test func cvatImageSizeDisagreeingWithTheHeaderIsAnErrorAndATurnIsAWarning() throws {
    let bad = Fixture2.importError(CVATImporter(), try CVATTests.fixture(CVATTests.xml.replacingOccurrences(of: #"name="sub/b.png" subset="Train" width="8" height="6""#, with: #"name="sub/b.png" subset="Train" width="800" height="6""#)))
    #expect(bad?.description.contains("line 64, <image>: size 800x6 in the file, but the image header says 8x6") == true, "\(String(describing: bad))")
    let turned = try CVATImporter().importDataset(from: try CVATTests.fixture(CVATTests.xml.replacingOccurrences(of: #"name="sub/b.png" subset="Train" width="8" height="6""#, with: #"name="sub/b.png" subset="Train" width="6" height="8""#)), options: ImportOptions())
    #expect(turned.warnings.contains { $0.contains("EXIF rotation") })
  }

  // MARK: Duplicates and nulls

  @Test func cvatDuplicateImageIDsAreRefused() throws {
    let xml = CVATTests.xml.replacingOccurrences(of: #"<image id="5""#, with: #"<image id="0""#)
    let e = Fixture2.importError(CVATImporter(), try CVATTests.fixture(xml))
    #expect(e?.description == "annotations.xml: line 64, <image>: image id 0 already used by the <image> on line 45")
  }

  @Test func cocoNullAnnotationsIsAnError() throws {
    let d = makeTempDir()
    defer { try? FileManager.default.removeItem(at: d) }
    let json = COCOFixture.json.replacingOccurrences(of: #""annotations": ["#, with: #""annotations": null, "x": ["#)
    let file = COCOFixture.make(d, json: json)
    #expect(throws: FormatError.invalid(file: "instances.json", place: "annotations", message: "expected an array, found null")) {
      try COCOImporter().importDataset(from: file, options: ImportOptions())
    }
  }

  // MARK: Symlinked label files

  @Test func labelFilesLinkedOutsideTheDatasetAreRefusedUnread() throws {
    let d = makeTempDir()
    defer { try? FileManager.default.removeItem(at: d) }
    let secret = d.appendingPathComponent("secret.json")
    put(d, "secret.json", #"{"shapes": [], "imagePath": "root:x:0:0:root:/root:/bin/bash"}"#)
    let ds = d.appendingPathComponent("labelme")
    put(ds, "a.png", Images.png8)
    try FileManager.default.createSymbolicLink(atPath: ds.appendingPathComponent("a.json").path, withDestinationPath: secret.path)
    let e = Fixture2.importError(LabelMeImporter(), ds)
    #expect(e?.description.hasPrefix("a.json: symlink resolves outside") == true, "\(String(describing: e))")
    #expect(e?.description.contains("root:x") == false)
    // A link that stays inside the dataset is fine.
    try FileManager.default.removeItem(at: ds.appendingPathComponent("a.json"))
    put(ds, "real/a.json", #"{"version": "5.0.1", "flags": {}, "shapes": [], "imagePath": "../a.png", "imageData": null, "imageHeight": 3, "imageWidth": 5}"#)
    try FileManager.default.createSymbolicLink(atPath: ds.appendingPathComponent("a.json").path, withDestinationPath: ds.appendingPathComponent("real/a.json").path)
    let inside = Fixture2.importError(LabelMeImporter(), ds)
    #expect(inside?.description.contains("symlink") != true, "\(String(describing: inside))")
  }

  // MARK: Quoting

  @Test func errorsEscapeControlCharacters() {
    let e = FormatError.invalid(file: "a\u{1B}[2Jb\nc.json", place: "line 1", message: "bad \u{202E}txt.exe \u{7}")
    #expect(e.description == #"a\e[2Jb\nc.json: line 1: bad \u{202E}txt.exe \u{7}"#)
    #expect(DisplayText.quoted("plain/ütf-8 path.png") == "plain/ütf-8 path.png")
    #expect(DisplayText.excerpt(String(repeating: "x", count: 100), limit: 3) == "xxx…")
  }
}
