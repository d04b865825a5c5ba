import Foundation
import Testing
import AnnotModel
import AnnotTestSupport

/// AnnotationMatcher: similarity per shape kind, one-to-one pairing (unchanged first, then a global assignment), reattachIDs.
/// Expected values are worked out by hand in the comments.
@Suite struct MatchingTests {
  // MARK: similarity

  @Test func boxIoU() {
    let a = F.box("a", "car", 0, 0, 10, 10)
    // Overlap 5x10 = 50, union 100 + 100 - 50 = 150.
    #expect(AnnotationMatcher.similarity(a, F.box("b", "car", 5, 0, 10, 10)) == 50.0 / 150.0)
    // Overlap 9x10 = 90, union 110.
    #expect(AnnotationMatcher.similarity(a, F.box("b", "car", 1, 0, 10, 10)) == 90.0 / 110.0)
    // Rotation is ignored.
    #expect(AnnotationMatcher.similarity(a, F.box("b", "car", 0, 0, 10, 10, rotation: 30)) == 1)
  }

  @Test func differentKindsNeverCompare() {
    let box = F.box("a", "car", 0, 0, 10, 10)
    let poly = F.polygon("b", "car", [F.square(0, 0, 10)])
    #expect(AnnotationMatcher.similarity(box, poly) == nil)
    let m = AnnotationMatcher.match([box], [poly])
    #expect(m.pairs.isEmpty && m.unmatchedOld == [0] && m.unmatchedNew == [0])
  }

  @Test func polygonIoUByRaster() throws {
    let a = F.polygon("a", "x", [F.square(0, 0, 10)])
    // Shifted by half: exactly 1/3.
    let s1 = try #require(AnnotationMatcher.similarity(a, F.polygon("b", "x", [F.square(5, 0, 10)])))
    #expect(abs(s1 - 1.0 / 3.0) < 0.01)
    // Right triangle with legs 10 inside the square: area 50 of 100.
    let s2 = try #require(AnnotationMatcher.similarity(a, F.polygon("b", "x", [[0, 0, 10, 0, 0, 10]])))
    #expect(abs(s2 - 0.5) < 0.01)
    // Two parts are unioned: the two halves of the square are the square.
    let halves = F.polygon("b", "x", [[0, 0, 5, 0, 5, 10, 0, 10], [5, 0, 10, 0, 10, 10, 5, 10]])
    let s3 = try #require(AnnotationMatcher.similarity(a, halves))
    #expect(abs(s3 - 1) < 0.01)
    #expect(AnnotationMatcher.similarity(a, a) == 1)
  }

  @Test func ellipseIoU() throws {
    let big = Annotation(id: "a", label: "x", shape: .ellipse(cx: 50, cy: 50, rx: 20, ry: 20, rotation: 0))
    let small = Annotation(id: "b", label: "x", shape: .ellipse(cx: 50, cy: 50, rx: 10, ry: 10, rotation: 0))
    // Concentric circles: (10/20)^2.
    let s = try #require(AnnotationMatcher.similarity(big, small))
    #expect(abs(s - 0.25) < 0.01)
    // A 90° rotation of an ellipse equals swapping its radii.
    let e1 = Annotation(id: "a", label: "x", shape: .ellipse(cx: 50, cy: 50, rx: 30, ry: 10, rotation: 90))
    let e2 = Annotation(id: "b", label: "x", shape: .ellipse(cx: 50, cy: 50, rx: 10, ry: 30, rotation: 0))
    #expect(abs(try #require(AnnotationMatcher.similarity(e1, e2)) - 1) < 0.01)
  }

  @Test func maskIoU() {
    // 4x4 masks, column-major: a = columns 0-1, b = columns 1-2. Overlap 4, union 12.
    let a = Annotation(id: "a", label: "x", shape: F.mask(4, 4, [0, 8, 8]))
    let b = Annotation(id: "b", label: "x", shape: F.mask(4, 4, [4, 8, 4]))
    #expect(AnnotationMatcher.similarity(a, b) == 4.0 / 12.0)
    let other = Annotation(id: "c", label: "x", shape: F.mask(5, 4, [0, 20]))
    #expect(AnnotationMatcher.similarity(a, other) == 0)
  }

