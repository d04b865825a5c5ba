import Testing
import AnnotModel
import AnnotTestSupport
@testable import AnnotDiff

/// A generated labeling round: a seeded generator applies N random edits to a set of
/// documents and records them; the diff must report exactly those edits, no more, no fewer.
///
/// To add an edit kind: add a case to `Edit`, apply it in `apply`, and record what the diff
/// should report in `Expected`.
@Suite struct GeneratedRoundTests {
  static let classes = ["car", "truck", "person", "bike", "dog"]

  /// What the diff should report for one annotation.
  struct Expected: Equatable {
    var status: AnnotationChange.Status = .modified
    var kinds: Set<ChangeKind> = []
    var moved: AnnotationChange.Offset?
    var resized: AnnotationChange.Scale?
    var relabeled: AnnotationChange.Relabel?
    var attributes: [AttributeChange] = []
    var score: AnnotationChange.ScoreChange?
    var fields: [String] = []
  }

  /// Starting documents: boxes and pentagons with integer coordinates, a colour attribute and a score.
  static func baseDocuments(_ rng: inout SeededRNG, images: Int, perImage: Int) -> [LabelDocument] {
    (0..<images).map { i in
      let anns: [Annotation] = (0..<perImage).map { k in
        let x = Double(Int.random(in: 0...500, using: &rng)), y = Double(Int.random(in: 0...400, using: &rng))
        let w = Double(2 * Int.random(in: 5...60, using: &rng)), h = Double(2 * Int.random(in: 5...60, using: &rng))
        let shape: Shape = k % 2 == 0 ? .box(Box(x: x, y: y, w: w, h: h), rotation: 0)
          : .polygon([[x, y, x + w, y, x + w, y + h, x + w / 2, y + h, x, y + h]])
        return Annotation(id: "img\(i)-a\(k)", label: classes[Int.random(in: 0..<classes.count, using: &rng)], shape: shape,
                          attributes: ["color": .string("red")], score: 0.5)
      }
      return F.doc("round/\(i).png", anns)
    }
  }

  enum Edit: CaseIterable { case move, resize, reshape, relabel, attribute, score, zOrder, remove, add }

