import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

// MARK: - Helpers shared by CVATTests, VOCTests and LabelStudioTests

/// Fixture helpers for the CVAT / VOC / Label Studio tests (named to stay clear of other
/// test files in this target).
enum Fixture2 {
  /// A fresh temporary directory.
  static func tempDir() throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("annot-formats2-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
  }

  /// Writes `text` (or bytes) at `root/rel`, creating folders.
  static func write(_ root: URL, _ rel: String, _ text: String) throws { try write(root, rel, Array(text.utf8)) }
  static func write(_ root: URL, _ rel: String, _ bytes: [UInt8]) throws {
    let url = root.appendingPathComponent(rel)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  /// The first 33 bytes of a PNG of the given size: enough for a header probe.
  static func png(_ w: Int, _ h: Int) -> [UInt8] {
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(w) + be32(h)
      + [8, 6, 0, 0, 0] + [0, 0, 0, 0]
  }

  /// The error an import throws, as text; nil if it succeeded.
  static func importError(_ importer: any DatasetImporter, _ source: URL) -> FormatError? {
    do { _ = try importer.importDataset(from: source, options: ImportOptions()); return nil } catch let e as FormatError {
      return e
    } catch { Issue.record("unexpected error type: \(error)"); return nil }
  }

  /// Expected id for a format without ids: content seed, `ordinal` = identical shapes before it.
  static func contentID(_ a: Annotation, path: String, ordinal: Int = 0) -> Annotation {
    var c = a
    c.id = AnnotationID.make(imagePath: path, seed: AnnotationID.contentSeed(a, ordinal: ordinal))
    return c
  }
}

/// Collects exported files in memory.
final class MemorySink2: ExportSink {
  var files: [String: [UInt8]] = [:]
  func write(_ relativePath: String, _ bytes: [UInt8]) throws {
    #expect(DatasetPath.validate(relativePath) == nil, "exporter wrote a bad path \(relativePath)")
    files[relativePath] = bytes
  }
  func writeImage(_ relativePath: String, item: ExportItem) throws { try write(relativePath, try item.imageBytes()) }
  func text(_ path: String) -> String { files[path].map { String(decoding: $0, as: UTF8.self) } ?? "<missing \(path)>" }
  /// Writes every file under a new temporary directory and returns it.
  func materialise() throws -> URL {
    let d = try Fixture2.tempDir()
    for (p, b) in files { try Fixture2.write(d, p, b) }
    return d
  }
}

extension ImportedDataset {
  /// Items as export items whose image bytes come from the imported files.
  var exportItems: [ExportItem] {
    items.map { item in
      let url = item.imageFile
      return ExportItem(document: item.document) { Array(try Data(contentsOf: url)) }
    }
  }
}

// MARK: - CVAT

@Suite struct CVATTests {
  static let xml = """
  <?xml version="1.0" encoding="utf-8"?>
  <annotations>
    <version>1.1</version>
    <meta>
      <task>
        <id>7</id>
        <labels>
          <label>
            <name>car</name>
            <color>#FA3253</color>
            <attributes>
              <attribute>
                <name>model</name>
                <mutable>False</mutable>
                <input_type>select</input_type>
                <default_value>a</default_value>
                <values>a
  b</values>
              </attribute>
              <attribute>
                <name>parked</name>
                <input_type>checkbox</input_type>
                <default_value>false</default_value>
                <values>false</values>
              </attribute>
              <attribute>
                <name>speed</name>
                <input_type>number</input_type>
                <default_value>0</default_value>
                <values>0
  100
  1</values>
              </attribute>
            </attributes>
          </label>
          <label>
            <name>person</name>
            <color>#00ff00</color>
            <attributes>
            </attributes>
          </label>
        </labels>
      </task>
    </meta>
    <image id="0" name="a.png" width="20" height="10">
      <box label="car" source="manual" occluded="1" xtl="1" ytl="2" xbr="11.5" ybr="7" rotation="15" z_order="2" group_id="3">
        <attribute name="model">b</attribute>
        <attribute name="parked">true</attribute>
        <attribute name="speed">4.5</attribute>
      </box>
      <polygon label="person" source="auto" occluded="0" points="1,1;5,1;5,5" z_order="0">
      </polygon>
      <polyline label="person" occluded="0" points="0,0;19,9">
      </polyline>
      <points label="person" occluded="0" points="3,4">
      </points>
      <ellipse label="car" occluded="0" cx="10" cy="5" rx="4" ry="2">
      </ellipse>
      <mask label="person" occluded="0" rle="1, 4, 1" left="2" top="1" width="3" height="2" z_order="1">
      </mask>
      <tag label="car" source="manual">
      </tag>
    </image>
    <image id="5" name="sub/b.png" subset="Train" width="8" height="6">
    </image>
  </annotations>
  """