  @Test func keypointOKS() throws {
    let a = Annotation(id: "a", label: "p", shape: .keypoints([10, 10, 2, 20, 20, 2]))
    let b = Annotation(id: "b", label: "p", shape: .keypoints([13, 14, 2, 23, 24, 2]))
    // Both boxes are 10x10, s² = 100; d² = 9 + 16 = 25; k = 2·0.07.
    let expected = Foundation.exp(-25.0 / (2 * 100 * 0.14 * 0.14))
    #expect(abs(try #require(AnnotationMatcher.similarity(a, b)) - expected) < 1e-12)
    // The second keypoint is invisible on one side: it counts 0 out of 2.
    let c = Annotation(id: "c", label: "p", shape: .keypoints([10, 10, 2, 0, 0, 0]))
    // c's box is a single point (area 0): s² = mean(100, 0) = 50; d = 0 for the first point.
    #expect(try #require(AnnotationMatcher.similarity(a, c)) == 0.5)
    // Different keypoint counts score 0.
    #expect(AnnotationMatcher.similarity(a, Annotation(id: "d", label: "p", shape: .keypoints([10, 10, 2]))) == 0)
  }

  @Test func linesPointsAndTags() {
    let l = Annotation(id: "a", label: "lane", shape: .polyline([0, 0, 10, 0]))
    #expect(AnnotationMatcher.similarity(l, l) == 1)
    let p = Annotation(id: "a", label: "pt", shape: .points([5, 5]))
    #expect(AnnotationMatcher.similarity(p, p) == 1)
    // Padded 1x1 boxes shifted by 0.5 px: overlap 0.5, union 1.5.
    let q = Annotation(id: "b", label: "pt", shape: .points([5.5, 5]))
    #expect(AnnotationMatcher.similarity(p, q) == 0.5 / 1.5)
    let t1 = Annotation(id: "a", label: "night", shape: .tag), t2 = Annotation(id: "b", label: "day", shape: .tag)
    #expect(AnnotationMatcher.similarity(t1, t1) == 1)
    #expect(AnnotationMatcher.similarity(t1, t2) == 0)
  }

  // MARK: match

  @Test func oneToOne() {
    let old = [F.box("A", "car", 0, 0, 10, 10), F.box("B", "car", 20, 0, 10, 10)]
    let new = [F.box("Z", "car", 100, 100, 10, 10), F.box("Y", "car", 21, 0, 10, 10),
               F.box("X", "car", 1, 0, 10, 10), F.box("W", "car", 0, 0, 10, 10)]
    let m = AnnotationMatcher.match(old, new)
    // A pairs with its exact copy W (1.0), not X (0.82); B with Y; X and Z stay unmatched.
    #expect(m.pairs.map { [$0.oldIndex, $0.newIndex] } == [[0, 3], [1, 1]])
    #expect(m.pairs.map(\.similarity) == [1, 90.0 / 110.0])
    #expect(m.unmatchedOld == [])
    #expect(m.unmatchedNew == [0, 2])
  }

  @Test func thresholdOption() {
    let old = [F.box("A", "car", 0, 0, 10, 10)]
    let new = [F.box("B", "car", 5, 0, 10, 10)]   // IoU 1/3
    #expect(AnnotationMatcher.match(old, new).pairs.isEmpty)
    let m = AnnotationMatcher.match(old, new, options: .init(threshold: 0.3))
    #expect(m.pairs.count == 1)
  }

  @Test func tiesPreferTheSameLabelAndAnotherLabelStillMatches() {
    let old = [F.box("A", "car", 0, 0, 10, 10)]
    let new = [F.box("X", "truck", 0, 0, 10, 10), F.box("Y", "car", 0, 0, 10, 10)]
    #expect(AnnotationMatcher.match(old, new).pairs.map(\.newIndex) == [1])
    // With only the other label on offer it is still a match: a relabel.
    #expect(AnnotationMatcher.match(old, [new[0]]).pairs.map(\.newIndex) == [0])
  }

