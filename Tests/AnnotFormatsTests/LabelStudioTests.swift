import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

@Suite struct LabelStudioTests {
  /// Packs a string of '0'/'1' (spaces ignored) into bytes, most significant bit first, zero padded.
  static func pack(_ bits: String) -> [Int] {
    let b = bits.filter { $0 == "0" || $0 == "1" }.map { $0 == "1" ? 1 : 0 }
    var out: [Int] = []
    var i = 0
    while i < b.count {
      var v = 0
      for k in 0..<8 { v = v << 1 | (i + k < b.count ? b[i + k] : 0) }
      out.append(v); i += 8
    }
    return out
  }

  /// Header for 4×2 pixels × RGBA = 32 values, word size 8, field sizes 3, 4, 8, 16.
  static let header = "00000000 00000000 00000000 00100000" + "00111" + "0010 0011 0111 1111"
  /// Mask rows `0110` / `0010`: values 4×0, 8×255, 12×0, 4×255, 4×0, the first run as a literal chunk.
  static let brushWithLiteral = pack(header
    + "0 00 011 00000000 00000000 00000000 00000000"
    + "1 00 111 11111111" + "1 01 1011 00000000" + "1 00 011 11111111" + "1 00 011 00000000")
  /// The same mask with every run as a repeat chunk (what the encoder writes).
  static let brushRepeats = pack(header
    + "1 00 011 00000000" + "1 00 111 11111111" + "1 01 1011 00000000" + "1 00 011 11111111" + "1 00 011 00000000")
  /// Column-major COCO runs of that mask: foreground at (1,0) (2,0) (2,1) → indices 2, 4, 5.
  static let brushCOCO = RLEMask(height: 2, width: 4, counts: .compressed(RLE.encode([2, 1, 1, 2, 2])))

  @Test func brushDecodesLiteralAndRepeatChunks() throws {
    for rle in [Self.brushWithLiteral, Self.brushRepeats] {
      let m = try LabelStudioBrush.decode(rle, width: 4, height: 2)
      #expect(m.bits == [0, 1, 1, 0, 0, 0, 1, 0])
      #expect(m.rleMask == Self.brushCOCO)
    }
  }

  @Test func brushEncodesLikeLabelStudio() throws {
    var m = MaskBitmap(width: 4, height: 2)
    m.bits = [0, 1, 1, 0, 0, 0, 1, 0]
    #expect(LabelStudioBrush.encode(m) == Self.brushRepeats)
  }

  @Test func brushRejectsBadInput() {
    #expect(throws: LabelStudioBrush.Failure.truncated) { try LabelStudioBrush.decode([0, 0], width: 4, height: 2) }
    #expect(throws: LabelStudioBrush.Failure.wrongCount(32, expected: 24)) { try LabelStudioBrush.decode(Self.brushRepeats, width: 3, height: 2) }
    #expect(throws: LabelStudioBrush.Failure.notBytes) { try LabelStudioBrush.decode([256], width: 1, height: 1) }
    #expect(throws: LabelStudioBrush.Failure.truncated) { try LabelStudioBrush.decode(Array(Self.brushRepeats.prefix(9)), width: 4, height: 2) }
  }

  static func json(rect1: String = #"{"x":10,"y":20,"width":25,"height":50,"rotation":0,"rectanglelabels":["car"]}"#,
                   image1: String = "/data/local-files/?d=photos/a%20b.png", extra: String = "") -> String {
    let brush = Self.brushWithLiteral.map(String.init).joined(separator: ",")
    return """
    [
     {"id": 11, "data": {"image": "\(image1)"},
      "annotations": [
       {"id": 1, "was_cancelled": true, "result": [{"type": "rectanglelabels", "id": "zz", "value": {}}]},
       {"id": 2, "result": [
        {"id": "r1", "type": "rectanglelabels", "from_name": "label", "to_name": "image", "original_width": 200, "original_height": 100,
         "score": 0.9, "value": \(rect1)},
        {"id": "r2", "type": "rectanglelabels", "original_width": 200, "original_height": 100,
         "value": {"x": 50, "y": 10, "width": 20, "height": 20, "rotation": 90, "rectanglelabels": ["car"]}},
        {"id": "r3", "type": "polygonlabels", "original_width": 200, "original_height": 100,
         "value": {"points": [[0, 0], [50, 0], [50, 50]], "polygonlabels": ["road"]}},
        {"id": "r4", "type": "keypointlabels", "original_width": 200, "original_height": 100,
         "value": {"x": 25, "y": 25, "width": 1, "keypointlabels": ["eye"]}},
        {"id": "r5", "type": "ellipselabels", "original_width": 200, "original_height": 100,
         "value": {"x": 50, "y": 50, "radiusX": 10, "radiusY": 20, "rotation": 0, "ellipselabels": ["car"]}},
        {"id": "r1", "type": "choices", "from_name": "color", "to_name": "image", "value": {"choices": ["red"]}},
        {"id": "r1", "type": "number", "from_name": "speed", "to_name": "image", "value": {"number": 3}},
        {"id": "t1", "type": "choices", "from_name": "weather", "to_name": "image", "value": {"choices": ["sunny", "day"]}},
        {"id": "n1", "type": "textarea", "from_name": "notes", "to_name": "image", "value": {"text": ["hello"]}}\(extra)
       ]}],
      "predictions": [{"result": []}]},
     {"id": 12, "data": {"image": "/data/upload/3/abc123-m.png"},
      "annotations": [{"id": 3, "result": [
        {"id": "b1", "type": "brushlabels", "original_width": 4, "original_height": 2,
         "value": {"format": "rle", "rle": [\(brush)], "brushlabels": ["road"]}}]}]},
     {"id": 13, "data": {"image": "http://example.com/x/c.png?sig=1"}, "annotations": []}
    ]
    """
  }

