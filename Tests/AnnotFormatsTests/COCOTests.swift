import Foundation
import Testing
import AnnotModel
import AnnotFormats
import AnnotTestSupport

/// A COCO fixture: `instances.json` at the root, images under `images/` (found by the
/// `<dir>/images` fallback). Covers boxes with CVAT attributes and rotation, multi-part
/// polygons, uncompressed and compressed RLE, crowd, keypoints alone and with a polygon.
enum COCOFixture {
  static let json = """
  {"info": {"year": 2024},
   "images": [
    {"id": 10, "file_name": "a.png", "width": 100, "height": 80},
    {"id": 11, "file_name": "sub/b.jpg", "width": 64, "height": 48, "license": 1}
   ],
   "annotations": [
    {"id": 1, "image_id": 10, "category_id": 3, "bbox": [10, 20, 30, 40], "area": 1200, "iscrowd": 0, "segmentation": [],
     "attributes": {"occluded": true, "track_id": 4, "color": "red"}, "score": 0.9},
    {"id": 2, "image_id": 10, "category_id": 5, "bbox": [0, 0, 20, 10], "area": 5, "iscrowd": 0,
     "segmentation": [[0, 0, 20, 0, 20, 10], [1, 1, 2, 1, 2, 2]]},
    {"id": 6, "image_id": 10, "category_id": 3, "bbox": [50, 50, 10, 10], "attributes": {"rotation": 30}},
    {"id": 3, "image_id": 11, "category_id": 3, "bbox": [0, 0, 2, 3], "iscrowd": 1,
     "segmentation": {"size": [48, 64], "counts": [0, 3, 45, 3, 3021]}},
    {"id": 4, "image_id": 11, "category_id": 7, "bbox": [1, 2, 10, 10], "keypoints": [5, 6, 2, 0, 0, 0], "num_keypoints": 1},
    {"id": 5, "image_id": 11, "category_id": 7, "bbox": [1, 2, 10, 10], "segmentation": [[1, 2, 11, 2, 11, 12]],
     "keypoints": [5, 6, 2, 8, 9, 1], "num_keypoints": 2},
    {"id": 7, "image_id": 11, "category_id": 5, "segmentation": {"size": [48, 64], "counts": "52io2"}}
   ],
   "categories": [
    {"id": 3, "name": "car", "supercategory": "vehicle"},
    {"id": 5, "name": "road"},
    {"id": 7, "name": "person", "supercategory": "person", "keypoints": ["nose", "eye"], "skeleton": [[1, 2]]}
   ]}
  """

  static func make(_ dir: URL, json: String = json) -> URL {
    put(dir, "images/a.png", Images.png100x80)
    put(dir, "images/sub/b.jpg", Images.jpeg64x48)
    put(dir, "instances.json", json)
    return dir.appendingPathComponent("instances.json")
  }

  static func id(_ path: String, _ seed: String) -> String { AnnotationID.make(imagePath: path, seed: seed) }

  static let expectedManifest = DatasetManifest(classes: [
    LabelClass(id: 3, name: "car", supercategory: "vehicle"),
    LabelClass(id: 5, name: "road"),
    LabelClass(id: 7, name: "person", supercategory: "person", keypoints: ["nose", "eye"], skeleton: [[1, 2]]),
  ])

