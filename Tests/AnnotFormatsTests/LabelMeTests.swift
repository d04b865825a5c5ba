import Foundation
import Testing
import AnnotModel
import AnnotFormats
import AnnotMedia

/// A LabelMe fixture: the JSON sits in `ann/` and points at `../images/a.png` with Windows
/// separators, as LabelMe on Windows writes it.
enum LabelMeFixture {
  static let json = #"""
  {"version": "5.2.1", "flags": {"night": true, "blurry": false}, "imagePath": "..\\images\\a.png", "imageData": null,
   "imageHeight": 80, "imageWidth": 100,
   "shapes": [
    {"label": "car", "points": [[30, 60], [10, 20]], "group_id": null, "description": "", "shape_type": "rectangle", "flags": {"truncated": false}},
    {"label": "road", "points": [[0, 0], [20, 0], [20, 10]], "group_id": 2, "description": "left lane", "shape_type": "polygon", "flags": {}},
    {"label": "lane", "points": [[1, 1], [5, 5]], "shape_type": "line"},
    {"label": "lane", "points": [[1, 1], [5, 5], [9, 1]], "shape_type": "linestrip"},
    {"label": "sign", "points": [[7, 8]], "shape_type": "point"},
    {"label": "wheel", "points": [[50, 40], [53, 44]], "shape_type": "circle"},
    {"label": "car", "points": [[1, 1], [4, 4]], "shape_type": "mask", "mask": "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAAAAACMmsGiAAAAFElEQVR4nGNgZGRgYGJgYGSAA0YAAGQAB2+zdWwAAAAASUVORK5CYII="}
   ]}
  """#

  static func make(_ dir: URL, json: String = json) {
    put(dir, "images/a.png", Images.png100x80)
    put(dir, "ann/a.json", json)
  }

  static func withID(_ a: Annotation) -> Annotation { YOLOFixture.withID(a, "images/a.png") }

  static let expected = LabelDocument(
    image: ImageRecord(path: "images/a.png", width: 100, height: 80, mediaType: "image/png",
                       attributes: ["night": .bool(true), "blurry": .bool(false)]),
    annotations: [
      withID(Annotation(id: "", label: "car", shape: .box(Box(x: 10, y: 20, w: 20, h: 40), rotation: 0), attributes: ["truncated": .bool(false)])),
      withID(Annotation(id: "", label: "road", shape: .polygon([[0, 0, 20, 0, 20, 10]]), attributes: ["description": .string("left lane")], group: 2)),
      withID(Annotation(id: "", label: "lane", shape: .polyline([1, 1, 5, 5]))),
      withID(Annotation(id: "", label: "lane", shape: .polyline([1, 1, 5, 5, 9, 1]))),
      withID(Annotation(id: "", label: "sign", shape: .points([7, 8]))),
      // sqrt(3² + 4²) = 5
      withID(Annotation(id: "", label: "wheel", shape: .ellipse(cx: 50, cy: 40, rx: 5, ry: 5, rotation: 0))),
      // The Pillow 'L' mask (0/1) of box (1,1)-(4,4): rows 1100/1110/0000/0001, i.e. image
      // pixels x=1,2 at y=1; x=1,2,3 at y=2; x=4 at y=4. Column-major (height 80) positions
      // 81,82 | 161,162 | 242 | 324, as runs:
      withID(Annotation(id: "", label: "car", shape: .mask(RLEMask(height: 80, width: 100,
        counts: .compressed(RLE.encode([81, 2, 78, 2, 79, 1, 81, 1, 7675])))))),
    ])
}

@Suite struct LabelMeTests {
  @Test func importGivesTheExpectedModel() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    LabelMeFixture.make(dir)
    let d = try LabelMeImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.items.map(\.document) == [LabelMeFixture.expected])
    #expect(d.manifest.classes == ["car", "lane", "road", "sign", "wheel"].enumerated().map { LabelClass(id: $0 + 1, name: $1) })
    #expect(d.warnings.isEmpty)
  }

  @Test func exportMatchesGolden() throws {
    let doc = LabelDocument(image: ImageRecord(path: "images/a.png", width: 100, height: 80, mediaType: "image/png",
                                               attributes: ["night": .bool(true), "quality": .string("low")]), annotations: [
      Annotation(id: "1", label: "car", shape: .box(Box(x: 10, y: 20, w: 20, h: 40), rotation: 0),
                 attributes: ["truncated": .bool(false), "description": .string("front")]),
      Annotation(id: "2", label: "road", shape: .polygon([[0, 0, 20, 0, 20, 10], [30, 30, 40, 30, 40, 40]]), group: 2),
      Annotation(id: "3", label: "wheel", shape: .ellipse(cx: 50, cy: 40, rx: 5, ry: 5, rotation: 0)),
      Annotation(id: "4", label: "person", shape: .keypoints([1, 2, 2])),
      Annotation(id: "5", label: "rain", shape: .tag),
    ])
    let sink = MemorySink()
    let report = try LabelMeExporter().export(manifest: DatasetManifest(), items: [ExportItem(document: doc) { Images.png100x80 }],
                                              to: sink, options: ExportOptions())
    #expect(Set(sink.files.keys) == ["images/a.png", "images/a.json"])
    #expect(sink.text("images/a.json") == """
      {
        "flags": {"night":true,"rain":true},
        "imageData": null,
        "imageHeight": 80,
        "imagePath": "a.png",
        "imageWidth": 100,
        "shapes": [
          {"description":"front","flags":{"truncated":false},"group_id":null,"label":"car","points":[[10,20],[30,60]],"shape_type":"rectangle"},
          {"description":"","flags":{},"group_id":2,"label":"road","points":[[0,0],[20,0],[20,10]],"shape_type":"polygon"},
          {"description":"","flags":{},"group_id":2,"label":"road","points":[[30,30],[40,30],[40,40]],"shape_type":"polygon"},
          {"description":"","flags":{},"group_id":null,"label":"wheel","points":[[50,40],[55,40]],"shape_type":"circle"}
        ],
        "version": "5.2.1"
      }