  static func fixture(_ text: String = json()) throws -> URL {
    let d = try Fixture2.tempDir()
    try Fixture2.write(d, "labelstudio.json", text)
    try Fixture2.write(d, "photos/a b.png", Fixture2.png(200, 100))
    try Fixture2.write(d, "abc123-m.png", Fixture2.png(4, 2))
    try Fixture2.write(d, "c.png", Fixture2.png(6, 3))
    return d
  }

  static func withID(_ a: Annotation, _ path: String, _ seed: String) -> Annotation {
    var c = a
    c.id = AnnotationID.make(imagePath: path, seed: "labelstudio:" + seed)
    return c
  }

  static func expected() -> [LabelDocument] {
    let p = "photos/a b.png"
    let a = LabelDocument(
      image: ImageRecord(path: p, width: 200, height: 100, mediaType: "image/png", sourceID: "11", attributes: ["notes": .string("hello")]),
      annotations: [
        withID(Annotation(id: "", label: "car", shape: .box(Box(x: 20, y: 20, w: 50, h: 50), rotation: 0),
                          attributes: ["color": .string("red"), "speed": .number(3)], score: 0.9, sourceID: "r1"), p, "r1"),
        // Corner (100, 10), 40×20, turned 90° about the corner → centre (90, 30) → top-left (70, 20).
        withID(Annotation(id: "", label: "car", shape: .box(Box(x: 70, y: 20, w: 40, h: 20), rotation: 90), sourceID: "r2"), p, "r2"),
        withID(Annotation(id: "", label: "road", shape: .polygon([[0, 0, 100, 0, 100, 50]]), sourceID: "r3"), p, "r3"),
        withID(Annotation(id: "", label: "eye", shape: .points([50, 25]), sourceID: "r4"), p, "r4"),
        withID(Annotation(id: "", label: "car", shape: .ellipse(cx: 100, cy: 50, rx: 20, ry: 20, rotation: 0), sourceID: "r5"), p, "r5"),
        withID(Annotation(id: "", label: "sunny", shape: .tag, sourceID: "t1"), p, "t1/sunny"),
        withID(Annotation(id: "", label: "day", shape: .tag, sourceID: "t1"), p, "t1/day"),
      ])
    let b = LabelDocument(image: ImageRecord(path: "abc123-m.png", width: 4, height: 2, mediaType: "image/png", sourceID: "12"),
                          annotations: [withID(Annotation(id: "", label: "road", shape: .mask(brushCOCO), sourceID: "b1"), "abc123-m.png", "b1")])
    let c = LabelDocument(image: ImageRecord(path: "c.png", width: 6, height: 3, mediaType: "image/png", sourceID: "13"))
    return [b, c, a]
  }

  @Test func importGivesTheExactModel() throws {
    let ds = try LabelStudioImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    #expect(ds.items.map(\.document) == Self.expected())
    #expect(ds.manifest.classes.map(\.name) == ["car", "road", "eye", "sunny", "day"])
    #expect(ds.warnings == ["labelstudio.json: 1 predictions skipped (only annotations are imported)"])
    #expect(ds.items[2].imageFile.path.hasSuffix("photos/a b.png"))
  }

