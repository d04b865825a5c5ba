import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

/// An Ultralytics fixture. Coordinates are binary fractions (0.5, 0.25, 0.375…) so the pixel
/// values below are exact, computed by hand: cx 0.5, w 0.25 on 100 px → x 37.5, w 25.
enum YOLOFixture {
  static let dataYAML = """
  # Ultralytics-style data file
  path: .
  train: images/train
  val: images/val
  test:   # no test split
  nc: 2
  names: ['car', "big truck"]
  download: |
    import os
    print("x: y")

  """

  static func make(_ dir: URL, yaml: String = dataYAML, labelA: String? = nil) {
    put(dir, "data.yaml", yaml)
    put(dir, "images/train/a.png", Images.png100x80)
    put(dir, "images/val/b.jpg", Images.jpeg64x48)
    put(dir, "labels/train/a.txt", labelA ?? "0 0.5 0.5 0.25 0.375\n1 0.25 0.125 0.75 0.125 0.5 0.5\n")
    put(dir, "labels/val/b.txt", "1 0.25 0.5 0.5 0.5 0.75\r\n")
  }

  static func withID(_ a: Annotation, _ path: String) -> Annotation {
    var a = a
    a.id = AnnotationID.make(imagePath: path, seed: AnnotationID.contentSeed(a, ordinal: 0))
    return a
  }

  static let expected: [LabelDocument] = [
    LabelDocument(image: ImageRecord(path: "train/a.png", width: 100, height: 80, mediaType: "image/png", split: "train"), annotations: [
      withID(Annotation(id: "", label: "car", shape: .box(Box(x: 37.5, y: 25, w: 25, h: 30), rotation: 0)), "train/a.png"),
      withID(Annotation(id: "", label: "big truck", shape: .polygon([[25, 10, 75, 10, 50, 40]])), "train/a.png"),
    ]),
    LabelDocument(image: ImageRecord(path: "val/b.jpg", width: 64, height: 48, mediaType: "image/jpeg", split: "val"), annotations: [
      withID(Annotation(id: "", label: "big truck", shape: .box(Box(x: 0, y: 12, w: 32, h: 24), rotation: 0), score: 0.75), "val/b.jpg"),
    ]),
  ]
}

