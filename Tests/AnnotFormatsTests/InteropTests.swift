import Foundation
import Testing
import AnnotModel
@testable import AnnotFormats

/// Layouts other tools write (Datumaro, globox, kwcoco, labelme, label-studio-converter), read
/// the way those tools mean them. Scripts/check-exports.sh runs the tools themselves; these
/// tests pin the layouts without Python.
@Suite struct InteropTests {
  static func coco(_ images: [(Int, String)], _ anns: [(Int, Int, [Double], Double?)], categories: String = #"[{"id": 1, "name": "car"}]"#) -> String {
    let im = images.map { #"{"id": \#($0.0), "file_name": "\#($0.1)", "width": 100, "height": 80}"# }.joined(separator: ", ")
    let an = anns.map { a in
      #"{"id": \#(a.0), "image_id": \#(a.1), "category_id": 1, "bbox": [\#(a.2.map { CanonicalJSON.number($0) }.joined(separator: ", "))]"#
        + (a.3.map { #", "area": \#(CanonicalJSON.number($0))"# } ?? "") + "}"
    }.joined(separator: ", ")
    return #"{"images": [\#(im)], "annotations": [\#(an)], "categories": \#(categories)}"#
  }

  /// Datumaro's and annot's COCO directory: one file per split, images/<split>/; `auto` finds it.
  @Test func cocoDirectoryReadsEverySplit() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    put(dir, "annotations/instances_train.json", Self.coco([(1, "a.png")], [(1, 1, [10, 10, 20, 20], nil)]))
    put(dir, "annotations/instances_val.json", Self.coco([(1, "b.png")], [(1, 1, [5, 5, 10, 10], 99.5)]))
    put(dir, "images/train/a.png", Images.png100x80)
    put(dir, "images/val/b.png", Images.png100x80)
    #expect(FormatRegistry.builtIn.importers.first { $0.name == "coco" }!.detect(dir) == .high)
    #expect(try FormatRegistry.builtIn.detect(dir).name == "coco")
    let d = try COCOImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.items.map { "\($0.document.image.path) \($0.document.image.split ?? "-")" } == ["a.png train", "b.png val"])
    // --images may name the images root of the split layout.
    let viaImages = try COCOImporter().importDataset(from: dir, options: ImportOptions(imagesDirectory: dir.appendingPathComponent("images")))
    #expect(viaImages.items.map(\.imageFile.lastPathComponent) == ["a.png", "b.png"])
    // The source's area is kept where it differs from annot's own (99.5 ≠ 10×10; none given for a.png),
    // and written back; the same for a polygon (its shoelace area is 100).
    #expect(d.items.map { $0.document.annotations[0].sourceArea } == [nil, 99.5])
    put(dir, "annotations/instances_val.json", Self.coco([(1, "b.png")], [(1, 1, [5, 5, 10, 10], 99.5)]).replacingOccurrences(
      of: #""bbox": [5, 5, 10, 10]"#, with: #""bbox": [5, 5, 10, 10], "segmentation": [[5, 5, 15, 5, 15, 15, 5, 15]]"#))
    let d2 = try COCOImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d2.items[1].document.annotations[0].sourceArea == 99.5)
    let sink = MemorySink()
    _ = try COCOExporter().export(manifest: d2.manifest, items: exportItems(d2), to: sink, options: ExportOptions())
    #expect(sink.text("annotations/instances_val.json")?.contains(#""area":99.5"#) == true)
    // Category clashes between split files are errors naming the file.
    put(dir, "annotations/instances_val.json", Self.coco([(1, "b.png")], [], categories: #"[{"id": 1, "name": "bus"}]"#))
    #expect(errorLine { _ = try COCOImporter().importDataset(from: dir, options: ImportOptions()) }
            == #"annotations/instances_val.json: categories (id 1): category 1 is "bus" here but "car" in another split file"#)
  }

  /// A box's area differing from w×h is kept too (COCO tools round areas).
  @Test func boxAreaIsKeptWhenItDiffers() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    put(dir, "a.png", Images.png100x80)
    put(dir, "c.json", Self.coco([(1, "a.png")], [(1, 1, [10, 10, 20, 20], 401), (2, 1, [0, 0, 5, 5], 25)]))
    let d = try COCOImporter().importDataset(from: dir.appendingPathComponent("c.json"), options: ImportOptions())
    #expect(d.items[0].document.annotations.map(\.sourceArea).sorted { ($0 ?? 0) < ($1 ?? 0) } == [nil, 401])
    #expect(d.items[0].document.annotations.first { $0.sourceArea != nil }?.area == 401)
    let bytes = d.items[0].document.canonicalBytes()
    #expect(try LabelDocument.decode(bytes) == d.items[0].document)   // the `area` key round-trips
  }

  /// kwcoco writes absolute file names: under --images they are relative to it.
  @Test func kwcocoAbsoluteFileNamesUnderImages() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let imgs = dir.appendingPathComponent("imgs")
    put(imgs, "sub/a.png", Images.png100x80)
    put(dir, "k.json", Self.coco([(1, imgs.path + "/sub/a.png")], [(1, 1, [1, 1, 2, 2], nil)]))
    let d = try COCOImporter().importDataset(from: dir.appendingPathComponent("k.json"), options: ImportOptions(imagesDirectory: imgs))
    #expect(d.items.map(\.document.image.path) == ["sub/a.png"])
    put(dir, "k2.json", Self.coco([(1, "/elsewhere/a.png")], []))
    #expect(errorLine { _ = try COCOImporter().importDataset(from: dir.appendingPathComponent("k2.json"), options: ImportOptions(imagesDirectory: imgs)) }?
      .contains("absolute path") == true)
  }

  /// Datumaro's CVAT layout: one XML per subset, split from the file name, images under images/.
  @Test func cvatPerSubsetFiles() throws {
    let dir = try Fixture2.tempDir()
    func xml(_ name: String, _ extra: String = "") -> String {
      """
      <?xml version="1.0" encoding="utf-8"?>
      <annotations>
        <version>1.1</version>
        <meta><task><labels><label><name>car</name></label></labels></task></meta>
        <image id="0" name="\(name)" width="6" height="4"\(extra)>
          <box label="car" occluded="0" xtl="1" ytl="1" xbr="3" ybr="3"></box>
        </image>
      </annotations>

      """
    }
    try Fixture2.write(dir, "train.xml", xml("a.png"))
    try Fixture2.write(dir, "val.xml", xml("b.png"))
    try Fixture2.write(dir, "default.xml", xml("c.png"))
    try Fixture2.write(dir, "images/a.png", Fixture2.png(6, 4))
    try Fixture2.write(dir, "images/val/b.png", Fixture2.png(6, 4))   // images/<subset>/ works too
    try Fixture2.write(dir, "images/c.png", Fixture2.png(6, 4))
    #expect(CVATImporter().detect(dir) == .high)
    let d = try CVATImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.items.map { "\($0.document.image.path) \($0.document.image.split ?? "-")" } == ["a.png train", "b.png val", "c.png -"])
    // The same image in two subset files is an error naming both.
    try Fixture2.write(dir, "val.xml", xml("a.png"))
    #expect(errorLine { _ = try CVATImporter().importDataset(from: dir, options: ImportOptions()) } == "val.xml: line 5, <image>: image 'a.png' listed twice (also in train.xml)")
  }

