import Foundation
import Testing
import AnnotModel
import AnnotDiff
import AnnotTestSupport
@testable import AnnotCLI

/// The CLI's diff renderers: exact text, --stat, --name-status and JSON (golden, written by
/// hand). The HTML page is tested in AnnotReviewTests.
@Suite struct RenderingTests {
  /// One image, one box moved (+12, -3) and relabeled car → truck.
  static func small() -> DatasetDiff.Outcome {
    let d = DocumentDiff.compare(old: F.doc([F.box("a1", "car", 10, 10, 20, 20)]),
                                 new: F.doc([F.box("a1", "truck", 22, 7, 20, 20)]))
    return DatasetDiff.Outcome(images: [ImageDiff(path: "train/0001.png", status: .modified, labels: d)])
  }

  @Test func text() {
    #expect(DiffRendering.text(Self.small()) == "image train/0001.png: box a1 moved (+12, -3) px, relabeled car → truck\n")
    #expect(DiffRendering.text(Self.small(), options: .init(color: true))
      == "\u{1B}[33mimage train/0001.png: box a1 moved (+12, -3) px, relabeled car → truck\u{1B}[0m\n")
    #expect(DiffRendering.text(DatasetDiff.Outcome(images: [])) == "")
  }

  @Test func textOfEveryKind() {
    let d = DocumentDiff.compare(old: DiffFixtures.old, new: DiffFixtures.new)
    let out = DiffRendering.text(DatasetDiff.Outcome(images: [ImageDiff(path: "p.png", status: .modified, labels: d)]))
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines == [
      "image p.png: split none → \"train\"",
      "image p.png: width 640 → 800",
      "image p.png: box a01 moved (+12, -3) px",
      "image p.png: box a02 resized 40×20 → 60×10 px",
      "image p.png: polygon a03 reshaped (IoU \(ChangeWords.num(d.changes[2].reshaped!.iou)))",
      "image p.png: box a04 relabeled car → truck",
      "image p.png: box a05 attribute color removed (was \"red\"), attribute occluded false → true, attribute size added \"L\"",
      "image p.png: box a06 score 0.5 → 0.75",
      "image p.png: box a07 crowd false → true, group 1 → none, z_order none → 2",
      "image p.png: box a08 removed dog [300, 300, 10, 10]",
      "image p.png: box a09 added cat [5, 5, 10, 10]",
      "image p.png: mask a11 moved (+1, +1) px",
      "image p.png: mask a12 resized 1×2 → 1×3 px, reshaped (IoU 0.67)",
      "image p.png: keypoints a13 moved (+5, +5) px",
      "image p.png: keypoints a14 reshaped (OKS 1)",
      "image p.png: box a15 reshaped (IoU 1)",
      "image p.png: ellipse a16 moved (-10, 0) px, resized 20×10 → 40×10 px",
      "image p.png: polygon a17 bbox [0,0,40,40] → [0,0,41,40]",
      "image p.png: box a18 moved (+10, 0) px, relabeled car → truck",
    ])
  }

  @Test func imageLevelAndSchemaText() throws {
    let s = DiffFixtures.scenario()
    var out = try DatasetDiff.compare(s.changes, objects: s.store, imageByteSize: { s.sizes[$0]! })
    var schema = SchemaDiff()
    schema.renamed = [.init(id: 1, from: "car", to: "auto")]
    schema.added = [.init(id: 3, name: "bus")]
    out.schema = schema
    #expect(DiffRendering.text(out) == """
      image train/a.png: box 1 moved (+5, 0) px
      image train/b.png: image replaced (100 → 120 bytes)
      image train/c2.png: renamed from train/c.png
      image train/d.png: removed (2 annotations)
      image train/d.png: box 1 removed car [0, 0, 1, 1]
      image train/d.png: box 2 removed person [0, 0, 1, 1]
      image train/f.png: removed (1 annotation)
      image train/f.png: box 7 removed car [0, 0, 3, 3]
      image train/f2.png: added (1 annotation)
      image train/f2.png: box 7 added truck [0, 0, 3, 3]
      image val/e.png: added (1 annotation)
      image val/e.png: box 1 added cat [0, 0, 1, 1]
      schema: class 3 "bus" added
      schema: class 1 renamed car → auto

      """)
    #expect(DiffRendering.nameStatus(out) == """
      M\tannot.json
      M\ttrain/a.png
      M\ttrain/b.png
      R\ttrain/c.png\ttrain/c2.png
      D\ttrain/d.png
      D\ttrain/f.png
      A\ttrain/f2.png
      A\tval/e.png

      """)
  }

  @Test func stat() {
    #expect(DiffRendering.stat(Self.small()) == """
      class added removed moved resized reshaped relabeled attributes score other
      truck     0       0     1       0        0         1          0     0     0
      total     0       0     1       0        0         1          0     0     0
      1 image changed: 0 added, 0 removed, 1 modified, 0 replaced, 0 renamed

      """)
  }

  /// The golden JSON, written by hand from the schema in Docs/DIFF.md.
  @Test func jsonGolden() {
    let expected = """
      {
        "by_class": {"truck":{"added":0,"attributes_changed":0,"moved":1,"other_changed":0,"relabeled":1,"removed":0,"reshaped":0,"resized":0,"score_changed":0}},
        "images": [
          {"annotations":[{"changes":["moved","relabeled"],"id":"a1","kind":"box","label":"truck","moved":{"dx":12,"dy":-3},"new":{"bbox":[22,7,20,20],"id":"a1","kind":"box","label":"truck"},"old":{"bbox":[10,10,20,20],"id":"a1","kind":"box","label":"car"},"relabeled":{"from":"car","to":"truck"},"status":"modified"}],"image_changes":[],"matched_by_geometry":false,"path":"train/0001.png","status":"modified"}
        ],
        "schema": null,
        "summary": {"annotations_added":0,"annotations_removed":0,"attributes_changed":0,"images_added":0,"images_modified":1,"images_removed":0,"images_renamed":0,"images_replaced":0,"moved":1,"other_changed":0,"relabeled":1,"reshaped":0,"resized":0,"score_changed":0},
        "version": 1
      }

      """
    #expect(String(decoding: DiffRendering.json(Self.small()), as: UTF8.self) == expected)
  }

  @Test func jsonCarriesEveryField() throws {
    let d = DocumentDiff.compare(old: DiffFixtures.old, new: DiffFixtures.new)
    let value = try JSONParser.parse(DiffRendering.json(DatasetDiff.Outcome(images: [ImageDiff(path: "p.png", status: .modified, labels: d)])))
    let anns = try #require(value["images"]?.arrayValue?.first?["annotations"]?.arrayValue)
    func a(_ id: String) throws -> JSONValue { try #require(anns.first { $0["id"]?.stringValue == id }) }
    #expect(try a("a02")["resized"] == .object(["sx": .number(1.5), "sy": .number(0.5)]))
    #expect(try a("a05")["attributes"]?.arrayValue?.first == .object(["key": .string("color"), "old": .string("red"), "new": .null]))
    #expect(try a("a06")["score"] == .object(["old": .number(0.5), "new": .number(0.75)]))
    #expect(try a("a07")["fields"]?.arrayValue?.count == 3)
    #expect(try a("a08")["new"] == .null)
    #expect(try a("a08")["status"] == .string("removed"))
    #expect(try a("a12")["reshaped"]?["iou"]?.doubleValue == 2.0 / 3.0)
    #expect(value["images"]?.arrayValue?.first?["image_changes"]?.arrayValue?.count == 2)
  }
}