  static func fixture(_ xml: String = xml) throws -> URL {
    let d = try Fixture2.tempDir()
    try Fixture2.write(d, "annotations.xml", xml)
    try Fixture2.write(d, "images/a.png", Fixture2.png(20, 10))
    try Fixture2.write(d, "images/sub/b.png", Fixture2.png(8, 6))
    return d
  }

  /// The model the fixture must give, written out by hand.
  static func expectedA() -> LabelDocument {
    let p = "a.png"
    // Mask pixels (x, y): (3,1) (4,1) (2,2) (3,2) → column-major indices 31, 41, 22, 32 in a 20×10 image.
    let maskRuns = [22, 1, 8, 2, 8, 1, 158]
    let anns: [Annotation] = [
      Annotation(id: "-", label: "car", shape: .box(Box(x: 1, y: 2, w: 10.5, h: 5), rotation: 15),
                 attributes: ["occluded": .bool(true), "model": .string("b"), "parked": .bool(true), "speed": .number(4.5)],
                 group: 3, zOrder: 2),
      Annotation(id: "-", label: "person", shape: .polygon([[1, 1, 5, 1, 5, 5]]), attributes: ["source": .string("auto")]),
      Annotation(id: "-", label: "person", shape: .polyline([0, 0, 19, 9])),
      Annotation(id: "-", label: "person", shape: .points([3, 4])),
      Annotation(id: "-", label: "car", shape: .ellipse(cx: 10, cy: 5, rx: 4, ry: 2, rotation: 0)),
      Annotation(id: "-", label: "person", shape: .mask(RLEMask(height: 10, width: 20, counts: .compressed(RLE.encode(maskRuns)))), zOrder: 1),
      Annotation(id: "-", label: "car", shape: .tag),
    ]
    return LabelDocument(image: ImageRecord(path: p, width: 20, height: 10, mediaType: "image/png", sourceID: "0"),
                         annotations: anns.map { Fixture2.contentID($0, path: p) })
  }