  /// Applies `count` random edits; returns the edited documents and the expected changes by image path and id.
  static func apply(_ count: Int, to docs: [LabelDocument], _ rng: inout SeededRNG)
    -> (docs: [LabelDocument], expected: [String: [String: Expected]]) {
    var docs = docs
    var expected: [String: [String: Expected]] = [:]
    var added = 0
    var applied = 0
    while applied < count {
      let d = Int.random(in: 0..<docs.count, using: &rng)
      let path = docs[d].image.path
      let edit = Edit.allCases.randomElement(using: &rng)!
      if edit == .add {
        added += 1
        let id = "new-\(added)"
        let x = Double(Int.random(in: 0...500, using: &rng))
        let a = F.box(id, classes[Int.random(in: 0..<classes.count, using: &rng)], x, 10, 20, 20)
        docs[d] = LabelDocument(image: docs[d].image, annotations: docs[d].annotations + [a])
        expected[path, default: [:]][id] = Expected(status: .added, kinds: [.added])
        applied += 1
        continue
      }
      // Only original annotations are edited, each edit kind at most once per annotation.
      let originals = docs[d].annotations.indices.filter { !docs[d].annotations[$0].id.hasPrefix("new-") }
      guard let k = originals.randomElement(using: &rng) else { continue }
      var a = docs[d].annotations[k]
      var e = expected[path]?[a.id] ?? Expected()
      let kind: ChangeKind = switch edit {
      case .move: .moved
      case .resize: .resized
      case .reshape: .reshaped
      case .relabel: .relabeled
      case .attribute: .attributes
      case .score: .score
      case .zOrder: .other
      case .remove: .removed
      case .add: .added
      }
      if e.kinds.contains(kind) || e.status == .removed { continue }
      // Keep one original annotation in each document so ids stay shared (no geometry fallback).
      if edit == .remove && originals.count == 1 { continue }
      switch edit {
      case .move:
        let dx = Double(Int.random(in: -20...20, using: &rng)), dy = Double(Int.random(in: 1...20, using: &rng))
        a.shape = transform(a.shape) { x, y, b in (x + dx, y + dy) }
        e.moved = .init(dx: dx, dy: dy)
      case .resize:
        let sx = [0.5, 1.5, 2].randomElement(using: &rng)!, sy = [0.5, 1.5, 2].randomElement(using: &rng)!
        a.shape = transform(a.shape) { x, y, b in (b.x + (x - b.x) * sx, b.y + (y - b.y) * sy) }
        e.resized = .init(sx: sx, sy: sy)
      case .reshape:
        switch a.shape {
        case .box(let b, _): a.shape = .box(b, rotation: 10)
        case .polygon(let parts):
          // Push the bottom-middle vertex up: the bounding box stays the same.
          var p = parts[0]
          p[7] -= Double(Int.random(in: 1...4, using: &rng))
          a.shape = .polygon([p])
        default: continue
        }
      case .relabel:
        let to = classes.filter { $0 != a.label }.randomElement(using: &rng)!
        e.relabeled = .init(from: a.label, to: to)
        a.label = to
      case .attribute:
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: a.attributes["color"] = .string("blue"); e.attributes = [AttributeChange(key: "color", old: .string("red"), new: .string("blue"))]
        case 1: a.attributes["color"] = nil; e.attributes = [AttributeChange(key: "color", old: .string("red"), new: nil)]
        default: a.attributes["occluded"] = .bool(true); e.attributes = [AttributeChange(key: "occluded", old: nil, new: .bool(true))]
        }
      case .score:
        let s = Double(Int.random(in: 60...99, using: &rng)) / 100
        a.score = s
        e.score = .init(old: 0.5, new: s)
      case .zOrder:
        a.zOrder = Int.random(in: 1...5, using: &rng)
        e.fields = ["z_order"]
      case .remove:
        var anns = docs[d].annotations
        anns.remove(at: k)
        docs[d] = LabelDocument(image: docs[d].image, annotations: anns)
        expected[path, default: [:]][a.id] = Expected(status: .removed, kinds: [.removed])
        applied += 1
        continue
      case .add: continue
      }
      e.kinds.insert(kind)
      docs[d].annotations[k] = a
      expected[path, default: [:]][a.id] = e
      applied += 1
    }
    return (docs, expected)
  }

  /// Maps every coordinate through `f` (which also gets the shape's current bounding box).
  static func transform(_ s: Shape, _ f: (Double, Double, Box) -> (Double, Double)) -> Shape {
    switch s {
    case .box(let b, let r):
      let (x0, y0) = f(b.x, b.y, b), (x1, y1) = f(b.maxX, b.maxY, b)
      return .box(Box(x: x0, y: y0, w: x1 - x0, h: y1 - y0), rotation: r)
    case .polygon(let parts):
      let b = Box.bounding(parts.flatMap { $0 })!
      return .polygon(parts.map { p in
        var out: [Double] = []
        var i = 0
        while i + 1 < p.count { let (x, y) = f(p[i], p[i + 1], b); out += [x, y]; i += 2 }
        return out
      })
    default: return s
    }
  }

  @Test(arguments: [1, 2, 3, 42, 2026] as [UInt64])
  func diffReportsExactlyTheRecordedEdits(seed: UInt64) throws {
    var rng = SeededRNG(seed: seed)
    let base = Self.baseDocuments(&rng, images: 6, perImage: 6)
    let (edited, expected) = Self.apply(60, to: base, &rng)

    let store = MemoryObjects()
    var changes: [EntryChange] = []
    for (o, n) in zip(base, edited) {
      let ob = store.put(o), nb = store.put(n)
      if ob != nb { changes.append(EntryChange(path: DatasetPath.labelEntry(o.image.path), oldBlob: ob, newBlob: nb)) }
    }
    let out = try DatasetDiff.compare(changes, objects: store, imageByteSize: { _ in 0 })

    #expect(Set(out.images.map(\.path)) == Set(expected.keys))
    var reportedCount = 0
    for image in out.images {
      #expect(image.status == .modified)
      #expect(!image.labels.matchedByGeometry)
      let want = expected[image.path] ?? [:]
      #expect(Set(image.labels.changes.map(\.id)) == Set(want.keys), "seed \(seed), \(image.path)")
      for c in image.labels.changes {
        reportedCount += 1
        guard let w = want[c.id] else { continue }
        #expect(c.status == w.status, "\(c.id)")
        #expect(Set(c.kinds) == w.kinds, "\(c.id): \(c.kinds) vs \(w.kinds)")
        #expect(c.moved == w.moved, "\(c.id)")
        #expect(c.resized == w.resized, "\(c.id)")
        #expect(c.relabeled == w.relabeled, "\(c.id)")
        #expect(c.attributes == w.attributes, "\(c.id)")
        #expect(c.score == w.score, "\(c.id)")
        #expect(c.fields.map(\.field) == w.fields, "\(c.id)")
        #expect((c.reshaped != nil) == w.kinds.contains(.reshaped), "\(c.id)")
      }
    }
    #expect(reportedCount == expected.values.reduce(0) { $0 + $1.count })

    // The summary counts the same edits.
    var counts = ChangeCounts()
    for w in expected.values.flatMap(\.values) { for k in w.kinds { counts[k] += 1 } }
    #expect(out.summary.annotations == counts)
    // The generator exercised every change kind in this round.
    #expect(ChangeKind.allCases.filter { counts[$0] == 0 } == [], "seed \(seed)")
    #expect(out.summary.imagesModified == expected.count)
  }
}
