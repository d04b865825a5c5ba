import Foundation
import Testing
import AnnotModel
import AnnotMedia
@testable import AnnotFormats

/// VOC segmentation PNGs. The 4x3 fixture (row-major; 255 = void border):
///
///     object:  1   1   0  2      class: person person 0 car
///              1 255   0  2             car    void   0 car
///              0   0   0  2             0      0      0 car
///
/// Instance 1 is labelled by majority (2 person, 1 car), grouped with the one <object>;
/// instance 2 (car) has no object of its order, so it is standalone.
@Suite struct VOCMaskTests {
  static let labelmap = "background:0,0,0::\nperson:192,128,128::\ncar:128,128,128::\n"
  static let xml = """
  <annotation><filename>m.png</filename><size><width>4</width><height>3</height></size>
  <object><name>person</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
  </annotation>
  """
  static let objectIndices: [UInt8] = [1, 1, 0, 2, 1, 255, 0, 2, 0, 0, 0, 2]
  static let classIndices: [UInt8] = [1, 1, 0, 2, 2, 255, 0, 2, 0, 0, 0, 2]
  /// Palette the way VOC files carry it: class k in the labelmap colour, 255 the void colour.
  static var classPalette: [PNGColor] {
    var p = [PNGColor](repeating: PNGColor(0, 0, 0), count: 256)
    p[1] = PNGColor(192, 128, 128); p[2] = PNGColor(128, 128, 128); p[255] = PNGColor(224, 224, 192)
    return p
  }

  static func fixture(objectPNG: [UInt8]? = nil, classPNG: [UInt8]? = nil) throws -> URL {
    let d = try Fixture2.tempDir()
    try Fixture2.write(d, "Annotations/m.xml", xml)
    try Fixture2.write(d, "labelmap.txt", labelmap)
    try Fixture2.write(d, "JPEGImages/m.png", Fixture2.png(4, 3))
    let grey = (0..<256).map { PNGColor(UInt8($0), UInt8($0), UInt8($0)) }
    try Fixture2.write(d, "SegmentationObject/m.png", try objectPNG
      ?? PNGCodec.encodePalette(width: 4, height: 3, indices: objectIndices, palette: grey, name: "o"))
    try Fixture2.write(d, "SegmentationClass/m.png", try classPNG
      ?? PNGCodec.encodePalette(width: 4, height: 3, indices: classIndices, palette: classPalette, name: "c"))
    return d
  }

  static func expected() -> LabelDocument {
    // Column-major runs, worked out by hand from the grid above.
    let m1 = RLEMask(height: 3, width: 4, counts: .compressed(RLE.encode([0, 2, 1, 1, 8])))
    let m2 = RLEMask(height: 3, width: 4, counts: .compressed(RLE.encode([9, 3])))
    let anns = [
      Annotation(id: "-", label: "person", shape: .box(Box(x: 0, y: 0, w: 2, h: 2), rotation: 0), group: 1),
      Annotation(id: "-", label: "person", shape: .mask(m1), group: 1),
      Annotation(id: "-", label: "car", shape: .mask(m2)),
    ]
    return LabelDocument(image: ImageRecord(path: "m.png", width: 4, height: 3, mediaType: "image/png"),
                         annotations: anns.map { Fixture2.contentID($0, path: "m.png") })
  }

  @Test func importGivesTheExactModel() throws {
    let ds = try VOCImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    #expect(ds.items.count == 1)
    #expect(ds.items[0].document == Self.expected())
    #expect(ds.warnings.isEmpty)
  }