  @Test func importGivesTheExactModel() throws {
    let ds = try CVATImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    #expect(ds.items.count == 2)
    #expect(ds.items[0].document == Self.expectedA())
    #expect(ds.items[1].document == LabelDocument(image: ImageRecord(path: "sub/b.png", width: 8, height: 6, mediaType: "image/png",
                                                                       sourceID: "5", split: "Train")))
    #expect(ds.items[1].imageFile.path.hasSuffix("images/sub/b.png"))
    #expect(ds.manifest.classes.map(\.name) == ["car", "person"])
    #expect(ds.manifest.classes.map(\.id) == [1, 2])
    #expect(ds.manifest.classes[0].color == "#fa3253")
    #expect(ds.manifest.classes[0].attributes == [
      AttributeDefinition(name: "model", kind: .select, values: ["a", "b"], defaultValue: .string("a")),
      AttributeDefinition(name: "parked", kind: .bool, defaultValue: .bool(false)),
      AttributeDefinition(name: "speed", kind: .number, values: ["0", "100", "1"], defaultValue: .number(0)),
    ])
    #expect(ds.warnings.isEmpty)
  }

  @Test func existingSchemaKeepsClassIDs() throws {
    let existing = DatasetManifest(classes: [LabelClass(id: 9, name: "person"), LabelClass(id: 4, name: "bus")])
    let ds = try CVATImporter().importDataset(from: try Self.fixture(), options: ImportOptions(existingSchema: existing))
    #expect(ds.manifest.classes.map(\.id) == [4, 9, 10])
    #expect(ds.manifest.classes.map(\.name) == ["bus", "person", "car"])
  }

  /// With a split, CVAT's project layout (a <task> per subset), which Datumaro reads per subset.
  static let goldenXML = """
  <?xml version="1.0" encoding="utf-8"?>
  <annotations>
    <version>1.1</version>
    <meta>
      <project>
        <name>annot export</name>
        <labels>
          <label>
            <name>car</name>
            <color>#aa0000</color>
            <type>any</type>
            <attributes>
              <attribute>
                <name>model</name>
                <mutable>False</mutable>
                <input_type>select</input_type>
                <default_value>a</default_value>
                <values>a
  b&amp;c</values>
              </attribute>
            </attributes>
          </label>
          <label>
            <name>dog</name>
            <color>#00aa00</color>
            <type>any</type>
            <attributes>
            </attributes>
          </label>
        </labels>
        <tasks>
          <task>
            <id>1</id>
            <name>val</name>
            <size>1</size>
            <mode>annotation</mode>
            <subset>val</subset>
          </task>
        </tasks>
      </project>
    </meta>
    <image id="0" name="x y.png" subset="val" width="6" height="4">
      <box label="car" source="manual" occluded="1" xtl="0.5" ytl="1" xbr="3.25" ybr="4" z_order="0" group_id="2">
        <attribute name="model">b&amp;c</attribute>
        <attribute name="note">say &lt;hi&gt;</attribute>
      </box>
      <mask label="dog" source="manual" occluded="0" rle="0, 2, 1, 1" left="1" top="1" width="2" height="2" z_order="-1">
      </mask>
      <polygon label="dog" source="semi-auto" occluded="0" points="0,0;2,0;2,2" z_order="0">
      </polygon>
      <tag label="dog" source="manual">
      </tag>
    </image>
  </annotations>

  """

  /// A hand-built revision for the golden export.
  static func goldenInput() -> (DatasetManifest, [ExportItem]) {
    let manifest = DatasetManifest(classes: [
      LabelClass(id: 1, name: "car", color: "#aa0000",
                 attributes: [AttributeDefinition(name: "model", kind: .select, values: ["a", "b&c"], defaultValue: .string("a"))]),
      LabelClass(id: 2, name: "dog", color: "#00aa00"),
    ])
    // Mask pixels (x, y): (1,1) (2,1) (2,2) in a 6×4 image → column-major 5, 9, 10.
    let mask = RLEMask(height: 4, width: 6, counts: .runs([5, 1, 3, 2, 13]))
    let doc = LabelDocument(image: ImageRecord(path: "x y.png", width: 6, height: 4, mediaType: "image/png", split: "val"), annotations: [
      Annotation(id: "a1", label: "car", shape: .box(Box(x: 0.5, y: 1, w: 2.75, h: 3), rotation: 0),
                 attributes: ["occluded": .bool(true), "model": .string("b&c"), "note": .string("say <hi>")], group: 2),
      Annotation(id: "a2", label: "dog", shape: .mask(mask), zOrder: -1),
      Annotation(id: "a3", label: "dog", shape: .polygon([[0, 0, 2, 0, 2, 2]]), attributes: ["source": .string("semi-auto")]),
      Annotation(id: "a4", label: "dog", shape: .tag),
    ])
    return (manifest, [ExportItem(document: doc) { Fixture2.png(6, 4) }])
  }

  @Test func exportMatchesGolden() throws {
    let (manifest, items) = Self.goldenInput()
    let sink = MemorySink2()
    let report = try CVATExporter().export(manifest: manifest, items: items, to: sink, options: ExportOptions())
    #expect(sink.text("annotations.xml") == Self.goldenXML)
    #expect(sink.files["images/x y.png"] == Fixture2.png(6, 4))
    #expect(report == ExportReport(losses: [:], filesWritten: 2))
  }

  @Test func exportThenImportRoundTrips() throws {
    let first = try CVATImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    let sink = MemorySink2()
    _ = try CVATExporter().export(manifest: first.manifest, items: first.exportItems, to: sink, options: ExportOptions())
    let second = try CVATImporter().importDataset(from: try sink.materialise(), options: ImportOptions())
    #expect(second.items.map(\.document) == first.items.map(\.document))
    #expect(second.manifest == first.manifest)
    // The same bytes twice.
    let again = MemorySink2()
    _ = try CVATExporter().export(manifest: second.manifest, items: second.exportItems, to: again, options: ExportOptions())
    #expect(again.files == sink.files)
  }

  @Test func exportReportsLosses() throws {
    let doc = LabelDocument(image: ImageRecord(path: "a.png", width: 10, height: 10, mediaType: "image/png", attributes: ["w": .bool(true)]),
                            annotations: [
      Annotation(id: "k", label: "p", shape: .keypoints([1, 1, 2, 5, 5, 0]), score: 0.5, crowd: true),
      Annotation(id: "m", label: "p", shape: .polygon([[0, 0, 1, 0, 1, 1], [5, 5, 6, 5, 6, 6]])),
    ])
    let sink = MemorySink2()
    let r = try CVATExporter().export(manifest: DatasetManifest(classes: [LabelClass(id: 1, name: "p")]),
                                      items: [ExportItem(document: doc) { [] }], to: sink, options: ExportOptions())
    #expect(r.losses == ["keypoint sets written as points (visibility dropped)": 1, "scores dropped": 1, "crowd flags dropped": 1,
                         "multi-part polygons written as one polygon per part": 1, "image attributes dropped": 1])
    #expect(sink.text("annotations.xml").contains("<points label=\"p\" source=\"manual\" occluded=\"0\" points=\"1,1\" z_order=\"0\">"))
  }

  @Test func detection() throws {
    let d = try Self.fixture()
    #expect(CVATImporter().detect(d) == .high)
    #expect(CVATImporter().detect(d.appendingPathComponent("annotations.xml")) == .high)
    let other = try Fixture2.tempDir()
    try Fixture2.write(other, "x.xml", "<annotation><filename>a.jpg</filename></annotation>")
    #expect(CVATImporter().detect(other) == .none)
    #expect(CVATImporter().detect(other.appendingPathComponent("x.xml")) == .none)
    #expect(CVATImporter().detect(other.appendingPathComponent("missing.xml")) == .none)
  }

  @Test func billionLaughsIsRefused() throws {
    let hostile = """
    <?xml version="1.0"?>
    <!DOCTYPE lolz [
     <!ENTITY lol "lol">
     <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
     <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
    ]>
    <annotations><version>1.1</version><image id="0" name="a.png" width="20" height="10"><tag label="&lol3;"/></image></annotations>
    """
    #expect(Fixture2.importError(CVATImporter(), try Self.fixture(hostile)) == .invalid(
      file: "annotations.xml", place: "line 2",
      message: "XML with <!DOCTYPE is refused (entity expansion and external entities are unsafe)"))
  }

  @Test func externalEntityIsRefused() throws {
    let hostile = """
    <?xml version="1.0"?>
    <!doctype a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <annotations><version>1.1</version><image id="0" name="a.png" width="20" height="10"><tag label="&xxe;"/></image></annotations>
    """
    let e = Fixture2.importError(CVATImporter(), try Self.fixture(hostile))
    #expect(e?.description == "annotations.xml: line 2: XML with <!DOCTYPE is refused (entity expansion and external entities are unsafe)")
    // An undeclared entity reference without any DOCTYPE is a parse error, never resolved.
    let bare = #"<annotations><image id="0" name="a.png" width="20" height="10"><tag label="&xxe;"/></image></annotations>"#
    let e2 = Fixture2.importError(CVATImporter(), try Self.fixture(bare))
    #expect(e2?.description.hasPrefix("annotations.xml: line 1") == true)
    #expect(e2?.description.contains("malformed XML") == true)
  }

  @Test func utf16IsRefused() throws {
    let d = try Self.fixture()
    try Fixture2.write(d, "annotations.xml", [0xFF, 0xFE] + Array("<".utf8) + [0])
    #expect(Fixture2.importError(CVATImporter(), d) == .invalid(file: "annotations.xml", place: "",
                                                                  message: "only UTF-8 XML is read (found UTF-16 or NUL bytes)"))
  }

  /// Each row: a replacement in the fixture XML and the exact error line.
  /// To add a case: pick a substring of `xml` to break and write the expected message.
  static let badCases: [(String, String, String)] = [
    (#"<tag label="car" source="manual">"#, #"<tag label="bus" source="manual">"#,
     "annotations.xml: line 61, <tag>: unknown label 'bus' (not in the file's label list)"),
    (#"xbr="11.5""#, #"xbr="25""#,
     "annotations.xml: line 46, <box>: extends outside the 20x10 image: [1, 2, 24, 5]"),
    (#"xbr="11.5""#, #"xbr="nan""#, "annotations.xml: line 46, <box> xbr: non-finite number 'nan'"),
    (#"xbr="11.5""#, #"xbr="1e999""#, "annotations.xml: line 46, <box> xbr: non-finite number '1e999'"),
    (#"xbr="11.5""#, #"xbr="eleven""#, "annotations.xml: line 46, <box> xbr: expected a number, found 'eleven'"),
    (#"xbr="11.5""#, #"xbr="0.5""#, "annotations.xml: line 46, <box>: box corners out of order (xbr <= xtl or ybr <= ytl)"),
    (#"name="a.png""#, #"name="../a.png""#, "annotations.xml: line 45, <image>: bad image path '../a.png': '..' component"),
    (#"name="a.png""#, #"name="/etc/a.png""#, "annotations.xml: line 45, <image>: bad image path '/etc/a.png': absolute path"),
    (#"width="20" height="10""#, #"width="-20" height="10""#, "annotations.xml: line 45, <image> width: negative number '-20'"),
    (#"rle="1, 4, 1""#, #"rle="1, 4, 2""#, "annotations.xml: line 59, <mask> rle: runs cover 7 pixels, the mask box has 6"),
    (#"occluded="1""#, #"occluded="yes""#, "annotations.xml: line 46, <box> occluded: expected 0 or 1, found 'yes'"),
    (#"<attribute name="parked">true"#, #"<attribute name="parked">maybe"#,
     #"annotations.xml: line 48, <attribute name="parked">: expected true or false, found 'maybe'"#),
    ("</polygon>", "</polygo>", "annotations.xml: line 52, <polygon>: malformed XML: closing tag does not match the open element"),
  ]

  @Test(arguments: 0..<badCases.count) func badInputNamesFileAndPlace(_ i: Int) throws {
    let (from, to, expected) = Self.badCases[i]
    #expect(Self.xml.contains(from))
    let e = Fixture2.importError(CVATImporter(), try Self.fixture(Self.xml.replacingOccurrences(of: from, with: to)))
    let text = e?.description ?? "no error"
    #expect(text.hasPrefix(expected), "\(text)")
  }

  @Test func imageSymlinkLeavingTheImagesDirectoryIsRefused() throws {
    let d = try Self.fixture()
    let outside = try Fixture2.tempDir().appendingPathComponent("secret.png")
    try Data(Fixture2.png(20, 10)).write(to: outside)
    try FileManager.default.removeItem(at: d.appendingPathComponent("images/a.png"))
    try FileManager.default.createSymbolicLink(at: d.appendingPathComponent("images/a.png"), withDestinationURL: outside)
    let text = Fixture2.importError(CVATImporter(), d)?.description ?? ""
    #expect(text.hasPrefix("annotations.xml: line 45, <image>: image file "))
    #expect(text.contains("resolves to") && text.contains("outside"))
    // A symlink that stays inside the images directory is fine.
    try FileManager.default.removeItem(at: d.appendingPathComponent("images/a.png"))
    try Fixture2.write(d, "images/real/a.png", Fixture2.png(20, 10))
    try FileManager.default.createSymbolicLink(atPath: d.appendingPathComponent("images/a.png").path, withDestinationPath: "real/a.png")
    #expect(try CVATImporter().importDataset(from: d, options: ImportOptions()).items.count == 2)
  }

  @Test func missingImageSaysWhereToLook() throws {
    let d = try Self.fixture()
    try FileManager.default.removeItem(at: d.appendingPathComponent("images/a.png"))
    let text = Fixture2.importError(CVATImporter(), d)?.description ?? ""
    #expect(text.hasPrefix("annotations.xml: line 45, <image>: image file not found: "))
    #expect(text.hasSuffix("(pass --images DIR if the images are elsewhere)"))
  }
}