  @Test func deterministicUnderInputOrder() {
    let old = [F.box("A", "car", 0, 0, 10, 10), F.box("B", "car", 0, 0, 10, 10)]
    let new = [F.box("X", "car", 0, 0, 10, 10), F.box("Y", "car", 0, 0, 10, 10)]
    func ids(_ o: [Annotation], _ n: [Annotation]) -> [String] {
      AnnotationMatcher.match(o, n).pairs.map { "\(o[$0.oldIndex].id)-\(n[$0.newIndex].id)" }.sorted()
    }
    // All four pairs tie: broken by old id, then new id.
    #expect(ids(old, new) == ["A-X", "B-Y"])
    #expect(ids(old.reversed(), new.reversed()) == ["A-X", "B-Y"])
  }

  // MARK: reattachIDs

  @Test func reattachTakesParentIDsAndRenamesCollisions() {
    let parent = F.doc([F.box("p1", "car", 0, 0, 10, 10), F.box("p2", "person", 50, 50, 20, 40), F.box("p3", "dog", 200, 200, 10, 10)])
    let imported = F.doc([
      F.box("i1", "car", 1, 0, 10, 10),          // IoU 0.82 with p1
      F.box("i2", "truck", 50, 50, 20, 40),      // same box as p2, another label: a relabel
      F.box("p3", "cat", 400, 400, 10, 10),      // far from everything, but its id collides with p3
      F.box("i4", "car", 300, 0, 10, 10),        // new, no collision
    ])
    let out = AnnotationMatcher.reattachIDs(imported: imported, parent: parent)
    // Two cars: checked by position below; the other labels are unique.
    let byLabel = Dictionary(uniqueKeysWithValues: out.annotations.filter { $0.label != "car" }.map { ($0.label, $0.id) })
    let cars = out.annotations.filter { $0.label == "car" }.sorted { $0.boundingBox!.x < $1.boundingBox!.x }
    #expect(cars.map(\.id) == ["p1", "i4"])
    #expect(byLabel["truck"] == "p2")
    let fresh = AnnotationID.make(imagePath: "train/0001.png", seed: "reattach\u{0}p3\u{0}1")
    #expect(byLabel["cat"] == fresh)
    #expect(fresh.count == 12 && !["p1", "p2", "p3", "i4"].contains(fresh))
    #expect(Set(out.annotations.map(\.id)).count == 4)
    // Geometry and labels are the imported ones.
    #expect(out.annotations.first { $0.id == "p1" }?.shape == .box(Box(x: 1, y: 0, w: 10, h: 10), rotation: 0))
  }

  @Test func reattachIsIdempotentAndWithoutParentIsIdentity() {
    let parent = F.doc([F.box("p1", "car", 0, 0, 10, 10), F.box("p2", "car", 40, 0, 10, 10)])
    #expect(AnnotationMatcher.reattachIDs(imported: parent, parent: parent) == parent)
    let imported = F.doc([F.box("x", "car", 0, 0, 10, 10)])
    #expect(AnnotationMatcher.reattachIDs(imported: imported, parent: nil) == imported)
    // Importing again against the result changes nothing.
    let once = AnnotationMatcher.reattachIDs(imported: F.doc([F.box("q1", "car", 1, 0, 10, 10), F.box("q2", "car", 90, 0, 10, 10)]), parent: parent)
    let twice = AnnotationMatcher.reattachIDs(imported: once, parent: once)
    #expect(once == twice)
    #expect(once.annotations.map(\.id).contains("p1"))
  }

  @Test func sourceIDBreaksNearTiesOnlyAboveThreshold() {
    var p1 = F.box("p1", "car", 0, 0, 10, 10); p1.sourceID = "7"
    var p2 = F.box("p2", "car", 1, 0, 10, 10); p2.sourceID = "8"
    // IoU 0.905 with both: the source id decides.
    var i = F.box("i", "car", 0.5, 0, 10, 10); i.sourceID = "8"
    #expect(AnnotationMatcher.reattachIDs(imported: F.doc([i]), parent: F.doc([p1, p2])).annotations.map(\.id) == ["p2"])
    // IoU 0.905 with p1, 0.739 with p3: a clearly better shape outweighs the source id.
    var p3 = F.box("p3", "car", 2, 0, 10, 10); p3.sourceID = "8"
    #expect(AnnotationMatcher.reattachIDs(imported: F.doc([i]), parent: F.doc([p1, p3])).annotations.map(\.id) == ["p1"])
    // Same source id, but far away: no match, keeps its id.
    var far = F.box("i", "car", 300, 0, 10, 10); far.sourceID = "7"
    #expect(AnnotationMatcher.reattachIDs(imported: F.doc([far]), parent: F.doc([p1, p2])).annotations.map(\.id) == ["i"])
  }