  /// globox writes a bare <annotations> (no version, no meta): auto detects it as CVAT.
  @Test func bareCVATIsDetected() throws {
    let dir = try Fixture2.tempDir()
    try Fixture2.write(dir, "annotations.xml", """
      <annotations><image name="a.png" width="6" height="4"><box label="car" xtl="1" ytl="1" xbr="3" ybr="3" /></image></annotations>
      """)
    try Fixture2.write(dir, "a.png", Fixture2.png(6, 4))
    #expect(try FormatRegistry.builtIn.detect(dir.appendingPathComponent("annotations.xml")).name == "cvat")
    let d = try CVATImporter().importDataset(from: dir.appendingPathComponent("annotations.xml"), options: ImportOptions())
    #expect(d.items[0].document.annotations.map(\.shape) == [.box(Box(x: 1, y: 1, w: 2, h: 2), rotation: 0)])
  }

  /// A CVAT export with splits reads back with its splits (project layout).
  @Test func cvatExportWithSplitsRoundTrips() throws {
    let docs = ["a.png": "train", "b.png": "val", "c.png": nil] as [String: String?]
    let items = docs.keys.sorted().map { p in
      ExportItem(document: LabelDocument(image: ImageRecord(path: p, width: 6, height: 4, mediaType: "image/png", split: docs[p]!))) { Fixture2.png(6, 4) }
    }
    let sink = MemorySink2()
    _ = try CVATExporter().export(manifest: DatasetManifest(classes: [LabelClass(id: 1, name: "car")]), items: items, to: sink, options: ExportOptions())
    let out = try Fixture2.tempDir()
    for (p, b) in sink.files { try Fixture2.write(out, p, b) }
    #expect(sink.text("annotations.xml").contains("<subset>default</subset>") == true)
    let back = try CVATImporter().importDataset(from: out, options: ImportOptions())
    #expect(back.items.map { "\($0.document.image.path) \($0.document.image.split ?? "-")" } == ["a.png train", "b.png val", "c.png -"])
  }