  static let expectedDocuments: [LabelDocument] = [
    LabelDocument(image: ImageRecord(path: "a.png", width: 100, height: 80, mediaType: "image/png", sourceID: "10"), annotations: [
      Annotation(id: id("a.png", "coco:1"), label: "car", shape: .box(Box(x: 10, y: 20, w: 30, h: 40), rotation: 0),
                 attributes: ["occluded": .bool(true), "track_id": .number(4), "color": .string("red")], score: 0.9, sourceID: "1"),
      Annotation(id: id("a.png", "coco:2"), label: "road", shape: .polygon([[0, 0, 20, 0, 20, 10], [1, 1, 2, 1, 2, 2]]),
                 bbox: Box(x: 0, y: 0, w: 20, h: 10), sourceID: "2", sourceArea: 5),
      Annotation(id: id("a.png", "coco:6"), label: "car", shape: .box(Box(x: 50, y: 50, w: 10, h: 10), rotation: 30), sourceID: "6"),
    ]),
    LabelDocument(image: ImageRecord(path: "sub/b.jpg", width: 64, height: 48, mediaType: "image/jpeg", sourceID: "11"), annotations: [
      Annotation(id: id("sub/b.jpg", "coco:3"), label: "car", shape: .mask(RLEMask(height: 48, width: 64, counts: .runs([0, 3, 45, 3, 3021]))),
                 bbox: Box(x: 0, y: 0, w: 2, h: 3), crowd: true, sourceID: "3"),
      Annotation(id: id("sub/b.jpg", "coco:4"), label: "person", shape: .keypoints([5, 6, 2, 0, 0, 0]),
                 bbox: Box(x: 1, y: 2, w: 10, h: 10), sourceID: "4"),
      Annotation(id: id("sub/b.jpg", "coco:5"), label: "person", shape: .polygon([[1, 2, 11, 2, 11, 12]]),
                 bbox: Box(x: 1, y: 2, w: 10, h: 10), sourceID: "5"),
      Annotation(id: id("sub/b.jpg", "coco:5:keypoints"), label: "person", shape: .keypoints([5, 6, 2, 8, 9, 1]),
                 bbox: Box(x: 1, y: 2, w: 10, h: 10), sourceID: "5"),
      Annotation(id: id("sub/b.jpg", "coco:7"), label: "road", shape: .mask(RLEMask(height: 48, width: 64, counts: .compressed("52io2"))),
                 sourceID: "7"),
    ]),
  ]

  /// Written by hand from the fixture: ids kept (all numeric and unique), annotations in
  /// document order (by annotation id), the source's area where it differs from annot's (5 for
  /// annotation 2, whose shoelace area is 100.5), else areas by the shoelace formula, keypoints
  /// merged back into annotation 5, rotation written as CVAT's attribute.
  static let expectedExport = """
  {
    "annotations": [
      {"area":1200,"attributes":{"color":"red","occluded":true,"track_id":4},"bbox":[10,20,30,40],"category_id":3,"id":1,"image_id":10,"iscrowd":0,"score":0.9,"segmentation":[]},
      {"area":100,"attributes":{"rotation":30},"bbox":[50,50,10,10],"category_id":3,"id":6,"image_id":10,"iscrowd":0,"segmentation":[]},
      {"area":5,"bbox":[0,0,20,10],"category_id":5,"id":2,"image_id":10,"iscrowd":0,"segmentation":[[0,0,20,0,20,10],[1,1,2,1,2,2]]},
      {"area":100,"bbox":[1,2,10,10],"category_id":7,"id":4,"image_id":11,"iscrowd":0,"keypoints":[5,6,2,0,0,0],"num_keypoints":1,"segmentation":[]},
      {"area":6,"bbox":[0,0,2,3],"category_id":3,"id":3,"image_id":11,"iscrowd":1,"segmentation":{"counts":[0,3,45,3,3021],"size":[48,64]}},
      {"area":50,"bbox":[1,2,10,10],"category_id":7,"id":5,"image_id":11,"iscrowd":0,"keypoints":[5,6,2,8,9,1],"num_keypoints":2,"segmentation":[[1,2,11,2,11,12]]},
      {"area":2,"bbox":[0,5,1,2],"category_id":5,"id":7,"image_id":11,"iscrowd":0,"segmentation":{"counts":"52io2","size":[48,64]}}
    ],
    "categories": [
      {"id":3,"name":"car","supercategory":"vehicle"},
      {"id":5,"name":"road"},
      {"id":7,"keypoints":["nose","eye"],"name":"person","skeleton":[[1,2]],"supercategory":"person"}
    ],
    "images": [
      {"file_name":"a.png","height":80,"id":10,"width":100},
      {"file_name":"sub/b.jpg","height":48,"id":11,"width":64}
    ],
    "info": {"description":"exported by annot"},
    "licenses": []
  }

  """
}