      """)
    #expect(report.losses == ["non-boolean image attributes dropped": 1, "multi-part polygons split into shapes": 1,
                              "keypoint sets dropped": 1, "tags written as image flags": 1])
  }

  @Test func exportThenImportRoundTrips() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    LabelMeFixture.make(dir)
    let d = try LabelMeImporter().importDataset(from: dir, options: ImportOptions())
    let sink = MemorySink()
    let report = try LabelMeExporter().export(manifest: d.manifest, items: exportItems(d), to: sink, options: ExportOptions())
    #expect(report.losses.isEmpty)
    let out = dir.appendingPathComponent("out")
    sink.dump(to: out)
    let back = try LabelMeImporter().importDataset(from: out, options: ImportOptions())
    // Content-derived ids do not depend on shape order, so they survive the trip.
    #expect(back.items.map(\.document) == d.items.map(\.document))
    #expect(back.manifest == d.manifest)
  }

  @Test func maskExportIsTheTightBoxAndItsPNG() throws {
    // Pixels (2,3), (3,3), (3,4) of a 6x5 image; column-major positions 13, 18, 19.
    let m = RLEMask(height: 5, width: 6, counts: .runs([13, 1, 4, 2, 10]))
    let doc = LabelDocument(image: ImageRecord(path: "m.png", width: 6, height: 5, mediaType: "image/png"),
                            annotations: [Annotation(id: "1", label: "blob", shape: .mask(m), group: 3)])
    let sink = MemorySink()
    let report = try LabelMeExporter().export(manifest: DatasetManifest(), items: [ExportItem(document: doc) { [] }], to: sink, options: ExportOptions())
    #expect(report.losses.isEmpty)
    let text = try #require(sink.text("m.json"))
    #expect(text.contains(#""group_id":3,"label":"blob","mask":""#))
    #expect(text.contains(#""points":[[2,3],[3,4]],"shape_type":"mask"}"#))
    let b64 = try #require(text.components(separatedBy: #""mask":""#).last?.components(separatedBy: "\"").first)
    let png = try PNGCodec.decode([UInt8](try #require(Data(base64Encoded: b64))), name: "m")
    #expect(png.width == 2 && png.height == 2)
    guard case .indexed(let idx, _) = png.pixels else { Issue.record("not a palette PNG"); return }
    #expect(idx == [1, 1, 0, 1])
  }

  @Test func badInputGivesOneLineErrors() throws {
    func run(_ json: String) -> String? {
      let dir = makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      LabelMeFixture.make(dir, json: json)
      return errorLine { _ = try LabelMeImporter().importDataset(from: dir, options: ImportOptions()) }
    }
    let fx = LabelMeFixture.json
    #expect(run(fx.replacingOccurrences(of: #"..\\images\\a.png"#, with: "../../a.png"))?.hasPrefix("ann/a.json: imagePath: \"../../a.png\" points outside /") == true)
    #expect(run(fx.replacingOccurrences(of: "[[50, 40], [53, 44]]", with: "[[50, 40], [153, 44]]"))
            == "ann/a.json: shapes[5].points[1]: point (153, 44) is outside the 100x80 image")
    #expect(run(fx.replacingOccurrences(of: "\"shape_type\": \"point\"", with: "\"shape_type\": \"cuboid\""))
            == "ann/a.json: shapes[4].shape_type: unknown shape_type \"cuboid\"")
    #expect(run(fx.replacingOccurrences(of: "[[1, 1], [5, 5]], \"shape_type\": \"line\"", with: "[[1, 1]], \"shape_type\": \"line\""))
            == "ann/a.json: shapes[2]: line needs 2 points, found 1")
    #expect(run(fx.replacingOccurrences(of: "\"imageWidth\": 100", with: "\"imageWidth\": 99"))
            == "ann/a.json: JSON says 99x80 but images/a.png is 100x80")
    #expect(run("{\"shapes\": [], \"imagePath\": 3}") == "ann/a.json: imagePath: expected a string, found number")
    // A 3x4 PNG for a 4x4 box.
    #expect(run(fx.replacingOccurrences(of: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAAAAACMmsGiAAAAFElEQVR4nGNgZGRgYGJgYGSAA0YAAGQAB2+zdWwAAAAASUVORK5CYII=",
                                        with: "iVBORw0KGgoAAAANSUhEUgAAAAMAAAAECAAAAABuRtrbAAAAD0lEQVR4nGNkZGBgYkBgAABfAAkN5uxlAAAAAElFTkSuQmCC"))
            == "ann/a.json: shapes[6].mask: mask PNG is 3x4 but its points span 4x4")
    #expect(run(fx.replacingOccurrences(of: "[[1, 1], [4, 4]], \"shape_type\": \"mask\"", with: "[[1, 1], [4, 99]], \"shape_type\": \"mask\""))
            == "ann/a.json: shapes[6].points[1]: point (4, 99) is outside the 100x80 image")
    #expect(run(fx.replacingOccurrences(of: "\"mask\": \"iVBORw0KGgoAAAANSUhEUgAAAAQAAAAE", with: "\"mask\": \"iVBORw0KGgoAAAANSUhEUgAAAAQAAAAF"))?
              .hasPrefix("ann/a.json: shapes[6].mask: ") == true)
  }
}
