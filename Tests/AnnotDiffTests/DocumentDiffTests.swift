import Testing
import AnnotModel
import AnnotTestSupport
@testable import AnnotDiff

/// DocumentDiff: one constructed pair of documents carrying every change kind, checked
/// annotation by annotation; then the geometry fallback for documents without shared ids.
@Suite struct DocumentDiffTests {
  static var old: LabelDocument { DiffFixtures.old }
  static var new: LabelDocument { DiffFixtures.new }
  static func pentagon(_ dy: Double) -> [[Double]] { DiffFixtures.pentagon(dy) }

  @Test func everyChangeKindExactly() throws {
    let d = DocumentDiff.compare(old: Self.old, new: Self.new)
    #expect(!d.matchedByGeometry)
    #expect(d.changes.map(\.id) == ["a01", "a02", "a03", "a04", "a05", "a06", "a07", "a08", "a09", "a11", "a12",
                                     "a13", "a14", "a15", "a16", "a17", "a18"])
    func c(_ id: String) throws -> AnnotationChange { try #require(d.changes.first { $0.id == id }) }

    #expect(try c("a01").kinds == [.moved])
    #expect(try c("a01").moved == .init(dx: 12, dy: -3))

    #expect(try c("a02").kinds == [.resized])
    #expect(try c("a02").resized == .init(sx: 1.5, sy: 0.5))

    #expect(try c("a03").kinds == [.reshaped])
    // The square minus the triangle (0,40)-(40,40)-(20,20) of area 400: IoU 1200/1600.
    #expect(abs(try #require(try c("a03").reshaped).iou - 0.75) < 0.01)

    #expect(try c("a04").kinds == [.relabeled])
    #expect(try c("a04").relabeled == .init(from: "car", to: "truck"))

    #expect(try c("a05").kinds == [.attributes])
    #expect(try c("a05").attributes == [
      AttributeChange(key: "color", old: .string("red"), new: nil),
      AttributeChange(key: "occluded", old: .bool(false), new: .bool(true)),
      AttributeChange(key: "size", old: nil, new: .string("L")),
    ])

    #expect(try c("a06").kinds == [.score])
    #expect(try c("a06").score == .init(old: 0.5, new: 0.75))

    #expect(try c("a07").kinds == [.other])
    #expect(try c("a07").fields == [
      FieldChange(field: "crowd", old: .bool(false), new: .bool(true)),
      FieldChange(field: "group", old: .number(1), new: nil),
      FieldChange(field: "z_order", old: nil, new: .number(2)),
    ])

    #expect(try c("a08").status == .removed && c("a08").kinds == [.removed] && c("a08").className == "dog")
    #expect(try c("a09").status == .added && c("a09").kinds == [.added] && c("a09").className == "cat")

    #expect(try c("a11").kinds == [.moved])
    #expect(try c("a11").moved == .init(dx: 1, dy: 1))

    #expect(try c("a12").kinds == [.resized, .reshaped])
    #expect(try c("a12").resized == .init(sx: 1, sy: 1.5))
    #expect(try c("a12").reshaped == .init(iou: 2.0 / 3.0))

    #expect(try c("a13").kinds == [.moved])
    #expect(try c("a13").moved == .init(dx: 5, dy: 5))

    #expect(try c("a14").kinds == [.reshaped])

    #expect(try c("a15").kinds == [.reshaped])
    #expect(try c("a15").reshaped == .init(iou: 1))   // rotation is ignored by box IoU

    #expect(try c("a16").kinds == [.moved, .resized])
    #expect(try c("a16").moved == .init(dx: -10, dy: 0))
    #expect(try c("a16").resized == .init(sx: 2, sy: 1))

    #expect(try c("a17").kinds == [.other])
    #expect(try c("a17").fields == [FieldChange(field: "bbox", old: .array([0, 0, 40, 40].map { .number($0) }),
                                                new: .array([0, 0, 41, 40].map { .number($0) }))])

    #expect(try c("a18").kinds == [.moved, .relabeled])

    #expect(d.imageChanges == [
      FieldChange(field: "split", old: nil, new: .string("train")),
      FieldChange(field: "width", old: .number(640), new: .number(800)),
    ])
  }

  @Test func toleranceOption() {
    let a = F.doc([F.box("a", "car", 0, 0, 10, 10)]), b = F.doc([F.box("a", "car", 0.4, 0, 10, 10)])
    #expect(DocumentDiff.compare(old: a, new: b).changes.map(\.kinds) == [[.moved]])
    #expect(DocumentDiff.compare(old: a, new: b, options: .init(tolerance: 0.5)).isEmpty)
  }

  @Test func addedAndRemovedDocuments() {
    let d = F.doc([F.box("a", "car", 0, 0, 10, 10), F.box("b", "dog", 0, 0, 10, 10)])
    let added = DocumentDiff.compare(old: nil, new: d)
    #expect(added.changes.map(\.status) == [.added, .added])
    #expect(added.imageChanges.isEmpty)
    let removed = DocumentDiff.compare(old: d, new: nil)
    #expect(removed.changes.map(\.status) == [.removed, .removed])
    #expect(DocumentDiff.compare(old: d, new: d).isEmpty)
  }

  @Test func fallsBackToGeometryWhenNoIDIsShared() throws {
    let old = F.doc([F.box("x1", "car", 0, 0, 10, 10), F.box("x2", "car", 50, 0, 10, 10), F.box("x3", "dog", 200, 0, 10, 10)])
    let new = F.doc([F.box("y1", "car", 2, 0, 10, 10), F.box("y2", "truck", 50, 0, 10, 10), F.box("y3", "cat", 400, 0, 10, 10)])
    let d = DocumentDiff.compare(old: old, new: new)
    #expect(d.matchedByGeometry)
    #expect(d.changes.map(\.id) == ["x3", "y1", "y2", "y3"])
    let y1 = try #require(d.changes.first { $0.id == "y1" })
    #expect(y1.oldID == "x1" && y1.kinds == [.moved] && y1.moved == .init(dx: 2, dy: 0))
    let y2 = try #require(d.changes.first { $0.id == "y2" })
    #expect(y2.oldID == "x2" && y2.kinds == [.relabeled])
    #expect(d.changes.first { $0.id == "x3" }?.status == .removed)
    #expect(d.changes.first { $0.id == "y3" }?.status == .added)

    // Forced id matching: everything is added or removed.
    let byID = DocumentDiff.compare(old: old, new: new, options: .init(matching: .ids))
    #expect(!byID.matchedByGeometry)
    #expect(byID.changes.map(\.status) == [.removed, .removed, .removed, .added, .added, .added])

    // One shared id is enough to stay with ids in automatic mode.
    let shared = F.doc([F.box("x1", "car", 0, 0, 10, 10), F.box("z", "car", 50, 0, 10, 10)])
    #expect(!DocumentDiff.compare(old: old, new: shared).matchedByGeometry)
  }

  @Test func kindChangeIsReshapeAndOtherField() throws {
    let old = F.doc([F.box("a", "car", 0, 0, 10, 10)])
    let new = F.doc([F.polygon("a", "car", [F.square(0, 0, 10)])])
    let c = try #require(DocumentDiff.compare(old: old, new: new).changes.first)
    #expect(c.kinds == [.reshaped, .other])
    #expect(c.reshaped == .init(iou: 1))
    #expect(c.fields == [FieldChange(field: "kind", old: .string("box"), new: .string("polygon"))])
  }
}
