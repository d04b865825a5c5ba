import AnnotModel
import Testing
@testable import AnnotMerge

/// One row of the document merge table, named like libgit2's trivial-merge cases:
/// "base: X, ours: Y, theirs: Z = result".
///
/// How to add a case: write the three inputs, the merged document you expect (built by hand),
/// the conflicts with their JSON values written out, and, when the result depends on which side
/// is "ours" (conflicts keep ours; duplicates keep ours), the merged document expected when the
/// sides are swapped. Every row runs twice: as written and with ours/theirs swapped.
struct MergeCase: Sendable, CustomTestStringConvertible {
  var name: String
  var base: LabelDocument?, ours: LabelDocument?, theirs: LabelDocument?
  var merged: LabelDocument?
  /// The merged document with ours and theirs swapped; `.none` = same as `merged`.
  var mergedIfSwapped: LabelDocument??
  var conflicts: [Expected] = []
  var notes = 0
  var options = DocumentMerge.Options()
  var testDescription: String { name }

  init(_ name: String, base: LabelDocument?, ours: LabelDocument?, theirs: LabelDocument?, merged: LabelDocument?,
       mergedIfSwapped: LabelDocument?? = .none, conflicts: [Expected] = [], notes: Int = 0,
       options: DocumentMerge.Options = .init()) {
    self.name = name; self.base = base; self.ours = ours; self.theirs = theirs; self.merged = merged
    self.mergedIfSwapped = mergedIfSwapped; self.conflicts = conflicts; self.notes = notes; self.options = options
  }

  static let catBox = #"{"bbox":[10,10,20,20],"id":"a","kind":"box","label":"cat"}"#
  static let dogBox = #"{"bbox":[10,10,20,20],"id":"a","kind":"box","label":"dog"}"#
  static let baseDoc = #"{"annotations":[{"bbox":[10,10,20,20],"id":"a","kind":"box","label":"cat"}],"image":{"height":480,"media_type":"image/png","path":"a.png","width":640},"version":1}"#
  static let dogDoc = #"{"annotations":[{"bbox":[10,10,20,20],"id":"a","kind":"box","label":"dog"}],"image":{"height":480,"media_type":"image/png","path":"a.png","width":640},"version":1}"#