  /// Label Studio local-files URLs as label-studio-converter and Label Studio write them.
  @Test func labelStudioLocalFilesURLs() throws {
    #expect(LabelStudioImporter.imagePath(fromURL: "/data/local-files/?d=images/a%20b.png") == "images/a b.png")
    #expect(LabelStudioImporter.imagePath(fromURL: "?d=/x.png") == "/x.png")
    #expect(LabelStudioImporter.imagePath(fromURL: "http://localhost:8080/data/local-files/?d=img/a.png&x=1") == "img/a.png")
    let root = makeTempDir()
    defer { try? FileManager.default.removeItem(at: root) }
    put(root, "img/a.png", Images.png100x80)
    #expect(ImportChecks.relativeToRoot(root.path + "/img/a.png", root: root) == "img/a.png")
    #expect(ImportChecks.relativeToRoot("/home/someone/data/img/a.png", root: root) == "img/a.png")
    #expect(ImportChecks.relativeToRoot("/home/someone/data/img/missing.png", root: root) == nil)
    put(root, "tasks.json", #"[{"id": 1, "data": {"image": "/data/local-files/?d=/home/u/ds/img/a.png"}, "annotations": []}]"#)
    let d = try LabelStudioImporter().importDataset(from: root.appendingPathComponent("tasks.json"), options: ImportOptions(imagesDirectory: root))
    #expect(d.items.map(\.document.image.path) == ["img/a.png"])
  }

  /// labelme opens a JSON whose image is missing from its embedded imageData: so does annot.
  @Test func labelMeEmbeddedImageData() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let b64 = Data(Images.png100x80).base64EncodedString()
    put(dir, "x.json", #"{"version": "5.2.1", "flags": {}, "shapes": [{"label": "car", "points": [[1, 2], [11, 12]], "shape_type": "rectangle", "flags": {}}], "imagePath": "x.png", "imageData": "\#(b64)", "imageHeight": 80, "imageWidth": 100}"#)
    let d = try LabelMeImporter().importDataset(from: dir, options: ImportOptions())
    #expect(d.items.count == 1 && d.items[0].imageData == Images.png100x80)
    #expect(d.items[0].document.image.path == "x.png" && d.items[0].document.image.mediaType == "image/png")
    put(dir, "x.json", #"{"shapes": [], "imagePath": "x.png", "imageData": "bm90IGFuIGltYWdl", "imageHeight": 80, "imageWidth": 100}"#)
    #expect(errorLine { _ = try LabelMeImporter().importDataset(from: dir, options: ImportOptions()) }?.hasPrefix("x.json: imageData: ") == true)
  }
}