@Suite struct COCOTests {
  @Test func importGivesTheExpectedModel() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let d = try COCOImporter().importDataset(from: COCOFixture.make(dir), options: ImportOptions())
    #expect(d.manifest == COCOFixture.expectedManifest)
    #expect(d.items.map(\.document) == COCOFixture.expectedDocuments)
    #expect(d.items.map { $0.imageFile.lastPathComponent } == ["a.png", "b.jpg"])
    #expect(d.warnings.isEmpty)
  }

  @Test func exportMatchesGoldenBytesAndLayout() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let d = try COCOImporter().importDataset(from: COCOFixture.make(dir), options: ImportOptions())
    let sink = MemorySink()
    let report = try COCOExporter().export(manifest: d.manifest, items: exportItems(d), to: sink, options: ExportOptions())
    #expect(Set(sink.files.keys) == ["annotations/instances_default.json", "images/default/a.png", "images/default/sub/b.jpg"])
    #expect(sink.text("annotations/instances_default.json") == COCOFixture.expectedExport)
    #expect(sink.files["images/default/a.png"] == Images.png100x80)
    #expect(report == ExportReport(losses: [:], filesWritten: 3))
    // Same input, same bytes.
    let again = MemorySink()
    _ = try COCOExporter().export(manifest: d.manifest, items: exportItems(d), to: again, options: ExportOptions())
    #expect(again.files == sink.files)
  }

  @Test func exportThenImportRoundTrips() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let d = try COCOImporter().importDataset(from: COCOFixture.make(dir), options: ImportOptions())
    let sink = MemorySink()
    _ = try COCOExporter().export(manifest: d.manifest, items: exportItems(d), to: sink, options: ExportOptions())
    let out = dir.appendingPathComponent("out")
    sink.dump(to: out)
    let back = try COCOImporter().importDataset(from: out.appendingPathComponent("annotations/instances_default.json"), options: ImportOptions())
    #expect(back.manifest == d.manifest)
    // COCO always has a bbox: the one derived for annotation 7's mask comes back as given.
    var expected = d.items.map(\.document)
    let i7 = try #require(expected[1].annotations.firstIndex { $0.sourceID == "7" })
    expected[1].annotations[i7].bbox = Box(x: 0, y: 5, w: 1, h: 2)
    #expect(back.items.map(\.document) == expected)
    // And a second export is byte-identical to the first (a fixed point).
    let sink2 = MemorySink()
    _ = try COCOExporter().export(manifest: back.manifest, items: exportItems(back), to: sink2, options: ExportOptions())
    #expect(sink2.files == sink.files)
  }

  @Test func firstIDRenumbersCategoriesAndSplitsNameFiles() throws {
    let doc = LabelDocument(image: ImageRecord(path: "x.png", width: 40, height: 30, mediaType: "image/png", split: "val"), annotations: [
      Annotation(id: "b", label: "dog", shape: .box(Box(x: 1, y: 2, w: 3, h: 4), rotation: 0)),
      Annotation(id: "a", label: "cat", shape: .polyline([1, 1, 5, 5])),
      Annotation(id: "c", label: "cat", shape: .tag),
      Annotation(id: "d", label: "cat", shape: .ellipse(cx: 10, cy: 10, rx: 2, ry: 2, rotation: 0), group: 1),
    ])
    let manifest = DatasetManifest(classes: [LabelClass(id: 17, name: "cat"), LabelClass(id: 40, name: "dog")])
    let sink = MemorySink()
    let report = try COCOExporter().export(manifest: manifest, items: [ExportItem(document: doc) { Images.png40x30 }],
                                           to: sink, options: ExportOptions(extra: ["first-id": "0"]))
    #expect(Set(sink.files.keys) == ["annotations/instances_val.json", "images/val/x.png"])
    let text = try #require(sink.text("annotations/instances_val.json"))
    #expect(text.contains(#"{"id":0,"name":"cat"}"#) && text.contains(#"{"id":1,"name":"dog"}"#))
    // No source ids: images and annotations are numbered 1...n.
    #expect(text.contains(#"{"area":12,"bbox":[1,2,3,4],"category_id":1,"id":1,"image_id":1,"iscrowd":0,"segmentation":[]}"#))
    #expect(report.losses == ["polylines dropped": 1, "tags dropped": 1, "ellipses written as 32-point polygons": 1, "group ids dropped": 1])
    #expect(report.lossSummary == "1 ellipses written as 32-point polygons, 1 group ids dropped, 1 polylines dropped, 1 tags dropped")
  }

  /// The file is read by offset, an element at a time, but a syntax error inside an element
  /// still names its line and column in the whole file, as the reference parser over the whole
  /// file gives them (the importer parses the file again for the error).
  @Test func syntaxErrorsInsideElementsNameTheirPlaceInTheWholeFile() throws {
    let fx = COCOFixture.json
    for (from, to) in [("[10, 20, 30, 40]", "[10, 20, 30 40]"), ("\"sub/b.jpg\"", "\"sub/b.jpg"), ("\"iscrowd\": 0, \"segmentation\": []", "\"iscrowd\": 0 \"segmentation\": []"),
                       ("\"height\": 80}", "\"height\": 8x}")] {
      let broken = fx.replacingOccurrences(of: from, with: to)
      let bytes = Array(broken.utf8)
      let reference: String = {
        // The whole file held and scanned, then its images and annotations parsed in order.
        do throws(JSONSyntaxError) {
          let scanned = try JSONParser.scanObject(bytes, arrays: ["images", "annotations"])
          for key in ["images", "annotations"] { for r in scanned.elements[key] ?? [] { _ = try JSONParser.parse(bytes, in: r) } }
          return "parsed"
        } catch { return "instances.json: line \(error.line), column \(error.column): malformed JSON: \(error.message)" }
      }()
      #expect(reference != "parsed")
      let dir = makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let src = COCOFixture.make(dir, json: broken)
      #expect(errorLine { _ = try COCOImporter().importDataset(from: src, options: ImportOptions()) } == reference, "\(to)")
    }
  }

  /// A COCO file that changes between the scan and the reading of its elements is refused with
  /// its name, never read as a mix of two versions.
  @Test func aFileChangedWhileItIsReadIsRefused() throws {
    final class Appending: ImportSink {
      let file: URL
      init(_ file: URL) { self.file = file }
      func begin(manifest: DatasetManifest, imageCount: Int?) throws {
        let h = try FileHandle(forWritingTo: file)
        try h.seekToEnd(); try h.write(contentsOf: Data("\n".utf8)); try h.close()
      }
      func consume(_ items: [ImportedItem]) throws {}
      func warn(_ warning: String) {}
    }
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = COCOFixture.make(dir, json: COCOFixture.json)
    #expect(errorLine { try COCOImporter().streamDataset(from: src, options: ImportOptions(), to: Appending(src)) }
            == "instances.json: the file changed while it was being read; import it again once it is complete")
  }

  /// Each row: a change to the fixture JSON (or files) and the exact one-line error.
  @Test func badInputGivesOneLineErrors() throws {
    func run(_ json: String, setup: (URL) -> Void = { _ in }) -> String? {
      let dir = makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      let src = COCOFixture.make(dir, json: json)
      setup(dir)
      return errorLine { _ = try COCOImporter().importDataset(from: src, options: ImportOptions()) }
    }
    let fx = COCOFixture.json
    #expect(run(#"{"images": [}"#) == "instances.json: line 1, column 13: malformed JSON: unexpected character '}'")
    #expect(run(fx.replacingOccurrences(of: "[10, 20, 30, 40]", with: "[90, 20, 30, 40]"))
            == "instances.json: annotations[0] (id 1).bbox: box [90, 20, 30, 40] extends outside the 100x80 image by more than 0.5 px")
    #expect(run(fx.replacingOccurrences(of: "[10, 20, 30, 40]", with: "[10, 20, -3, 40]"))
            == "instances.json: annotations[0] (id 1).bbox: negative box size -3x40")
    #expect(run(fx.replacingOccurrences(of: "[10, 20, 30, 40]", with: "[10, 20, \"30\", 40]"))
            == "instances.json: annotations[0] (id 1).bbox[2]: expected a number, found string")
    #expect(run(fx.replacingOccurrences(of: "\"id\": 11,", with: "\"id\": 10,"))
            == "instances.json: images[1] (id 10).id: duplicate image id 10")
    #expect(run(fx.replacingOccurrences(of: "\"image_id\": 10, \"category_id\": 5", with: "\"image_id\": 99, \"category_id\": 5"))
            == "instances.json: annotations[1] (id 2).image_id: no image with id 99")
    #expect(run(fx.replacingOccurrences(of: "\"category_id\": 5, \"bbox\"", with: "\"category_id\": 4, \"bbox\""))
            == "instances.json: annotations[1] (id 2).category_id: no category with id 4")
    #expect(run(fx.replacingOccurrences(of: "\"a.png\"", with: "\"../a.png\""))
            == "instances.json: images[0] (id 10).file_name: invalid image path \"../a.png\": '..' component")
    #expect(run(fx.replacingOccurrences(of: "\"a.png\"", with: "\"/etc/a.png\""))
            == "instances.json: images[0] (id 10).file_name: invalid image path \"/etc/a.png\": absolute path")
    #expect(run(fx.replacingOccurrences(of: "\"width\": 100", with: "\"width\": 101"))
            == "instances.json: images[0] (id 10): JSON says 101x80 but a.png is 100x80")
    #expect(run(fx.replacingOccurrences(of: "[0, 3, 45, 3, 3021]", with: "[0, 3, 45, 3, 3020]"))
            == "instances.json: annotations[3] (id 3).segmentation.counts: RLE runs cover 3071 pixels, the image has 3072")
    #expect(run(fx.replacingOccurrences(of: "[1, 2, 11, 2, 11, 12]", with: "[1, 2, 11, 2]"))
            == "instances.json: annotations[5] (id 5).segmentation[0]: a polygon needs an even number of coordinates, at least 6; found 4")
    #expect(run(fx.replacingOccurrences(of: "[5, 6, 2, 0, 0, 0]", with: "[5, 6, 2]"))
            == "instances.json: annotations[4] (id 4).keypoints: 1 keypoints, category \"person\" defines 2")

    // Missing image file.
    let dirA = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dirA) }
    let srcA = COCOFixture.make(dirA)
    try FileManager.default.removeItem(at: dirA.appendingPathComponent("images/a.png"))
    #expect(errorLine { _ = try COCOImporter().importDataset(from: srcA, options: ImportOptions()) }
            == "instances.json: images[0] (id 10).file_name: image file \"a.png\" not found in \(dirA.path), \(dirA.path)/images")

    // A symlink that leaves the images directory.
    let dirB = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dirB) }
    let srcB = COCOFixture.make(dirB)
    let outside = dirB.appendingPathComponent("secret.png")
    put(dirB, "secret.png", Images.png100x80)
    try FileManager.default.removeItem(at: dirB.appendingPathComponent("images/a.png"))
    try FileManager.default.createSymbolicLink(at: dirB.appendingPathComponent("images/a.png"), withDestinationURL: outside)
    let real = try #require(realpath(dirB.path, nil).map { p in defer { free(p) }; return String(cString: p) })
    #expect(errorLine { _ = try COCOImporter().importDataset(from: srcB, options: ImportOptions(imagesDirectory: dirB.appendingPathComponent("images"))) }
            == "instances.json: images[0] (id 10).file_name: image file \(dirB.path)/images/a.png resolves to \(real)/secret.png, outside \(real)/images")

    // A truncated image: the probe's message, placed at the image record.
    let dirC = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dirC) }
    let srcC = COCOFixture.make(dirC)
    put(dirC, "images/a.png", Array(Images.png100x80.prefix(16)))
    #expect(errorLine { _ = try COCOImporter().importDataset(from: srcC, options: ImportOptions()) }
            == "instances.json: images[0] (id 10).file_name: \(dirC.path)/images/a.png: truncated image: file ends (at 16 bytes) inside the PNG IHDR chunk")
  }
}