  @Test func exportWritesBothPNGsAndRoundTrips() throws {
    let ds = try VOCImporter().importDataset(from: try Self.fixture(), options: ImportOptions())
    let sink = MemorySink2()
    let report = try VOCExporter().export(manifest: ds.manifest, items: ds.items.map { item in
      ExportItem(document: item.document) { [UInt8](try Data(contentsOf: item.imageFile)) }
    }, to: sink, options: ExportOptions())
    #expect(report == ExportReport(losses: [:], filesWritten: 7))   // + ImageSets/Segmentation/default.txt
    let obj = try PNGCodec.decode(try #require(sink.files["SegmentationObject/m.png"]), name: "o")
    let cls = try PNGCodec.decode(try #require(sink.files["SegmentationClass/m.png"]), name: "c")
    guard case .indexed(let oi, let op) = obj.pixels, case .indexed(let ci, let cp) = cls.pixels else {
      Issue.record("not palette PNGs"); return
    }
    // Void is not kept; the car pixel inside instance 1 takes the instance's class.
    #expect(oi == [1, 1, 0, 2, 1, 0, 0, 2, 0, 0, 0, 2])
    #expect(ci == [1, 1, 0, 2, 1, 0, 0, 2, 0, 0, 0, 2])
    // VOC colormap: 1 = (128,0,0), 2 = (0,128,0), 255 = (224,224,192); class colours from the labelmap.
    #expect(op.count == 256 && op[1] == PNGColor(128, 0, 0) && op[2] == PNGColor(0, 128, 0) && op[255] == PNGColor(224, 224, 192))
    #expect(cp[0] == PNGColor(0, 0, 0) && cp[1] == PNGColor(192, 128, 128) && cp[2] == PNGColor(128, 128, 128))
    #expect(sink.text("Annotations/m.xml").contains("<segmented>1</segmented>"))
    // Deterministic bytes.
    let sink2 = MemorySink2()
    _ = try VOCExporter().export(manifest: ds.manifest, items: ds.items.map { item in
      ExportItem(document: item.document) { [UInt8](try Data(contentsOf: item.imageFile)) }
    }, to: sink2, options: ExportOptions())
    #expect(sink2.files == sink.files)

    let out = try Fixture2.tempDir()
    for (p, b) in sink.files { try Fixture2.write(out, p, b) }
    let back = try VOCImporter().importDataset(from: out, options: ImportOptions())
    // The person mask (grouped with its box) comes back as it was; the standalone car mask got an
    // <object> of its own (box = the mask's extent), so it comes back as VOC's box + mask pair.
    let person = back.items[0].document.annotations.filter { $0.label == "person" }
    #expect(person == ds.items[0].document.annotations.filter { $0.label == "person" })
    let car = back.items[0].document.annotations.filter { $0.label == "car" }
    #expect(car.map(\.shape.kind).sorted() == ["box", "mask"] && Set(car.map(\.group)).count == 1 && car[0].group != nil)
    #expect(car.first { $0.shape.kind == "box" }?.boundingBox == car.first { $0.shape.kind == "mask" }?.boundingBox)
    // From there on export → import is exact.
    let sink3 = MemorySink2()
    _ = try VOCExporter().export(manifest: back.manifest, items: back.items.map { item in
      ExportItem(document: item.document) { [UInt8](try Data(contentsOf: item.imageFile)) }
    }, to: sink3, options: ExportOptions())
    let out2 = try Fixture2.tempDir()
    for (p, b) in sink3.files { try Fixture2.write(out2, p, b) }
    let again = try VOCImporter().importDataset(from: out2, options: ImportOptions())
    #expect(again.items.map(\.document) == back.items.map(\.document))
  }

  @Test func rgbClassPNGIsReadByColour() throws {
    // The same class image as an RGB PNG made by Pillow: Image.new('RGB', (4,3)) with the
    // class colours of the grid above (void = 224,224,192).
    let rgb = [UInt8](Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAIklEQVR4nGM40NBwoKGBgYGhoaGB6QADg0KCAwMaaGhoAADMewgDQ1oLowAAAABJRU5ErkJggg==")!)
    let ds = try VOCImporter().importDataset(from: try Self.fixture(classPNG: rgb), options: ImportOptions())
    #expect(ds.items[0].document == Self.expected())
  }

  @Test func maskOfAnotherSizeIsAnError() throws {
    let small = try PNGCodec.encodePalette(width: 3, height: 3, indices: [UInt8](repeating: 0, count: 9),
                                           palette: [PNGColor(0, 0, 0)], name: "x")
    let e = Fixture2.importError(VOCImporter(), try Self.fixture(objectPNG: small))
    #expect(e == .invalid(file: "SegmentationObject/m.png", place: "", message: "mask is 3x3 but the image is 4x3"))
  }

  @Test func truncatedPNGIsAnError() throws {
    let good = try PNGCodec.encodePalette(width: 4, height: 3, indices: Self.classIndices, palette: Self.classPalette, name: "c")
    let e = Fixture2.importError(VOCImporter(), try Self.fixture(classPNG: Array(good.prefix(good.count - 30))))
    guard case .invalid(let file, _, let message)? = e else { Issue.record("no error: \(String(describing: e))"); return }
    #expect(file == "SegmentationClass/m.png")
    #expect(message.hasPrefix("truncated PNG") || message.hasPrefix("invalid PNG"))
  }

  @Test func unknownClassColourIsAnError() throws {
    var palette = Self.classPalette
    palette[2] = PNGColor(1, 2, 3)
    let bad = try PNGCodec.encodePalette(width: 4, height: 3, indices: Self.classIndices, palette: palette, name: "c")
    let e = Fixture2.importError(VOCImporter(), try Self.fixture(classPNG: bad))
    #expect(e == .invalid(file: "SegmentationClass/m.png", place: "pixel (3, 0)", message: "colour 1,2,3 is no class colour of labelmap.txt"))
  }

  @Test func vocColormapMatchesTheDevkit() {
    // Values from the VOC devkit's labelcolormap / Datumaro's VocColormap.
    #expect(VOCMasks.colormap[0] == PNGColor(0, 0, 0))
    #expect(VOCMasks.colormap[1] == PNGColor(128, 0, 0))
    #expect(VOCMasks.colormap[15] == PNGColor(192, 128, 128))
    #expect(VOCMasks.colormap[20] == PNGColor(0, 64, 128))
    #expect(VOCMasks.colormap[255] == PNGColor(224, 224, 192))
  }
}
