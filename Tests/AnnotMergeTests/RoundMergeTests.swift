import AnnotModel
import Testing
@testable import AnnotMerge

/// 1000 images, three boxes each; box "-a" is the one the rounds edit.
private func baseRound() -> [String: LabelDocument] {
  var docs: [String: LabelDocument] = [:]
  for i in 0..<1000 {
    let path = "img/\(i).png"
    docs[path] = LabelDocument(image: ImageRecord(path: path, width: 640, height: 480, mediaType: "image/png"), annotations: [
      box("\(i)-a", "car", x: 10, y: 10), box("\(i)-b", "car", x: 100, y: 10), box("\(i)-c", "person", x: 200, y: 10),
    ])
  }
  return docs
}

private func edit(_ docs: [String: LabelDocument], _ indices: Range<Int>, _ change: (inout Annotation) -> Void) -> [String: LabelDocument] {
  var out = docs
  for i in indices {
    let path = "img/\(i).png"
    out[path]!.annotations = out[path]!.annotations.map { a in
      guard a.id == "\(i)-a" else { return a }
      var a = a
      change(&a)
      return a
    }
  }
  return out
}

private func mergeAll(base: [String: LabelDocument], ours: [String: LabelDocument], theirs: [String: LabelDocument])
  throws -> (merged: [String: LabelDocument], conflicts: [LabelConflict]) {
  var merged: [String: LabelDocument] = [:]
  var conflicts: [LabelConflict] = []
  for path in Set(base.keys).union(ours.keys).union(theirs.keys).sorted() {
    let out = try mergeDocuments(base: base[path], ours: ours[path], theirs: theirs[path], path: path)
    merged[path] = out.merged
    conflicts += out.conflicts
  }
  return (merged, conflicts)
}

private func move(_ a: inout Annotation) { a.shape = .box(Box(x: 15, y: 12, w: 20, h: 20), rotation: 0) }

@Test func disjointRoundsApplyAllHundredChanges() throws {
  let base = baseRound()
  let sideA = edit(base, 0..<50, move)                     // 50 boxes moved
  let sideB = edit(base, 40..<90) { $0.label = "truck" }   // 50 relabeled, 40..<50 also moved by A
  let (merged, conflicts) = try mergeAll(base: base, ours: sideA, theirs: sideB)
  #expect(conflicts.isEmpty)

  // Expected, written without the merge: every box as in base, plus each side's edit.
  var movedCount = 0, relabeledCount = 0
  for i in 0..<1000 {
    let a = try #require(merged["img/\(i).png"]?.annotation(id: "\(i)-a"))
    let moved = (0..<50).contains(i), relabeled = (40..<90).contains(i)
    #expect(a.shape == .box(Box(x: moved ? 15 : 10, y: moved ? 12 : 10, w: 20, h: 20), rotation: 0))
    #expect(a.label == (relabeled ? "truck" : "car"))
    if a.shape != base["img/\(i).png"]!.annotation(id: "\(i)-a")!.shape { movedCount += 1 }
    if a.label != "car" { relabeledCount += 1 }
    #expect(merged["img/\(i).png"]?.annotations.count == 3)
  }
  #expect(movedCount + relabeledCount == 100)
  // The same merge in the other direction gives the same dataset.
  let swapped = try mergeAll(base: base, ours: sideB, theirs: sideA)
  #expect(swapped.conflicts.isEmpty)
  #expect(swapped.merged == merged)
}

@Test func competingRelabelsGiveExactlyTenConflicts() throws {
  let base = baseRound()
  let sideC = edit(base, 0..<10) { $0.label = "truck" }
  let sideD = edit(base, 0..<10) { $0.label = "bus" }
  let (merged, conflicts) = try mergeAll(base: base, ours: sideC, theirs: sideD)
  #expect(conflicts.count == 10)
  #expect(Set(conflicts.map { "\($0.path) \($0.annotationID ?? "") \($0.field ?? "") \($0.kind.rawValue)" })
          == Set((0..<10).map { "img/\($0).png \($0)-a label modify/modify" }))
  #expect(conflicts.allSatisfy { $0.base == .string("car") && $0.ours == .string("truck") && $0.theirs == .string("bus") })
  #expect((0..<10).allSatisfy { merged["img/\($0).png"]?.annotation(id: "\($0)-a")?.label == "truck" })
}