  static let all: [MergeCase] = [
    // MARK: one field
    MergeCase("base: cat, ours: dog, theirs: cat = dog",
              base: doc(box("a", "cat")), ours: doc(box("a", "dog")), theirs: doc(box("a", "cat")),
              merged: doc(box("a", "dog"))),
    MergeCase("base: cat, ours: dog, theirs: dog = dog (same change once)",
              base: doc(box("a", "cat")), ours: doc(box("a", "dog")), theirs: doc(box("a", "dog")),
              merged: doc(box("a", "dog"))),
    MergeCase("base: cat, ours: dog, theirs: fox = conflict label",
              base: doc(box("a", "cat")), ours: doc(box("a", "dog")), theirs: doc(box("a", "fox")),
              merged: doc(box("a", "dog")), mergedIfSwapped: doc(box("a", "fox")),
              conflicts: [Expected("a", "label", .modifyModify, base: #""cat""#, ours: #""dog""#, theirs: #""fox""#)]),
    MergeCase("base: cat@10, ours: cat@30 (moved), theirs: dog@10 (relabeled) = dog@30",
              base: doc(box("a", "cat")), ours: doc(box("a", "cat", x: 30)), theirs: doc(box("a", "dog")),
              merged: doc(box("a", "dog", x: 30))),
    MergeCase("base: @10, ours: @30, theirs: @30 = @30",
              base: doc(box("a")), ours: doc(box("a", x: 30)), theirs: doc(box("a", x: 30)),
              merged: doc(box("a", x: 30))),
    MergeCase("base: @10, ours: @30, theirs: @40 = conflict geometry",
              base: doc(box("a")), ours: doc(box("a", x: 30)), theirs: doc(box("a", x: 40)),
              merged: doc(box("a", x: 30)), mergedIfSwapped: doc(box("a", x: 40)),
              conflicts: [Expected("a", "geometry", .modifyModify, base: #"{"bbox":[10,10,20,20],"kind":"box"}"#,
                                   ours: #"{"bbox":[30,10,20,20],"kind":"box"}"#, theirs: #"{"bbox":[40,10,20,20],"kind":"box"}"#)]),
    MergeCase("base: @10, ours: rotated 15, theirs: @30 = conflict geometry (rotation is geometry)",
              base: doc(box("a")), ours: doc(box("a", rotation: 15)), theirs: doc(box("a", x: 30)),
              merged: doc(box("a", rotation: 15)), mergedIfSwapped: doc(box("a", x: 30)),
              conflicts: [Expected("a", "geometry", .modifyModify, base: #"{"bbox":[10,10,20,20],"kind":"box"}"#,
                                   ours: #"{"bbox":[10,10,20,20],"kind":"box","rotation":15}"#,
                                   theirs: #"{"bbox":[30,10,20,20],"kind":"box"}"#)]),
    // MARK: attributes, each key alone
    MergeCase("base: {}, ours: occluded=true, theirs: truncated=true = both",
              base: doc(box("a")), ours: doc(box("a", attributes: ["occluded": .bool(true)])),
              theirs: doc(box("a", attributes: ["truncated": .bool(true)])),
              merged: doc(box("a", attributes: ["occluded": .bool(true), "truncated": .bool(true)]))),
    MergeCase("base: {}, ours: color=red, theirs: color=blue = conflict attributes.color (add/add)",
              base: doc(box("a")), ours: doc(box("a", attributes: ["color": .string("red")])),
              theirs: doc(box("a", attributes: ["color": .string("blue")])),
              merged: doc(box("a", attributes: ["color": .string("red")])),
              mergedIfSwapped: doc(box("a", attributes: ["color": .string("blue")])),
              conflicts: [Expected("a", "attributes.color", .addAdd, base: nil, ours: #""red""#, theirs: #""blue""#)]),
    MergeCase("base: occluded=false, ours: removed, theirs: occluded=true = conflict attributes.occluded (delete/modify)",
              base: doc(box("a", attributes: ["occluded": .bool(false)])), ours: doc(box("a")),
              theirs: doc(box("a", attributes: ["occluded": .bool(true)])),
              merged: doc(box("a")), mergedIfSwapped: doc(box("a", attributes: ["occluded": .bool(true)])),
              conflicts: [Expected("a", "attributes.occluded", .deleteModify, base: "false", ours: nil, theirs: "true")]),
    MergeCase("base: occluded=false, ours: removed, theirs: occluded=false = removed",
              base: doc(box("a", attributes: ["occluded": .bool(false)])), ours: doc(box("a")),
              theirs: doc(box("a", attributes: ["occluded": .bool(false)])),
              merged: doc(box("a"))),
    // MARK: the other fields
    MergeCase("base: plain, ours: score+z_order, theirs: group+crowd+source_id = all five",
              base: doc(box("a", score: 0.5)), ours: doc(box("a", score: 0.9, zOrder: 2)),
              theirs: doc(box("a", score: 0.5, group: 3, crowd: true, sourceID: "77")),
              merged: doc(box("a", score: 0.9, group: 3, zOrder: 2, crowd: true, sourceID: "77"))),
    MergeCase("base: s.5 z1 g1 src1, ours: s.6 z2 g2 src2, theirs: s.7 z3 g3 src3 = four conflicts",
              base: doc(box("a", score: 0.5, group: 1, zOrder: 1, sourceID: "1")),
              ours: doc(box("a", score: 0.6, group: 2, zOrder: 2, sourceID: "2")),
              theirs: doc(box("a", score: 0.7, group: 3, zOrder: 3, sourceID: "3")),
              merged: doc(box("a", score: 0.6, group: 2, zOrder: 2, sourceID: "2")),
              mergedIfSwapped: doc(box("a", score: 0.7, group: 3, zOrder: 3, sourceID: "3")),
              conflicts: [Expected("a", "score", .modifyModify, base: "0.5", ours: "0.6", theirs: "0.7"),
                          Expected("a", "z_order", .modifyModify, base: "1", ours: "2", theirs: "3"),
                          Expected("a", "group", .modifyModify, base: "1", ours: "2", theirs: "3"),
                          Expected("a", "source_id", .modifyModify, base: #""1""#, ours: #""2""#, theirs: #""3""#)]),
    MergeCase("base: score .5, ours: no score, theirs: score .7 = conflict score (delete/modify)",
              base: doc(box("a", score: 0.5)), ours: doc(box("a")), theirs: doc(box("a", score: 0.7)),
              merged: doc(box("a")), mergedIfSwapped: doc(box("a", score: 0.7)),
              conflicts: [Expected("a", "score", .deleteModify, base: "0.5", ours: nil, theirs: "0.7")]),
    // MARK: whole annotations
    MergeCase("base: cat, ours: deleted, theirs: dog = conflict delete/modify",
              base: doc(box("a", "cat")), ours: doc(), theirs: doc(box("a", "dog")),
              merged: doc(), mergedIfSwapped: doc(box("a", "dog")),
              conflicts: [Expected("a", nil, .deleteModify, base: catBox, ours: nil, theirs: dogBox)]),
    MergeCase("base: cat, ours: deleted, theirs: cat = deleted",
              base: doc(box("a"), box("b")), ours: doc(box("b")), theirs: doc(box("a"), box("b")),
              merged: doc(box("b"))),
    MergeCase("base: cat, ours: deleted, theirs: deleted = deleted",
              base: doc(box("a"), box("b")), ours: doc(box("b", "dog")), theirs: doc(box("b"), tag("t", "night")),
              merged: doc(box("b", "dog"), tag("t", "night"))),
    MergeCase("base: -, ours: added, theirs: - = added",
              base: doc(box("a")), ours: doc(box("a"), box("n", "dog", x: 200)), theirs: doc(box("a", "fox")),
              merged: doc(box("a", "fox"), box("n", "dog", x: 200))),
    MergeCase("base: -, ours: added b, theirs: added b (identical) = once",
              base: doc(box("a")), ours: doc(box("a"), box("b", "dog")), theirs: doc(box("a"), box("b", "dog")),
              merged: doc(box("a"), box("b", "dog"))),
    MergeCase("base: -, ours: added a=cat, theirs: added a=dog = conflict add/add",
              base: doc(), ours: doc(box("a", "cat")), theirs: doc(box("a", "dog")),
              merged: doc(box("a", "cat")), mergedIfSwapped: doc(box("a", "dog")),
              conflicts: [Expected("a", nil, .addAdd, base: nil, ours: catBox, theirs: dogBox)]),
    // MARK: the same object added twice under different ids
    MergeCase("base: -, ours: b1 cat, theirs: c1 cat IoU 0.95 = b1 (ours) + note",
              base: doc(), ours: doc(box("b1", x: 100, y: 100, w: 100, h: 100)),
              theirs: doc(box("c1", x: 100, y: 100, w: 100, h: 105)),
              merged: doc(box("b1", x: 100, y: 100, w: 100, h: 100)),
              mergedIfSwapped: doc(box("c1", x: 100, y: 100, w: 100, h: 105)), notes: 1),
    MergeCase("base: -, ours: b1 cat, theirs: c1 cat IoU 0.33 = both",
              base: doc(), ours: doc(box("b1", x: 100, y: 100, w: 100, h: 100)),
              theirs: doc(box("c1", x: 150, y: 100, w: 100, h: 100)),
              merged: doc(box("b1", x: 100, y: 100, w: 100, h: 100), box("c1", x: 150, y: 100, w: 100, h: 100))),
    MergeCase("base: -, ours: b1 cat, theirs: c1 dog same box = both (labels differ)",
              base: doc(), ours: doc(box("b1", "cat")), theirs: doc(box("c1", "dog")),
              merged: doc(box("b1", "cat"), box("c1", "dog"))),
    MergeCase("base: -, ours: b1 box, theirs: c1 polygon same rectangle = both (kinds differ)",
              base: doc(), ours: doc(box("b1")),
              theirs: doc(Annotation(id: "c1", label: "cat", shape: .polygon([[10, 10, 30, 10, 30, 30, 10, 30]]))),
              merged: doc(box("b1"), Annotation(id: "c1", label: "cat", shape: .polygon([[10, 10, 30, 10, 30, 30, 10, 30]])))),
    MergeCase("base: -, ours: b1, theirs: c1 IoU 0.8, default threshold 0.9 = both",
              base: doc(), ours: doc(box("b1", x: 100, y: 100, w: 100, h: 100)),
              theirs: doc(box("c1", x: 100, y: 100, w: 100, h: 125)),
              merged: doc(box("b1", x: 100, y: 100, w: 100, h: 100), box("c1", x: 100, y: 100, w: 100, h: 125))),
    MergeCase("base: -, ours: b1, theirs: c1 IoU 0.8, threshold 0.75 = b1 + note",
              base: doc(), ours: doc(box("b1", x: 100, y: 100, w: 100, h: 100)),
              theirs: doc(box("c1", x: 100, y: 100, w: 100, h: 125)),
              merged: doc(box("b1", x: 100, y: 100, w: 100, h: 100)),
              mergedIfSwapped: doc(box("c1", x: 100, y: 100, w: 100, h: 125)), notes: 1,
              options: .init(sameObjectIoU: 0.75)),
    MergeCase("base: -, ours: tag night, theirs: tag night (other id) = one tag + note",
              base: doc(box("a")), ours: doc(box("a"), tag("t1", "night")), theirs: doc(box("a"), tag("t2", "night")),
              merged: doc(box("a"), tag("t1", "night")), mergedIfSwapped: doc(box("a"), tag("t2", "night")), notes: 1),
    // MARK: image record
    MergeCase("image: ours width 800, theirs split train = both",
              base: doc(box("a")), ours: doc(box("a"), image: img(width: 800)), theirs: doc(box("a"), image: img(split: "train")),
              merged: doc(box("a"), image: img(width: 800, split: "train"))),
    MergeCase("image: split train vs val = conflict image.split",
              base: doc(box("a")), ours: doc(box("a"), image: img(split: "train")), theirs: doc(box("a", "dog"), image: img(split: "val")),
              merged: doc(box("a", "dog"), image: img(split: "train")), mergedIfSwapped: doc(box("a", "dog"), image: img(split: "val")),
              conflicts: [Expected(nil, "image.split", .addAdd, base: nil, ours: #""train""#, theirs: #""val""#)]),
    MergeCase("image: height 480, ours 500, theirs 600 = conflict image.height",
              base: doc(box("a")), ours: doc(box("a"), image: img(height: 500)), theirs: doc(box("a"), image: img(height: 600)),
              merged: doc(box("a"), image: img(height: 500)), mergedIfSwapped: doc(box("a"), image: img(height: 600)),
              conflicts: [Expected(nil, "image.height", .modifyModify, base: "480", ours: "500", theirs: "600")]),
    MergeCase("image attributes: ours weather=rain, theirs time=night = both",
              base: doc(), ours: doc(image: img(attributes: ["weather": .string("rain")])),
              theirs: doc(image: img(attributes: ["time": .string("night")])),
              merged: doc(image: img(attributes: ["weather": .string("rain"), "time": .string("night")]))),
    MergeCase("image attributes: weather sun, ours rain, theirs snow = conflict image.attributes.weather",
              base: doc(image: img(attributes: ["weather": .string("sun")])),
              ours: doc(image: img(attributes: ["weather": .string("rain")])),
              theirs: doc(image: img(attributes: ["weather": .string("snow")])),
              merged: doc(image: img(attributes: ["weather": .string("rain")])),
              mergedIfSwapped: doc(image: img(attributes: ["weather": .string("snow")])),
              conflicts: [Expected(nil, "image.attributes.weather", .modifyModify, base: #""sun""#, ours: #""rain""#, theirs: #""snow""#)]),
    // MARK: whole documents
    MergeCase("document: base -, ours added, theirs - = added",
              base: nil, ours: doc(box("a")), theirs: nil, merged: doc(box("a"))),
    MergeCase("document: base present, ours unchanged, theirs deleted = deleted",
              base: doc(box("a")), ours: doc(box("a")), theirs: nil, merged: nil),
    MergeCase("document: deleted on both = deleted",
              base: doc(box("a")), ours: nil, theirs: nil, merged: nil),
    MergeCase("document: nothing anywhere = nothing",
              base: nil, ours: nil, theirs: nil, merged: nil),
    MergeCase("document: ours deleted, theirs relabeled = conflict delete/modify (image level)",
              base: doc(box("a", "cat")), ours: nil, theirs: doc(box("a", "dog")),
              merged: nil, mergedIfSwapped: doc(box("a", "dog")),
              conflicts: [Expected(nil, nil, .deleteModify, base: baseDoc, ours: nil, theirs: dogDoc)]),
    MergeCase("document: added on both, identical = once",
              base: nil, ours: doc(box("a")), theirs: doc(box("a")), merged: doc(box("a"))),
    MergeCase("document: added on both with different annotations = union",
              base: nil, ours: doc(box("a")), theirs: doc(box("b", x: 300)), merged: doc(box("a"), box("b", x: 300))),
    MergeCase("document: added on both, heights 480 vs 500 = conflict image.height (add/add)",
              base: nil, ours: doc(box("a")), theirs: doc(box("a"), image: img(height: 500)),
              merged: doc(box("a")), mergedIfSwapped: doc(box("a"), image: img(height: 500)),
              conflicts: [Expected(nil, "image.height", .addAdd, base: nil, ours: "480", theirs: "500")]),
    // MARK: several rules at once, conflicts in a stable order
    MergeCase("mixed: a moved/relabeled+attr, b deleted, c label conflict, image split conflict",
              base: doc(box("a"), box("b"), box("c")),
              ours: doc(box("a", x: 50), box("b"), box("c", "dog"), image: img(split: "train")),
              theirs: doc(box("a", "fox", attributes: ["occluded": .bool(true)]), box("c", "cow"), image: img(split: "val")),
              merged: doc(box("a", "fox", x: 50, attributes: ["occluded": .bool(true)]), box("c", "dog"), image: img(split: "train")),
              mergedIfSwapped: doc(box("a", "fox", x: 50, attributes: ["occluded": .bool(true)]), box("c", "cow"), image: img(split: "val")),
              conflicts: [Expected(nil, "image.split", .addAdd, base: nil, ours: #""train""#, theirs: #""val""#),
                          Expected("c", "label", .modifyModify, base: #""cat""#, ours: #""dog""#, theirs: #""cow""#)]),
  ]
}

@Test(arguments: MergeCase.all)
func documentMerge(_ c: MergeCase) throws {
  let outcome = try mergeDocuments(base: c.base, ours: c.ours, theirs: c.theirs, path: P, options: c.options)
  #expect(outcome.merged == c.merged)
  #expect(outcome.conflicts == c.conflicts.map { $0.conflict() })
  #expect(outcome.notes.count == c.notes)
  #expect(outcome.settled.isEmpty)
}

/// Swapping sides finds the same conflicts with ours and theirs values exchanged
/// (gitoxide runs each baseline "and its reversed version").
@Test(arguments: MergeCase.all)
func documentMergeSwapped(_ c: MergeCase) throws {
  let outcome = try mergeDocuments(base: c.base, ours: c.theirs, theirs: c.ours, path: P, options: c.options)
  let expected: LabelDocument? = switch c.mergedIfSwapped { case .some(let d): d; case .none: c.merged }
  #expect(outcome.merged == expected)
  #expect(outcome.conflicts == c.conflicts.map { $0.conflict().mirrored })
  #expect(outcome.notes.count == c.notes)
}

@Test func sameObjectNoteNamesBothIDs() throws {
  let outcome = try mergeDocuments(base: doc(), ours: doc(box("b1", x: 100, y: 100, w: 100, h: 100)),
                                   theirs: doc(box("c1", x: 100, y: 100, w: 100, h: 105)), path: P)
  #expect(outcome.notes == ["image a.png: annotations b1 (ours) and c1 (theirs) were both added for the same cat (box IoU 0.952); kept b1"])
}

@Test func sameObjectPairsAreOneToOne() throws {
  // Two of ours overlap one of theirs: only the best pair is merged, the other stays.
  let ours = doc(box("o1", x: 100, y: 100, w: 100, h: 100), box("o2", x: 100, y: 100, w: 100, h: 104))
  let theirs = doc(box("t1", x: 100, y: 100, w: 100, h: 101))
  let outcome = try mergeDocuments(base: doc(), ours: ours, theirs: theirs, path: P)
  #expect(outcome.merged?.annotations.map(\.id) == ["o1", "o2"])
  #expect(outcome.notes.count == 1)
  #expect(outcome.notes.first?.contains("o1 (ours) and t1 (theirs)") == true)
}

@Test func thresholdOutsideZeroOneIsRejected() {
  #expect(throws: MergeError.invalidOption("sameObjectIoU must be within 0...1, got 1.5")) {
    try mergeDocuments(base: nil, ours: nil, theirs: nil, path: P, options: .init(sameObjectIoU: 1.5))
  }
}

@Test func conflictDescriptionNamesItemAndBothValues() throws {
  let outcome = try mergeDocuments(base: doc(box("a7", "cat")), ours: doc(box("a7", "dog")), theirs: doc(box("a7", "fox")), path: "000123.jpg")
  #expect(outcome.conflicts.map(\.description) == [#"image 000123.jpg: annotation a7 label: "dog" (ours) vs "fox" (theirs) [modify/modify]"#])
}
