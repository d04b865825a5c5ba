import Foundation
import Testing
import AnnotModel
import AnnotFormats

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
    #expect(run(yaml: "train: images/train\nnames:\n  - a\n  b: c\n") == "data.yaml: names: expected a scalar, a list or a flat map")
    #expect(run(yaml: "train images/train\nnames: [a]\n") == "data.yaml: line 1: expected 'key: value'")
    #expect(run(yaml: "train: ../../elsewhere\nnames: [a, b]\n")?.hasPrefix("data.yaml: train: '../../elsewhere' is outside the dataset root") == true)
  }
}