  @Test(arguments: [
    ("/data/local-files/?d=dataset/img%201.jpg", "dataset/img 1.jpg"),
    ("/data/upload/12/8f2e1c0a-cat.jpg", "8f2e1c0a-cat.jpg"),
    ("https://bucket.example.com/a/b/dog.png?X-Amz=1#frag", "dog.png"),
    ("s3://bucket/train/x.jpg", "x.jpg"),
    ("images/y.jpg", "images/y.jpg"),
    ("/data/upload/abc/z.jpg", "/data/upload/abc/z.jpg"),
  ])
  func imagePathRules(_ c: (String, String)) {
    #expect(LabelStudioImporter.imagePath(fromURL: c.0) == c.1)
  }

  static let golden = """
  [
  {"annotations":[{"id":1,"result":[\
  {"from_name":"label","id":"r1","image_rotation":0,"original_height":100,"original_width":200,"to_name":"image","type":"rectanglelabels","value":{"height":50,"rectanglelabels":["car"],"rotation":0,"width":25,"x":10,"y":20}},\
  {"from_name":"color","id":"r1","to_name":"image","type":"choices","value":{"choices":["red"]}},\
  {"from_name":"speed","id":"r1","to_name":"image","type":"number","value":{"number":3}},\
  {"from_name":"choice","id":"b","to_name":"image","type":"choices","value":{"choices":["sunny"]}},\
  {"from_name":"label","id":"c","image_rotation":0,"original_height":100,"original_width":200,"score":0.5,"to_name":"image","type":"keypointlabels","value":{"keypointlabels":["eye"],"width":0.5,"x":25,"y":12.5}},\
  {"from_name":"notes","id":"image-notes","to_name":"image","type":"textarea","value":{"text":["hello"]}}\
  ]}],"data":{"image":"/data/local-files/?d=p%20q.png"},"id":7}
  ]

  """

  @Test func exportMatchesGolden() throws {
    let doc = LabelDocument(
      image: ImageRecord(path: "p q.png", width: 200, height: 100, mediaType: "image/png", sourceID: "7", attributes: ["notes": .string("hello")]),
      annotations: [
        Annotation(id: "a", label: "car", shape: .box(Box(x: 20, y: 20, w: 50, h: 50), rotation: 0),
                   attributes: ["speed": .number(3), "color": .string("red")], sourceID: "r1"),
        Annotation(id: "b", label: "sunny", shape: .tag),
        Annotation(id: "c", label: "eye", shape: .points([50, 12.5]), score: 0.5),
        Annotation(id: "d", label: "eye", shape: .polyline([0, 0, 1, 1]), zOrder: 2),
      ])
    let sink = MemorySink2()
    let report = try LabelStudioExporter().export(manifest: DatasetManifest(), items: [ExportItem(document: doc) { [9] }],
                                                  to: sink, options: ExportOptions())
    #expect(sink.text("labelstudio.json") == Self.golden)
    #expect(sink.files["p q.png"] == [9])
    #expect(report == ExportReport(losses: ["polylines dropped": 1, "z-orders dropped": 1], filesWritten: 2))
  }

  @Test func exportThenImportRoundTrips() throws {
    let first = try LabelStudioImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    let sink = MemorySink2()
    _ = try LabelStudioExporter().export(manifest: first.manifest, items: first.exportItems, to: sink, options: ExportOptions())
    let second = try LabelStudioImporter().importDataset(from: try sink.materialise(), options: ImportOptions())
    #expect(second.items.map(\.document) == first.items.map(\.document))
    let again = MemorySink2()
    _ = try LabelStudioExporter().export(manifest: second.manifest, items: second.exportItems, to: again, options: ExportOptions())
    #expect(again.files == sink.files)
  }

  @Test func percentPrecisionRoundTrips() throws {
    // Pixel values with up to 4 decimals survive px → percent → px on awkward image sizes.
    let values: [Double] = [0.1, 1.2345, 33.3333, 99.9999, 640.5]
    for (w, h) in [(641, 479), (1920, 1080), (7, 3000)] {
      for v in values where v <= Double(min(w, h)) {
        #expect(LabelStudioImporter.px(LabelStudioExporter.pct(v, w), w) == v)
        #expect(LabelStudioImporter.px(LabelStudioExporter.pct(v, h), h) == v)
      }
    }
  }

