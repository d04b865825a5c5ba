import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

@Suite struct VOCTests {
  static let img1 = """
  <annotation>
    <folder>VOC2012</folder>
    <filename>img1.png</filename>
    <size>
      <width>100</width>
      <height>80</height>
      <depth>3</depth>
    </size>
    <object>
      <name>person</name>
      <pose>Left</pose>
      <truncated>1</truncated>
      <difficult>0</difficult>
      <bndbox>
        <xmin>10</xmin>
        <ymin>5</ymin>
        <xmax>60</xmax>
        <ymax>75</ymax>
      </bndbox>
      <part>
        <name>head</name>
        <bndbox>
          <xmin>20</xmin>
          <ymin>6</ymin>
          <xmax>30.5</xmax>
          <ymax>16</ymax>
        </bndbox>
      </part>
      <actions>
        <jumping>1</jumping>
        <reading>0</reading>
      </actions>
      <attributes>
        <attribute>
          <name>color</name>
          <value>red</value>
        </attribute>
        <attribute>
          <name>age</name>
          <value>42</value>
        </attribute>
      </attributes>
    </object>
    <object>
      <name>car</name>
      <pose>Unspecified</pose>
      <truncated>0</truncated>
      <difficult>1</difficult>
      <bndbox>
        <xmin>70</xmin>
        <ymin>40</ymin>
        <xmax>100</xmax>
        <ymax>80</ymax>
      </bndbox>
    </object>
  </annotation>
  """

  static let labelmap = """
  # label:color_rgb:parts:actions
  background:0,0,0::
  person:192,128,128:head,hand:jumping,reading
  car:128,128,128::

  """

  static func fixture(img1: String = img1, labelmap: String? = labelmap) throws -> URL {
    let d = try Fixture2.tempDir()
    try Fixture2.write(d, "Annotations/img1.xml", img1)
    try Fixture2.write(d, "Annotations/sub/img2.xml",
                       "<annotation><filename>img2.png</filename><size><width>10</width><height>10</height></size></annotation>")
    if let labelmap { try Fixture2.write(d, "labelmap.txt", labelmap) }
    try Fixture2.write(d, "ImageSets/Main/train.txt", "img1\n")
    try Fixture2.write(d, "ImageSets/Main/trainval.txt", "img1\nsub/img2\n")
    try Fixture2.write(d, "ImageSets/Main/car_train.txt", "img1  1\n")
    try Fixture2.write(d, "JPEGImages/img1.png", Fixture2.png(100, 80))
    try Fixture2.write(d, "JPEGImages/sub/img2.png", Fixture2.png(10, 10))
    return d
  }

  static func expectedImg1() -> LabelDocument {
    let anns = [
      Annotation(id: "-", label: "person", shape: .box(Box(x: 10, y: 5, w: 50, h: 70), rotation: 0),
                 attributes: ["pose": .string("Left"), "truncated": .bool(true), "jumping": .bool(true), "reading": .bool(false),
                              "color": .string("red"), "age": .number(42)], group: 1),
      Annotation(id: "-", label: "head", shape: .box(Box(x: 20, y: 6, w: 10.5, h: 10), rotation: 0), group: 1),
      Annotation(id: "-", label: "car", shape: .box(Box(x: 70, y: 40, w: 30, h: 40), rotation: 0), attributes: ["difficult": .bool(true)]),
    ]
    return LabelDocument(image: ImageRecord(path: "img1.png", width: 100, height: 80, mediaType: "image/png", split: "train"),
                         annotations: anns.map { Fixture2.contentID($0, path: "img1.png") })
  }