@Suite struct YOLOTests {
  @Test func importsUltralytics() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    YOLOFixture.make(dir)
    let d = try YOLOImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.manifest == DatasetManifest(classes: [LabelClass(id: 0, name: "car"), LabelClass(id: 1, name: "big truck")]))
    #expect(d.items.map(\.document) == YOLOFixture.expected)
    // Known names keep the repository's ids; new ones take their index when free.
    let existing = DatasetManifest(classes: [LabelClass(id: 7, name: "big truck", color: "#102030"), LabelClass(id: 0, name: "person")])
    let d2 = try YOLOImporter().importDataset(from: dir.appendingPathComponent("data.yaml"), options: ImportOptions(existingSchema: existing))
    #expect(d2.manifest.classes == [LabelClass(id: 7, name: "big truck", color: "#102030"), LabelClass(id: 8, name: "car")])
  }

  @Test func readsNamesAsBlockMapAndFlowMap() throws {
    for names in ["names:\n  0: car\n  1: 'big truck'\n", "names: {0: car, 1: big truck}\n", "names:\n- car\n- \"big truck\"\n"] {
      let dir = makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      YOLOFixture.make(dir, yaml: "train: images/train\nval: images/val\n" + names)
      let d = try YOLOImporter().importDataset(from: dir, options: ImportOptions())
      #expect(d.manifest.classes.map(\.name) == ["car", "big truck"], "\(names)")
    }
  }

  @Test func importsDarknet() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    put(dir, "obj.names", "car\nbig truck\n")
    put(dir, "obj.data", "classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n")
    put(dir, "train.txt", "data/obj_train_data/a.png\n")
    put(dir, "obj_train_data/a.png", Images.png100x80)
    put(dir, "obj_train_data/a.txt", "0 0.5 0.5 0.25 0.375\n")
    let d = try YOLOImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.items.map(\.document) == [
      LabelDocument(image: ImageRecord(path: "obj_train_data/a.png", width: 100, height: 80, mediaType: "image/png", split: "train"), annotations: [
        YOLOFixture.withID(Annotation(id: "", label: "car", shape: .box(Box(x: 37.5, y: 25, w: 25, h: 30), rotation: 0)), "obj_train_data/a.png"),
      ]),
    ])
  }

  static func goldenItems() -> (DatasetManifest, [ExportItem]) {
    let manifest = DatasetManifest(classes: [LabelClass(id: 3, name: "car"), LabelClass(id: 9, name: "big truck")])
    let a = LabelDocument(image: ImageRecord(path: "train/a.png", width: 100, height: 80, mediaType: "image/png", split: "train"), annotations: [
      Annotation(id: "a", label: "car", shape: .box(Box(x: 37.5, y: 25, w: 25, h: 30), rotation: 0)),
      Annotation(id: "b", label: "big truck", shape: .polygon([[25, 10, 75, 10, 50, 40]])),
      Annotation(id: "c", label: "car", shape: .polyline([1, 1, 2, 2])),
      Annotation(id: "d", label: "car", shape: .box(Box(x: 0, y: 0, w: 10, h: 8), rotation: 0), attributes: ["x": .bool(true)], score: 0.9),
    ])
    let b = LabelDocument(image: ImageRecord(path: "b.jpg", width: 64, height: 48, mediaType: "image/jpeg"), annotations: [
      Annotation(id: "e", label: "big truck", shape: .ellipse(cx: 32, cy: 24, rx: 8, ry: 4, rotation: 0)),
    ])
    let c = LabelDocument(image: ImageRecord(path: "val/c.png", width: 40, height: 30, mediaType: "image/png", split: "val"))
    return (manifest, [ExportItem(document: a) { Images.png100x80 }, ExportItem(document: b) { Images.jpeg64x48 },
                       ExportItem(document: c) { Images.png40x30 }])
  }

  @Test func exportDetectMatchesGolden() throws {
    let (manifest, items) = Self.goldenItems()
    let sink = MemorySink()
    let report = try YOLOExporter().export(manifest: manifest, items: items, to: sink, options: ExportOptions())
    #expect(Set(sink.files.keys) == ["data.yaml", "images/train/a.png", "labels/train/a.txt", "images/train/b.jpg",
                                     "labels/train/b.txt", "images/val/c.png", "labels/val/c.txt"])
    #expect(sink.text("data.yaml") == "# Ultralytics YOLO dataset written by annot\npath: .\ntrain: images/train\nval: images/val\nnc: 2\nnames:\n  0: car\n  1: big truck\n")
    #expect(sink.text("labels/train/a.txt") == "0 0.500000 0.500000 0.250000 0.375000\n1 0.500000 0.312500 0.500000 0.375000\n0 0.050000 0.050000 0.100000 0.100000\n")
    #expect(sink.text("labels/train/b.txt") == "1 0.500000 0.500000 0.250000 0.166667\n")
    #expect(sink.text("labels/val/c.txt") == "")
    #expect(report.losses == ["polygons written as boxes": 1, "polylines dropped": 1, "ellipses written as boxes": 1,
                              "attribute sets dropped": 1, "scores dropped": 1])
    #expect(report.filesWritten == 7)
  }

  @Test func exportSegmentWritesPolygonsAndBoxCorners() throws {
    let (manifest, items) = Self.goldenItems()
    let sink = MemorySink()
    _ = try YOLOExporter().export(manifest: manifest, items: items, to: sink, options: ExportOptions(extra: ["task": "segment"]))
    #expect(sink.text("labels/train/a.txt") == """
      0 0.375000 0.312500 0.625000 0.312500 0.625000 0.687500 0.375000 0.687500
      1 0.250000 0.125000 0.750000 0.125000 0.500000 0.500000
      0 0.000000 0.000000 0.100000 0.000000 0.100000 0.100000 0.000000 0.100000

      """)
  }

  @Test func exportThenImportRoundTripsBoxesAndPolygons() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    YOLOFixture.make(dir, labelA: "0 0.5 0.5 0.25 0.375\n")
    put(dir, "labels/val/b.txt", "1 0.25 0.125 0.75 0.125 0.5 0.5\n")
    let d = try YOLOImporter().importDataset(from: dir, options: ImportOptions())
    for task in ["detect", "segment"] {
      let sink = MemorySink()
      _ = try YOLOExporter().export(manifest: d.manifest, items: exportItems(d), to: sink, options: ExportOptions(extra: ["task": task]))
      let out = dir.appendingPathComponent("out-\(task)")
      sink.dump(to: out)
      let back = try YOLOImporter().importDataset(from: out, options: ImportOptions(existingSchema: d.manifest))
      #expect(back.manifest == d.manifest)
      if task == "detect" {
        #expect(back.items[0].document == d.items[0].document)   // the box survives exactly, id included
        #expect(back.items[1].document.annotations.map(\.shape) == [.box(Box(x: 16, y: 6, w: 32, h: 18), rotation: 0)])
      } else {
        #expect(back.items[1].document == d.items[1].document)   // the polygon survives exactly
        #expect(back.items[0].document.annotations.map(\.shape) == [.polygon([[37.5, 25, 62.5, 25, 62.5, 55, 37.5, 55]])])
      }
    }
  }

  @Test func badInputGivesOneLineErrors() throws {
    func run(yaml: String = YOLOFixture.dataYAML, labelA: String? = nil) -> String? {
      let dir = makeTempDir()
      defer { try? FileManager.default.removeItem(at: dir) }
      YOLOFixture.make(dir, yaml: yaml, labelA: labelA)
      return errorLine { _ = try YOLOImporter().importDataset(from: dir, options: ImportOptions()) }
    }
    #expect(run(labelA: "5 0.5 0.5 0.25 0.25\n") == "labels/train/a.txt: line 1: class index 5 is not in names (0...1)")
    #expect(run(labelA: "0 0.5 0.5 0.25 0.25\n0 0.875 0.5 0.5 0.5\n") == "labels/train/a.txt: line 2: coordinate 1.125 is outside [0, 1] by more than 0.5 px")
    #expect(run(labelA: "0 0.5 0.5 0.25\n") == "labels/train/a.txt: line 1: expected 4 box values (cx cy w h) or an even number (at least 6) of polygon coordinates, found 3")
    #expect(run(labelA: "0 nan 0.5 0.25 0.25\n") == "labels/train/a.txt: line 1: 'nan' is not a finite number")
    #expect(run(yaml: "train: images/train\nnames: [a, b]\nnc: 3\n") == "data.yaml: nc: nc is 3 but names has 2 entries")
    #expect(run(yaml: "train: images/train\nnames: [a, a]\n") == "data.yaml: names[1]: duplicate class name \"a\"")
    #expect(run(yaml: "train: images/train\nnames:\n  - a\n  b: c\n") == "data.yaml: line 4, column 3: did not find expected '-' indicator")
    #expect(run(yaml: "train images/train\nnames: [a]\n") == "data.yaml: line 2, column 6: mapping values are not allowed in this context")
    #expect(run(yaml: "train: images/train\nnames: [[a], b]\n") == "data.yaml: names: expected a scalar, a list or a flat map")
    #expect(run(yaml: "train: ../../elsewhere\nnames: [a, b]\n")?.hasPrefix("data.yaml: train: '../../elsewhere' is outside the dataset root") == true)
  }

  /// YOLOv5's coco.yaml style: a flow list over several lines, comments inside it, an anchor and
  /// an alias (val reuses train's folder), and a merge key.
  @Test func dataYAMLIsReadByARealYAMLParser() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    YOLOFixture.make(dir, yaml: """
      base: &base
        nc: 2
      <<: *base
      path: .
      train: &tr images/train  # anchored
      val: images/val
      test: *tr
      names: ['car',   # first
              "big truck"]

      """)
    let d = try YOLOImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.manifest.classes.map(\.name) == ["car", "big truck"])
    #expect(d.items.map { "\($0.document.image.path) \($0.document.image.split ?? "-")" } == ["train/a.png train", "val/b.jpg val"])
    let y = try YOLODataYAMLProbe.parse("nc: 3\nnames:\n  0: a\n  1: 'b: c'\n  2: \"d\"\n")
    #expect(y == ["nc=3", "names={0:a,1:b: c,2:d}"])
  }

  /// layout=darknet writes obj.names, obj.data, <split>.txt lists and obj_<split>_data/ with labels
  /// beside the images; importing it gives the same documents (splits included).
  @Test func darknetLayoutRoundTrips() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    YOLOFixture.make(dir)
    let d = try YOLOImporter().importDataset(from: dir, options: ImportOptions())
    let sink = MemorySink()
    _ = try YOLOExporter().export(manifest: d.manifest, items: exportItems(d), to: sink, options: ExportOptions(extra: ["layout": "darknet", "task": "segment"]))
    #expect(Set(sink.files.keys) == ["obj.names", "obj.data", "train.txt", "val.txt", "obj_train_data/a.png", "obj_train_data/a.txt",
                                     "obj_val_data/b.jpg", "obj_val_data/b.txt"])
    #expect(sink.text("obj.data") == "classes = 2\ntrain = data/train.txt\nvalid = data/val.txt\nnames = data/obj.names\nbackup = backup/\n")
    #expect(sink.text("val.txt") == "data/obj_val_data/b.jpg\n")
    let out = dir.appendingPathComponent("dk")
    sink.dump(to: out)
    let back = try YOLOImporter().importDataset(from: out, options: ImportOptions(existingSchema: d.manifest))
    #expect(back.items.map { "\($0.document.image.path) \($0.document.image.split ?? "-")" } == ["obj_train_data/a.png train", "obj_val_data/b.jpg val"])
    // Segment lines: a.png's polygon survives exactly, its box as its four corners; b.jpg's scored box likewise.
    #expect(back.items[0].document.annotations.map(\.boundingBox) == d.items[0].document.annotations.map(\.boundingBox))
    #expect(back.items[0].document.annotations.contains { $0.shape == .polygon([[25, 10, 75, 10, 50, 40]]) })
    #expect(back.items[1].document.annotations.count == 1)
    // Exporting the darknet import again keeps the darknet file names (no obj_train_data/obj_train_data/).
    let again = MemorySink()
    _ = try YOLOExporter().export(manifest: back.manifest, items: exportItems(back), to: again, options: ExportOptions(extra: ["layout": "darknet"]))
    #expect(Set(again.files.keys) == Set(sink.files.keys))
    #expect(errorLine { _ = try YOLOExporter().export(manifest: d.manifest, items: [], to: MemorySink(), options: ExportOptions(extra: ["layout": "v8"])) }
            == "export options: layout: expected ultralytics or darknet, found \"v8\"")
    // A split named like an obj.data setting cannot be written in the darknet layout.
    let odd = ExportItem(document: LabelDocument(image: ImageRecord(path: "x.png", width: 100, height: 80, mediaType: "image/png", split: "names"))) { Images.png100x80 }
    #expect(errorLine { _ = try YOLOExporter().export(manifest: d.manifest, items: [odd], to: MemorySink(), options: ExportOptions(extra: ["layout": "darknet"])) }
            == "obj.data: x.png: split name \"names\" is an obj.data setting; rename the split for the darknet layout")
  }

  /// Datumaro writes `val = data/val.txt` (the subset name as the key): every split is read, and
  /// a list that obj.data names but that is missing is an error, never a silent drop.
  @Test func darknetSplitKeysFromDatumaro() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    put(dir, "obj.names", "car\nbig truck\n")
    put(dir, "obj.data", "classes = 2\ntrain = data/train.txt\nval = data/val.txt\nnames = data/obj.names\nbackup = backup/\n")
    put(dir, "obj_train_data/a.png", Images.png100x80)
    put(dir, "obj_train_data/a.txt", "0 0.5 0.5 0.25 0.375\n")
    put(dir, "obj_val_data/b.jpg", Images.jpeg64x48)
    put(dir, "obj_val_data/b.txt", "1 0.5 0.5 0.5 0.5\n")
    put(dir, "train.txt", "data/obj_train_data/a.png\n")
    put(dir, "val.txt", "data/obj_val_data/b.jpg\n")
    let d = try YOLOImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.items.map { "\($0.document.image.path) \($0.document.image.split ?? "-")" } == ["obj_train_data/a.png train", "obj_val_data/b.jpg val"])
    // Absolute entries from another machine's darknet folder resolve inside the dataset root.
    put(dir, "val.txt", "/home/someone/darknet/data/obj_val_data/b.jpg\n")
    #expect(try YOLOImporter().importDataset(from: dir, options: ImportOptions()).items.map(\.document.image.path)
            == ["obj_train_data/a.png", "obj_val_data/b.jpg"])
    try FileManager.default.removeItem(at: dir.appendingPathComponent("val.txt"))
    #expect(errorLine { _ = try YOLOImporter().importDataset(from: dir, options: ImportOptions()) }?
      .hasPrefix("obj.data: val: image list 'data/val.txt' not found") == true)
  }

  /// Segment export traces a mask's outline along pixel borders: a 2×2 mask at (1,1) in the
  /// 100×80 image becomes its square, which reads back as a polygon covering the same pixels.
  @Test func segmentExportTracesMasks() throws {
    var bits = [UInt8](repeating: 0, count: 100 * 80)
    for (x, y) in [(1, 1), (2, 1), (1, 2), (2, 2), (3, 2)] { bits[y * 100 + x] = 1 }
    var runs: [Int] = [], cur: UInt8 = 0, n = 0
    for x in 0..<100 { for y in 0..<80 { let v = bits[y * 100 + x]; if v == cur { n += 1 } else { runs.append(n); cur = v; n = 1 } } }
    runs.append(n)
    let doc = LabelDocument(image: ImageRecord(path: "m.png", width: 100, height: 80, mediaType: "image/png", split: "train"), annotations: [
      Annotation(id: "m", label: "car", shape: .mask(RLEMask(height: 80, width: 100, counts: .runs(runs)))),
    ])
    let manifest = DatasetManifest(classes: [LabelClass(id: 1, name: "car")])
    let sink = MemorySink()
    let report = try YOLOExporter().export(manifest: manifest, items: [ExportItem(document: doc) { Images.png100x80 }], to: sink,
                                           options: ExportOptions(extra: ["task": "segment"]))
    // Corners (1,1) (3,1) (3,2) (4,2) (4,3) (1,3), normalised by 100 and 80.
    #expect(sink.text("labels/train/m.txt") == "0 0.010000 0.012500 0.030000 0.012500 0.030000 0.025000 0.040000 0.025000 0.040000 0.037500 0.010000 0.037500\n")
    #expect(report.losses.isEmpty)
  }
}

/// The parsed data.yaml entries as "key=value" strings, for compact expectations.
enum YOLODataYAMLProbe {
  static func parse(_ text: String) throws -> [String] {
    try YOLODataYAML.parse(text, file: "data.yaml").entries.map { e in
      switch e.value {
      case .scalar(let s)?: "\(e.key)=\(s)"
      case .list(let l)?: "\(e.key)=[\(l.joined(separator: ","))]"
      case .map(let m)?: "\(e.key)={\(m.map { "\($0.0):\($0.1)" }.joined(separator: ","))}"
      case nil: "\(e.key)="
      }
    }
  }
}
