import AnnotModel
import Testing
@testable import AnnotMerge

/// a: label conflict (dog vs fox); b: geometry conflict (@30 vs @40); c: moved by ours only.
private let base = doc(box("a"), box("b"), box("c"))
private let ours = doc(box("a", "dog"), box("b", x: 30), box("c", y: 90))
private let theirs = doc(box("a", "fox"), box("b", x: 40), box("c"))

@Test func resolveOneAnnotationLeavesTheOthersOpen() throws {
  let merge = try mergeDocuments(base: base, ours: ours, theirs: theirs, path: P)
  #expect(merge.merged == doc(box("a", "dog"), box("b", x: 30), box("c", y: 90)))
  #expect(merge.conflicts.map(\.annotationID) == ["a", "b"])

  let first = try resolve(merge.conflicts, in: merge.merged, choice: .theirs, forAnnotation: "a")
  #expect(first.document == doc(box("a", "fox"), box("b", x: 30), box("c", y: 90)))
  #expect(first.resolved.map(\.annotationID) == ["a"])
  #expect(first.remaining.map(\.field) == ["geometry"])

  // The earlier choice for a survives the next resolution.
  let second = try resolve(first.remaining, in: first.document, choice: .theirs)
  #expect(second.document == doc(box("a", "fox"), box("b", x: 40), box("c", y: 90)))
  #expect(second.remaining.isEmpty)
}

@Test func resolveBaseUndoesBothChanges() throws {
  let merge = try mergeDocuments(base: base, ours: ours, theirs: theirs, path: P)
  let r = try resolve(merge.conflicts, in: merge.merged, choice: .base)
  #expect(r.document == doc(box("a"), box("b"), box("c", y: 90)))
}

@Test func resolveFromTheThreeInputsMatchesResolveFromConflicts() throws {
  let merge = try mergeDocuments(base: base, ours: ours, theirs: theirs, path: P)
  let viaInputs = try resolve(base: base, ours: ours, theirs: theirs, merged: merge.merged, path: P, choice: .theirs, forAnnotation: "b")
  #expect(viaInputs.document == doc(box("a", "dog"), box("b", x: 40), box("c", y: 90)))
  #expect(viaInputs.remaining.map(\.annotationID) == ["a"])
}

@Test func resolveDeleteModifyRestoresOrDeletes() throws {
  let merge = try mergeDocuments(base: doc(box("a"), box("z")), ours: doc(box("z")), theirs: doc(box("a", "dog", x: 5), box("z")), path: P)
  #expect(merge.merged == doc(box("z")))
  #expect(try resolve(merge.conflicts, in: merge.merged, choice: .theirs).document == doc(box("a", "dog", x: 5), box("z")))
  #expect(try resolve(merge.conflicts, in: merge.merged, choice: .ours).document == doc(box("z")))
  #expect(try resolve(merge.conflicts, in: merge.merged, choice: .base).document == doc(box("a"), box("z")))
}

@Test func resolveDocumentLevelConflict() throws {
  let merge = try mergeDocuments(base: doc(box("a")), ours: doc(box("a", "dog")), theirs: nil, path: P)
  #expect(merge.conflicts.count == 1)
  #expect(try resolve(merge.conflicts, in: merge.merged, choice: .theirs).document == nil)
  let undone = try mergeDocuments(base: doc(box("a")), ours: nil, theirs: doc(box("a", "dog")), path: P)
  #expect(try resolve(undone.conflicts, in: undone.merged, choice: .theirs).document == doc(box("a", "dog")))
}

@Test func resolveImageFieldAndAddAdd() throws {
  let merge = try mergeDocuments(base: doc(), ours: doc(box("n", "cat"), image: img(split: "train")),
                                 theirs: doc(box("n", "dog"), image: img(split: "val")), path: P)
  #expect(merge.conflicts.map(\.kind) == [.addAdd, .addAdd])
  #expect(try resolve(merge.conflicts, in: merge.merged, choice: .theirs).document == doc(box("n", "dog"), image: img(split: "val")))
}

@Test func resolveAfterTheAnnotationWasRemovedByHandFails() throws {
  let merge = try mergeDocuments(base: base, ours: ours, theirs: theirs, path: P)
  var edited = merge.merged!
  edited.annotations.removeAll { $0.id == "b" }
  #expect(throws: MergeError.unresolvable(path: P, annotationID: "b", field: "geometry", reason: "the annotation is not in the merged document")) {
    try resolve(merge.conflicts, in: edited, choice: .theirs, forAnnotation: "b")
  }
}

@Test func strategyTheirsSettlesEveryConflictAndKeepsCleanChanges() throws {
  let merge = try mergeDocuments(base: base, ours: ours, theirs: theirs, path: P, options: .init(strategy: .theirs))
  #expect(merge.conflicts.isEmpty)
  #expect(merge.settled.map(\.annotationID) == ["a", "b"])
  #expect(merge.merged == doc(box("a", "fox"), box("b", x: 40), box("c", y: 90)))
  #expect(merge.notes == ["image a.png: settled 2 conflict(s) with -X theirs"])
}

@Test func strategyOursKeepsOurValues() throws {
  let merge = try mergeDocuments(base: base, ours: ours, theirs: theirs, path: P, options: .init(strategy: .ours))
  #expect(merge.conflicts.isEmpty)
  #expect(merge.merged == doc(box("a", "dog"), box("b", x: 30), box("c", y: 90)))
}

@Test func schemaResolveByField() throws {
  let merge = try mergeManifests(base: schema(cls(1, "car")), ours: schema(cls(1, "auto")), theirs: schema(cls(1, "vehicle", color: "#123456")))
  #expect(merge.merged == schema(cls(1, "auto", color: "#123456")))
  #expect(try resolve(merge.conflicts, inManifest: merge.merged, choice: .theirs) == schema(cls(1, "vehicle", color: "#123456")))
}

// MARK: - Cherry-pick and revert use the same merge with other bases

@Test func cherryPickAppliesOnlyThePickedChange() throws {
  // C^: cat@10; C relabels to dog. HEAD has moved the box meanwhile.
  let out = try cherryPickDocument(picked: doc(box("a", "dog")), pickedParent: doc(box("a", "cat")),
                                   onto: doc(box("a", "cat", x: 50)), path: P)
  #expect(out.merged == doc(box("a", "dog", x: 50)))
  #expect(out.conflicts.isEmpty)
}

@Test func revertUndoesOnlyTheRevertedChange() throws {
  // C moved the box (C^: @10, C: @50); HEAD later relabeled it. Revert moves it back, keeps the label.
  let out = try revertDocument(reverted: doc(box("a", x: 50)), revertedParent: doc(box("a")),
                               on: doc(box("a", "dog", x: 50)), path: P)
  #expect(out.merged == doc(box("a", "dog")))
  #expect(out.conflicts.isEmpty)
}

@Test func mergeSidesNameTheBases() {
  let pick = MergeSides.cherryPick(picked: "C", pickedParent: "C^", onto: "HEAD")
  #expect([pick.base, pick.ours, pick.theirs] == ["C^", "HEAD", "C"])
  let revert = MergeSides.revert(reverted: "C", revertedParent: "C^", on: "HEAD")
  #expect([revert.base, revert.ours, revert.theirs] == ["C", "HEAD", "C^"])
}