/// The streamed COCO import: annotations that are spread through the file in any order reach
/// their image's document, a batch of images at a time, and whole-file errors
/// (duplicate ids) are still found before anything is handed on.
@Suite struct COCOStreamTests {
  final class Batches: ImportSink {
    var sizes: [Int] = []
    var items: [ImportedItem] = []
    var began = 0
    func begin(manifest: DatasetManifest, imageCount: Int?) throws { began += 1; #expect(imageCount == 10) }
    func consume(_ batch: [ImportedItem]) throws { sizes.append(batch.count); items += batch }
    func warn(_ warning: String) {}
  }

  /// Ten 8x8 images, image k with k+1 boxes, the annotations in a scrambled order.
  static func make(_ dir: URL, duplicateID: Bool = false) -> URL {
    var images: [String] = [], anns: [String] = []
    var n = 0
    for k in 0..<10 {
      put(dir, "images/i\(k).png", TestSupport.png(width: 8, height: 8, seed: k))
      images.append(#"{"id": \#(100 + k), "file_name": "i\#(k).png", "width": 8, "height": 8}"#)
      for j in 0...k {
        n += 1
        anns.append(#"{"id": \#(duplicateID && n == 40 ? 7 : n), "image_id": \#(100 + k), "category_id": 1, "bbox": [\#(j % 4), 0, 1, 1]}"#)
      }
    }
    // A fixed scramble: every 7th annotation, wrapping around (55 and 7 share no factor).
    let scrambled = (0..<anns.count).map { anns[($0 * 7) % anns.count] }
    put(dir, "instances.json", #"{"categories": [{"id": 1, "name": "x"}], "annotations": [\#(scrambled.joined(separator: ","))], "images": [\#(images.joined(separator: ","))]}"#)
    return dir.appendingPathComponent("instances.json")
  }

  @Test func batchesHoldWholeImagesInImageOrder() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = Self.make(dir)
    let sink = Batches()
    try COCOImporter(batchSize: 3).streamDataset(from: src, options: ImportOptions(), to: sink)
    #expect(sink.began == 1)
    #expect(sink.sizes == [3, 3, 3, 1])
    #expect(sink.items.map(\.document.image.path) == (0..<10).map { "i\($0).png" })
    for (k, item) in sink.items.enumerated() {
      #expect(item.document.annotations.count == k + 1)
      // Image k has annotations k(k+1)/2 + 1 ... (k+1)(k+2)/2, wherever the file put them.
      #expect(item.document.annotations.map { Int($0.sourceID!)! }.sorted() == Array(k * (k + 1) / 2 + 1...(k + 1) * (k + 2) / 2))
    }
    // The streamed import and the whole-dataset one agree, whatever the batch size.
    let whole = try COCOImporter(batchSize: 1000).importDataset(from: src, options: ImportOptions())
    #expect(whole.items.map(\.document) == sink.items.map(\.document))
  }

  @Test func duplicateIDsFailBeforeAnyBatch() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = Self.make(dir, duplicateID: true)
    let sink = Batches()
    let line = errorLine { try COCOImporter(batchSize: 3).streamDataset(from: src, options: ImportOptions(), to: sink) }
    // The 40th annotation (renumbered 7) is element 37 of the scrambled array (37 * 7 % 55 = 39)
    // and the real 7th is element 48 (48 * 7 % 55 = 6): the later one in the file is named.
    #expect(line == "instances.json: annotations[48] (id 7).id: duplicate annotation id 7")
    #expect(sink.sizes.isEmpty)
  }
}