  @Test func detection() throws {
    let d = try Self.fixture()
    #expect(LabelStudioImporter().detect(d) == .high)
    #expect(LabelStudioImporter().detect(d.appendingPathComponent("labelstudio.json")) == .high)
    let other = try Fixture2.tempDir()
    try Fixture2.write(other, "coco.json", #"{"images": [], "annotations": []}"#)
    #expect(LabelStudioImporter().detect(other.appendingPathComponent("coco.json")) == .none)
    #expect(LabelStudioImporter().detect(try CVATTests.fixture()) == .none)
    #expect(CVATImporter().detect(d) == .none)
  }

  static let r0 = "labelstudio.json: tasks[0].annotations[1].result[0] (id r1)"
  /// Rows: a fixture variant and the exact error line. To add one, vary `json(...)` and write the message.
  static let badCases: [(String, String)] = [
    (json(image1: "../x.png"), "labelstudio.json: tasks[0].data.image: bad image path '../x.png': '..' component"),
    (json(image1: "/etc/x.png"), "labelstudio.json: tasks[0].data.image: absolute path '/etc/x.png' is not under the images folder: "),
    (json(rect1: #"{"x":90,"y":20,"width":20,"height":50,"rectanglelabels":["car"]}"#),
     "\(r0): extends outside the 200x100 image: [180, 20, 40, 50]"),
    (json(rect1: #"{"x":10,"y":20,"width":-5,"height":50,"rectanglelabels":["car"]}"#),
     "\(r0).value: width and height must be positive"),
    (json(rect1: #"{"x":"10","y":20,"width":5,"height":50,"rectanglelabels":["car"]}"#),
     "\(r0).value.x: expected a number, found string"),
    (json(rect1: #"{"x":10,"y":20,"width":5,"height":50,"rectanglelabels":["car","bus"]}"#),
     "\(r0).value.rectanglelabels: expected exactly one label, found 2"),
    (json(extra: #", {"id": "r2", "type": "keypointlabels", "original_width": 200, "original_height": 100, "value": {"x": 1, "y": 1, "keypointlabels": ["eye"]}}"#),
     "labelstudio.json: tasks[0].annotations[1].result[9] (id r2): duplicate annotation id (region id or content repeated in this image)"),
    (json(extra: #", {"id": "v", "type": "videorectangle", "value": {}}"#),
     "labelstudio.json: tasks[0].annotations[1].result[9] (id v).type: unsupported result type 'videorectangle'"),
    (json(extra: #", {"id": "w", "type": "keypointlabels", "original_width": 300, "original_height": 100, "value": {"x": 1, "y": 1, "keypointlabels": ["eye"]}}"#),
     "labelstudio.json: tasks[0].annotations[1].result[9] (id w): original size 300x100 differs from 200x100 of earlier results"),
    (#"{"tasks": []}"#, "labelstudio.json: expected a list of tasks, found object"),
    ("[\n {\"id\": 1,}\n]", "labelstudio.json: line 2, column 11: "),
  ]

  @Test(arguments: 0..<badCases.count) func badInputNamesFileAndPlace(_ i: Int) throws {
    let (text, expected) = Self.badCases[i]
    let e = Fixture2.importError(LabelStudioImporter(), try Self.fixture(text))
    let got = e?.description ?? "no error"
    #expect(got.hasPrefix(expected) && (expected.hasSuffix(": ") || got == expected), "\(got)")
  }

  @Test func relationsAreSkippedWithAWarning() throws {
    let text = Self.json(extra: #", {"type": "relation", "from_id": "r1", "to_id": "r2", "direction": "right"}"#)
    let ds = try LabelStudioImporter().importDataset(from: try Self.fixture(text), options: ImportOptions())
    #expect(ds.items.map(\.document) == Self.expected())
    #expect(ds.warnings.first == "labelstudio.json: tasks[0].annotations[1].result[9]: relation skipped (annot has no relations)")
  }

  @Test func truncatedBrushNamesTheRegion() throws {
    let text = Self.json().replacingOccurrences(of: "\"rle\": [", with: "\"rle\": [0, 0], \"x\": [")
    let e = Fixture2.importError(LabelStudioImporter(), try Self.fixture(text))
    #expect(e == .invalid(file: "labelstudio.json", place: "tasks[1].annotations[0].result[0] (id b1).value.rle", message: "truncated RLE"))
  }
}

/// With every importer registered, auto-detection picks CVAT, VOC and Label Studio for their
/// own fixtures (no tie with COCO, YOLO or LabelMe).
@Suite struct Formats2DetectionTests {
  static let registry = FormatRegistry(
    importers: [COCOImporter(), YOLOImporter(), LabelMeImporter(), CVATImporter(), VOCImporter(), LabelStudioImporter()],
    exporters: [])

  @Test func autoDetectionPicksTheRightFormat() throws {
    #expect(try Self.registry.detect(try CVATTests.fixture()).name == "cvat")
    #expect(try Self.registry.detect(try VOCTests.fixture()).name == "voc")
    let ls = try LabelStudioTests.fixture()
    #expect(try Self.registry.detect(ls).name == "labelstudio")
    #expect(try Self.registry.detect(ls.appendingPathComponent("labelstudio.json")).name == "labelstudio")
  }
}