  /// A tool renumbered: box B now has the number box A had, and A has B's. Both keep their ids,
  /// untouched (paired as unchanged copies) or edited (the global assignment outweighs the ids).
  @Test func renumberedSourceIDsDoNotSwapOverlappingBoxes() {
    var a = F.box("A", "car", 0, 0, 10, 10); a.sourceID = "1"
    var b = F.box("B", "car", 2, 0, 10, 10); b.sourceID = "2"   // IoU 0.67 with A
    var a2 = a, b2 = b
    (a2.id, a2.sourceID, b2.id, b2.sourceID) = ("n2", "2", "n1", "1")
    let untouched = AnnotationMatcher.reattachIDs(imported: F.doc([a2, b2]), parent: F.doc([a, b]))
    #expect(untouched == F.doc([a, b].map { var x = $0; x.sourceID = $0.id == "A" ? "2" : "1"; return x }))
    // Both edited (a score each), so neither is an unchanged copy: geometry still wins.
    a2.score = 0.9; b2.score = 0.8
    let edited = AnnotationMatcher.reattachIDs(imported: F.doc([a2, b2]), parent: F.doc([a, b]))
    #expect(edited.annotations.map { "\($0.id):\($0.score!)" } == ["A:0.9", "B:0.8"])
  }

  /// An unchanged annotation keeps its partner even when pairing it elsewhere would make more pairs.
  @Test func unchangedAnnotationIsPairedFirst() {
    let old = [F.box("A", "car", 0, 0, 10, 10), F.box("X", "car", -1, 0, 10, 10)]   // X: deleted
    let new = [F.box("a", "car", 0, 0, 10, 10), F.box("y", "car", 1, 0, 10, 10)]    // y: added
    // Maximising the number of pairs would give X–a and A–y (0.82 each); A–a comes first.
    let m = AnnotationMatcher.match(old, new)
    #expect(m.pairs.map { [$0.oldIndex, $0.newIndex] } == [[0, 0], [1, 1]])
  }

  /// The exact assignment finds the best total where greedy takes the best pair first and strands
  /// the other annotation; `exactAssignmentLimit: 0` forces the greedy fallback.
  @Test func globalAssignmentBeatsGreedy() {
    let old = [F.box("A", "car", 0, 0, 10, 10), F.box("B", "car", 2, -1, 10, 10)]
    let new = [F.box("X", "car", 1, 0, 10, 10), F.box("Y", "car", 0, 2, 10, 10)]
    // A–X 0.82, A–Y 0.67, B–X 0.68, B–Y 0.39 (below threshold).
    let exact = AnnotationMatcher.match(old, new)
    #expect(exact.pairs.map { [$0.oldIndex, $0.newIndex] } == [[0, 1], [1, 0]])
    let greedy = AnnotationMatcher.match(old, new, options: .init(exactAssignmentLimit: 0))
    #expect(greedy.pairs.map { [$0.oldIndex, $0.newIndex] } == [[0, 0]])
    #expect(greedy.unmatchedOld == [1] && greedy.unmatchedNew == [1])
    // The same pairs whatever the input order.
    let reversed = AnnotationMatcher.match(old.reversed(), new.reversed())
    #expect(reversed.pairs.map { [$0.oldIndex, $0.newIndex] } == [[0, 1], [1, 0]])
  }

  /// A crowd of 60 boxes in a row, each shifted by 1 px: one connected group, solved exactly or
  /// (above the limit) greedily, and in both cases every box pairs with its shifted self.
  @Test func largeGroupsFallBackToGreedy() {
    let old = (0..<60).map { F.box("o\($0)", "car", Double($0) * 3, 0, 10, 10) }
    let new = (0..<60).map { F.box("n\($0)", "car", Double($0) * 3 + 1, 0, 10, 10) }
    for limit in [1 << 24, 1000] {
      let m = AnnotationMatcher.match(old, new, options: .init(exactAssignmentLimit: limit))
      #expect(m.pairs.allSatisfy { $0.oldIndex == $0.newIndex }, "limit \(limit)")
      #expect(m.pairs.count == 60)
    }
  }
}