  @Test func importGivesTheExactModel() throws {
    let ds = try VOCImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    #expect(ds.items.map(\.document.image.path) == ["img1.png", "sub/img2.png"])
    #expect(ds.items[0].document == Self.expectedImg1())
    #expect(ds.items[1].document == LabelDocument(image: ImageRecord(path: "sub/img2.png", width: 10, height: 10,
                                                                       mediaType: "image/png", split: "trainval")))
    #expect(ds.items[1].imageFile.path.hasSuffix("JPEGImages/sub/img2.png"))
    #expect(ds.manifest.classes.map(\.name) == ["person", "car", "head", "hand"])
    #expect(ds.manifest.classes[0].color == "#c08080")
    #expect(ds.manifest.classes[0].attributes == [AttributeDefinition(name: "jumping", kind: .bool, defaultValue: .bool(false)),
                                                  AttributeDefinition(name: "reading", kind: .bool, defaultValue: .bool(false))])
    #expect(ds.warnings.isEmpty)
  }

  @Test func withoutLabelmapLabelsComeFromTheFiles() throws {
    let ds = try VOCImporter().importDataset(from: try Self.fixture(labelmap: nil), options: ImportOptions())
    #expect(ds.manifest.classes.map(\.name) == ["person", "head", "car"])
    #expect(ds.items[0].document == Self.expectedImg1())
  }

  static let goldenXML = """
  <annotation>
    <filename>dir/p q.png</filename>
    <size>
      <width>50</width>
      <height>40</height>
      <depth>3</depth>
    </size>
    <segmented>1</segmented>
    <object>
      <name>person</name>
      <pose>Left</pose>
      <truncated>1</truncated>
      <difficult>0</difficult>
      <bndbox>
        <xmin>1.5</xmin>
        <ymin>2</ymin>
        <xmax>31.5</xmax>
        <ymax>40</ymax>
      </bndbox>
      <part>
        <name>hand</name>
        <bndbox>
          <xmin>2</xmin>
          <ymin>3</ymin>
          <xmax>6</xmax>
          <ymax>7</ymax>
        </bndbox>
      </part>
      <actions>
        <jumping>1</jumping>
      </actions>
      <attributes>
        <attribute>
          <name>note</name>
          <value>a &amp; b</value>
        </attribute>
      </attributes>
    </object>
    <object>
      <name>car</name>
      <pose>Unspecified</pose>
      <truncated>0</truncated>
      <difficult>0</difficult>
      <occluded>1</occluded>
      <bndbox>
        <xmin>5</xmin>
        <ymin>5</ymin>
        <xmax>15</xmax>
        <ymax>15</ymax>
      </bndbox>
    </object>
    <object>
      <name>car</name>
      <pose>Unspecified</pose>
      <truncated>0</truncated>
      <difficult>0</difficult>
      <bndbox>
        <xmin>0</xmin>
        <ymin>0</ymin>
        <xmax>4</xmax>
        <ymax>4</ymax>
      </bndbox>
    </object>
  </annotation>

  """

  static func goldenInput() -> (DatasetManifest, [ExportItem]) {
    let manifest = DatasetManifest(classes: [
      LabelClass(id: 1, name: "person", color: "#c08080", attributes: [AttributeDefinition(name: "jumping", kind: .bool)]),
      LabelClass(id: 2, name: "car", color: "#808080"),
      LabelClass(id: 3, name: "hand", color: "#000001"),
    ])
    let doc = LabelDocument(image: ImageRecord(path: "dir/p q.png", width: 50, height: 40, mediaType: "image/png"), annotations: [
      Annotation(id: "a", label: "person", shape: .box(Box(x: 1.5, y: 2, w: 30, h: 38), rotation: 0),
                 attributes: ["pose": .string("Left"), "truncated": .bool(true), "jumping": .bool(true), "note": .string("a & b")], group: 4),
      Annotation(id: "b", label: "hand", shape: .box(Box(x: 2, y: 3, w: 4, h: 4), rotation: 0), group: 4),
      Annotation(id: "c", label: "car", shape: .box(Box(x: 5, y: 5, w: 10, h: 10), rotation: 0), attributes: ["occluded": .bool(true)]),
      Annotation(id: "d", label: "car", shape: .polygon([[0, 0, 4, 0, 4, 4]])),
    ])
    let other = LabelDocument(image: ImageRecord(path: "z.png", width: 5, height: 5, mediaType: "image/png", split: "val"))
    return (manifest, [ExportItem(document: doc) { [1, 2] }, ExportItem(document: other) { [3] }])
  }

  @Test func exportMatchesGolden() throws {
    let (manifest, items) = Self.goldenInput()
    let sink = MemorySink2()
    let report = try VOCExporter().export(manifest: manifest, items: items, to: sink, options: ExportOptions())
    #expect(sink.text("Annotations/dir/p q.xml") == Self.goldenXML)
    #expect(sink.text("labelmap.txt") == """
      # label:color_rgb:parts:actions
      background:0,0,0::
      person:192,128,128:hand:jumping
      car:128,128,128::
      hand:0,0,1::

      """)
    #expect(sink.text("ImageSets/Main/default.txt") == "dir/p q\n")
    #expect(sink.text("ImageSets/Main/val.txt") == "z\n")
    #expect(sink.files["JPEGImages/dir/p q.png"] == [1, 2])
    #expect(sink.files["JPEGImages/z.png"] == [3])
    // The polygon is object 3 and instance 3 of the segmentation PNGs.
    #expect(sink.text("ImageSets/Segmentation/default.txt") == "dir/p q\n")
    #expect(sink.files["SegmentationObject/dir/p q.png"] != nil && sink.files["SegmentationClass/dir/p q.png"] != nil)
    #expect(sink.files.count == 10)
    #expect(report == ExportReport(losses: ["polygons rasterised into segmentation masks (vertices not kept)": 1], filesWritten: 10))
  }

  @Test func exportThenImportRoundTrips() throws {
    let first = try VOCImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    let sink = MemorySink2()
    _ = try VOCExporter().export(manifest: first.manifest, items: first.exportItems, to: sink, options: ExportOptions())
    let second = try VOCImporter().importDataset(from: try sink.materialise(), options: ImportOptions())
    #expect(second.items.map(\.document) == first.items.map(\.document))
    #expect(second.manifest == first.manifest)
    let again = MemorySink2()
    _ = try VOCExporter().export(manifest: second.manifest, items: second.exportItems, to: again, options: ExportOptions())
    #expect(again.files == sink.files)
  }

  @Test func rotatedBoxesBecomeTheirAxisAlignedBox() throws {
    let doc = LabelDocument(image: ImageRecord(path: "r.png", width: 100, height: 100, mediaType: "image/png"), annotations: [
      Annotation(id: "a", label: "car", shape: .box(Box(x: 40, y: 45, w: 20, h: 10), rotation: 90)),
    ])
    let sink = MemorySink2()
    let r = try VOCExporter().export(manifest: DatasetManifest(classes: [LabelClass(id: 1, name: "car")]),
                                     items: [ExportItem(document: doc) { [] }], to: sink, options: ExportOptions())
    // Centre (50, 50); a quarter turn swaps width and height: 10 wide, 20 high.
    let xml = sink.text("Annotations/r.xml")
    #expect(xml.contains("<xmin>45</xmin>") && xml.contains("<ymin>40</ymin>") && xml.contains("<xmax>55</xmax>") && xml.contains("<ymax>60</ymax>"))
    #expect(r.losses == ["rotated boxes written as their axis-aligned box": 1])
  }

  @Test func detection() throws {
    let d = try Self.fixture()
    #expect(VOCImporter().detect(d) == .high)
    try FileManager.default.removeItem(at: d.appendingPathComponent("ImageSets"))
    try FileManager.default.removeItem(at: d.appendingPathComponent("JPEGImages"))
    #expect(VOCImporter().detect(d) == .medium)
    #expect(VOCImporter().detect(try CVATTests.fixture()) == .none)
    #expect(CVATImporter().detect(try Self.fixture()) == .none)
  }

  @Test func externalEntityIsRefused() throws {
    let hostile = "<?xml version=\"1.0\"?>\n<!DOCTYPE annotation [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<annotation>&x;</annotation>\n"
    #expect(Fixture2.importError(VOCImporter(), try Self.fixture(img1: hostile)) == .invalid(
      file: "Annotations/img1.xml", place: "line 2",
      message: "XML with <!DOCTYPE is refused (entity expansion and external entities are unsafe)"))
  }

  /// The 1-based line of the `nth` (0-based) occurrence of `needle` in `text`, by plain search.
  static func line(of needle: String, nth: Int = 0, in text: String = img1) -> Int {
    var rest = text[...]
    var consumed = 0
    for _ in 0..<nth {
      let r = rest.range(of: needle)!
      consumed += rest[..<r.upperBound].count
      rest = rest[r.upperBound...]
    }
    let r = rest.range(of: needle)!
    let before = text.prefix(consumed) + rest[..<r.lowerBound]
    return before.filter { $0 == "\n" }.count + 1
  }

  /// Rows: a replacement in img1.xml, and the expected error built from the fixture's own lines.
  static let badCases: [(String, String, String)] = [
    ("<name>car</name>", "<name>dog</name>",
     "Annotations/img1.xml: line \(line(of: "<object>", nth: 1)), <object> name: unknown label 'dog' (not in the file's label list)"),
    ("<xmax>100</xmax>", "<xmax>101</xmax>",
     "Annotations/img1.xml: line \(line(of: "<object>", nth: 1)), <object>: extends outside the 100x80 image: [70, 40, 31, 40]"),
    ("<xmin>10</xmin>", "<xmin>NaN</xmin>",
     "Annotations/img1.xml: line \(line(of: "<bndbox>")), <bndbox> xmin: non-finite number 'NaN'"),
    ("<xmin>10</xmin>", "<xmin>70</xmin>",
     "Annotations/img1.xml: line \(line(of: "<bndbox>")), <bndbox>: xmax <= xmin or ymax <= ymin"),
    ("<width>100</width>", "<width>-100</width>",
     "Annotations/img1.xml: line \(line(of: "<size>")), <size> width: negative number '-100'"),
    ("<filename>img1.png</filename>", "<filename>../img1.png</filename>",
     "Annotations/img1.xml: line 1, <annotation> filename: bad image path '../img1.png': '..' component"),
    ("<truncated>1</truncated>", "<truncated>yes</truncated>",
     "Annotations/img1.xml: line \(line(of: "<truncated>")), <truncated>: expected 0 or 1, found 'yes'"),
    ("<name>head</name>", "<name>foot</name>",
     "Annotations/img1.xml: line \(line(of: "<part>")), <part> name: unknown label 'foot' (not in the file's label list)"),
  ]

  @Test(arguments: 0..<badCases.count) func badInputNamesFileAndPlace(_ i: Int) throws {
    let (from, to, expected) = Self.badCases[i]
    #expect(Self.img1.contains(from))
    let e = Fixture2.importError(VOCImporter(), try Self.fixture(img1: Self.img1.replacingOccurrences(of: from, with: to)))
    #expect(e?.description == expected)
  }

  @Test func badLabelmapColor() throws {
    let e = Fixture2.importError(VOCImporter(), try Self.fixture(labelmap: "person:1,2::\n"))
    #expect(e == .invalid(file: "labelmap.txt", place: "line 1", message: "color must be r,g,b with 0...255, found '1,2'"))
  }
}
