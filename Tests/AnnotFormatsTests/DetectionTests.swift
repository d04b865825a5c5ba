import Foundation
import Testing
import AnnotModel
import AnnotFormats

/// The registry must pick the right importer for each fixture layout, and only one.
@Suite struct DetectionTests {
  let registry = FormatRegistry(importers: [COCOImporter(), YOLOImporter(), LabelMeImporter()],
                                exporters: [COCOExporter(), YOLOExporter(), LabelMeExporter()])

  @Test func picksTheRightImporter() throws {
    let dir = makeTempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let coco = COCOFixture.make(dir.appendingPathComponent("coco"))
    YOLOFixture.make(dir.appendingPathComponent("yolo"))
    put(dir, "darknet/obj.names", "car\n")
    LabelMeFixture.make(dir.appendingPathComponent("labelme"))
    put(dir, "empty/readme.txt", "nothing here")

    #expect(try registry.detect(coco).name == "coco")
    #expect(try registry.detect(dir.appendingPathComponent("yolo")).name == "yolo")
    #expect(try registry.detect(dir.appendingPathComponent("yolo/data.yaml")).name == "yolo")
    #expect(try registry.detect(dir.appendingPathComponent("darknet")).name == "yolo")
    #expect(try registry.detect(dir.appendingPathComponent("labelme")).name == "labelme")
    #expect(try registry.detect(dir.appendingPathComponent("labelme/ann/a.json")).name == "labelme")
    #expect(COCOImporter().detect(dir.appendingPathComponent("labelme/ann/a.json")) == .none)
    let empty = dir.appendingPathComponent("empty")
    #expect(errorLine { _ = try registry.detect(empty) }?.hasPrefix("no known dataset format found in '\(empty.path)' (coco: no annotations/instances_<split>.json; yolo: no data.yaml") == true)
  }

  @Test func namesAreStable() {
    #expect(registry.importers.map(\.name) == ["coco", "yolo", "labelme"])
    #expect(registry.exporters.map(\.name) == ["coco", "yolo", "labelme"])
  }
}
