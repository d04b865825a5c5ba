import AnnotModel
import Testing
@testable import AnnotIndex

/// What a Swift predicate sees: one image and, for annotation-level filters, one annotation.
struct Ctx {
  var path: String
  var doc: LabelDocument
  var ann: Annotation!

  var img: ImageRecord { doc.image }
  var box: Box? { ann.boundingBox }
  func attr(_ n: String) -> AttributeValue? { ann.attributes[n] }
  func num(_ n: String) -> Double? { if case .number(let d)? = ann.attributes[n] { return d }; return nil }
  func count(_ p: (Annotation) -> Bool) -> Int { doc.annotations.filter(p).count }
  func hasTag(_ l: String) -> Bool { doc.annotations.contains { $0.shape.kind == "tag" && $0.label == l } }
}

/// One row of the query table: a filter and the same filter as a Swift closure.
/// To add a case, append a row; `annotationLevel` says whether the filter names annotation
/// fields outside count(…) (then images match through any matching annotation).
struct QueryCase: Sendable, CustomTestStringConvertible {
  var filter: String
  var annotationLevel: Bool
  var pred: @Sendable (Ctx) -> Bool
  var testDescription: String { filter }

  static let all: [QueryCase] = [
    .init(filter: #"label == "person""#, annotationLevel: true) { $0.ann.label == "person" },
    .init(filter: #"label == "car" and area > 5000"#, annotationLevel: true) { $0.ann.label == "car" && $0.ann.area > 5000 },
    .init(filter: #"kind == "polygon" or kind == "points""#, annotationLevel: true) { ["polygon", "points"].contains($0.ann.shape.kind) },
    .init(filter: #"not label == "person""#, annotationLevel: true) { $0.ann.label != "person" },
    .init(filter: "w >= 100 and h < 50", annotationLevel: true) { c in c.box.map { $0.w >= 100 && $0.h < 50 } ?? false },
    .init(filter: "aspect > 2", annotationLevel: true) { c in c.box.map { $0.h != 0 && $0.w / $0.h > 2 } ?? false },
    .init(filter: "score >= 0.5", annotationLevel: true) { ($0.ann.score ?? -1) >= 0.5 },
    .init(filter: "not score >= 0.5", annotationLevel: true) { !(($0.ann.score ?? -1) >= 0.5) },
    .init(filter: "attr.occluded == true", annotationLevel: true) { $0.attr("occluded") == .bool(true) },
    .init(filter: "attr.occluded != true", annotationLevel: true) { $0.attr("occluded") != nil && $0.attr("occluded") != .bool(true) },
    .init(filter: #"attr.color == "red""#, annotationLevel: true) { $0.attr("color") == .string("red") },
    .init(filter: #"attr.color ~ "*e*""#, annotationLevel: true) {
      if case .string(let s)? = $0.attr("color") { return s.contains("e") }; return false
    },
    .init(filter: "attr.truncation > 0.3", annotationLevel: true) { ($0.num("truncation") ?? -1) > 0.3 },
    .init(filter: "attr.truncation != 0.5", annotationLevel: true) { $0.attr("truncation") != nil && $0.num("truncation") != 0.5 },
    .init(filter: #"path ~ "train/*" and label == "dog""#, annotationLevel: true) { $0.path.hasPrefix("train/") && $0.ann.label == "dog" },
    .init(filter: #"split == "val" and label == "cat""#, annotationLevel: true) { $0.img.split == "val" && $0.ann.label == "cat" },
    .init(filter: #"tags != "night" and label == "car""#, annotationLevel: true) { !$0.hasTag("night") && $0.ann.label == "car" },
    .init(filter: #"count(label == "car" and area > 1000) >= 1 and label == "person""#, annotationLevel: true) { c in
      c.count { $0.label == "car" && $0.area > 1000 } >= 1 && c.ann.label == "person"
    },
    .init(filter: "x < 10 or y < 10", annotationLevel: true) { c in c.box.map { $0.x < 10 || $0.y < 10 } ?? false },
    .init(filter: "crowd == true", annotationLevel: true) { $0.ann.crowd },
    .init(filter: #"(label == "dog" or label == "cat") and not (area < 1000)"#, annotationLevel: true) {
      ($0.ann.label == "dog" || $0.ann.label == "cat") && !($0.ann.area < 1000)
    },
    .init(filter: #"id == "a003""#, annotationLevel: true) { $0.ann.id == "a003" },
    // Labels and kinds are integer codes: comparisons other than == go through their names.
    .init(filter: #"label ~ "c*""#, annotationLevel: true) { $0.ann.label.hasPrefix("c") },
    .init(filter: #"label > "cat" and label != "dog""#, annotationLevel: true) { $0.ann.label > "cat" && $0.ann.label != "dog" },
    .init(filter: #"not label == "no-such-label""#, annotationLevel: true) { _ in true },
    .init(filter: #"kind != "box" and not kind == "tag""#, annotationLevel: true) { !["box", "tag"].contains($0.ann.shape.kind) },
    // Attribute objects are codes too: a missing name or a value of another type matches nothing.
    .init(filter: #"not attr.occluded == true and label == "dog""#, annotationLevel: true) {
      $0.attr("occluded") != .bool(true) && $0.ann.label == "dog"
    },
    .init(filter: "attr.color == 1 or attr.no_such == true", annotationLevel: true) { _ in false },
    .init(filter: #"tags ~ "n*" and kind == "box""#, annotationLevel: true) { c in
      c.doc.annotations.contains { $0.shape.kind == "tag" && $0.label.hasPrefix("n") } && c.ann.shape.kind == "box"
    },
    .init(filter: "area <= -1", annotationLevel: true) { $0.ann.area <= -1 },
    // Image-level filters: they hold or fail for a whole image.
    .init(filter: "image.width > 800", annotationLevel: false) { $0.img.width > 800 },
    .init(filter: #"tags == "night""#, annotationLevel: false) { $0.hasTag("night") },
    .init(filter: #"count(label == "person") > 2"#, annotationLevel: false) { $0.count { $0.label == "person" } > 2 },
    .init(filter: "count() == 0", annotationLevel: false) { $0.doc.annotations.isEmpty },
    .init(filter: #"image.attr.weather == "rain""#, annotationLevel: false) { $0.img.attributes["weather"] == .string("rain") },
    .init(filter: #"split == "train" and count(kind == "tag") >= 1"#, annotationLevel: false) { c in
      c.img.split == "train" && c.count { $0.shape.kind == "tag" } >= 1
    },
    .init(filter: #"not split == "test""#, annotationLevel: false) { $0.img.split != "test" },
    .init(filter: "true", annotationLevel: false) { _ in true },
  ]
}

let queryDocs = Fixture.dataset(count: 300)

/// Expected results computed directly from the generated documents.
func expected(_ c: QueryCase, _ docs: [(path: String, doc: LabelDocument)]) -> (anns: [String], images: [String]) {
  var anns: [String] = [], images: [String] = []
  for (path, doc) in Fixture.sortedByPath(docs) {
    var anyMatch = false
    for a in doc.annotations where c.pred(Ctx(path: path, doc: doc, ann: a)) {
      anns.append("\(path)#\(a.id)")
      anyMatch = true
    }
    let imageMatch = c.annotationLevel ? anyMatch : c.pred(Ctx(path: path, doc: doc, ann: nil))
    if imageMatch { images.append(path) }
  }
  return (anns, images)
}

@Test(arguments: QueryCase.all)
func queryMatchesSwiftFilter(_ c: QueryCase) throws {
  let idx = try Fixture.index(queryDocs)
  let want = expected(c, queryDocs)
  let q = try AnnotQuery(c.filter)
  #expect(q.isAnnotationLevel == c.annotationLevel)

  let annRows = try idx.query(q, revision: Fixture.commitID(1), mode: .annotations)
  #expect(annRows.annotations.map { "\($0.imagePath)#\($0.annotationID)" } == want.anns)
  #expect(annRows.annotationCount == want.anns.count)

  let imgRows = try idx.query(q, revision: Fixture.commitID(1), mode: .images)
  #expect(imgRows.images.map(\.path) == want.images)

  let counts = try idx.query(q, revision: Fixture.commitID(1), mode: .count)
  #expect(counts.annotationCount == want.anns.count)
  #expect(counts.imageCount == want.images.count)
  #expect(counts.annotations.isEmpty && counts.images.isEmpty)
}

@Test func queryCasesAreNotTrivial() {
  // Guards the table itself: most filters must select something and not everything.
  let selective = QueryCase.all.filter { c in
    let n = expected(c, queryDocs).anns.count
    return n > 0 && n < queryDocs.reduce(0) { $0 + $1.doc.annotations.count }
  }
  #expect(selective.count >= QueryCase.all.count - 5)
}

@Test func annotationRowsCarryTheirFields() throws {
  let idx = try Fixture.index(queryDocs)
  let out = try idx.query(#"label == "car" and score >= 0"#, revision: Fixture.commitID(1), limit: 5)
  #expect(out.annotations.count == 5)
  let docs = Dictionary(uniqueKeysWithValues: queryDocs.map { ($0.path, $0.doc) })
  for hit in out.annotations {
    let a = try #require(docs[hit.imagePath]?.annotation(id: hit.annotationID))
    #expect(hit.label == a.label && hit.kind == a.shape.kind)
    #expect(hit.box == a.boundingBox)
    #expect(hit.area == a.area)
    #expect(hit.score == a.score)
    #expect(hit.attributes == a.attributes)
  }
  // The count ignores the limit.
  let total = queryDocs.reduce(0) { $0 + $1.doc.annotations.filter { $0.label == "car" && $0.score != nil }.count }
  #expect(out.annotationCount == total)
}

@Test func imageRowsCarryTheirFields() throws {
  let idx = try Fixture.index(queryDocs)
  let out = try idx.query("count() == 0", revision: Fixture.commitID(1), mode: .images)
  let docs = Dictionary(uniqueKeysWithValues: queryDocs.map { ($0.path, $0.doc) })
  #expect(!out.images.isEmpty)
  for hit in out.images {
    let d = try #require(docs[hit.path])
    #expect(hit.width == d.image.width && hit.height == d.image.height && hit.split == d.image.split)
    #expect(hit.annotationCount == 0 && hit.attributes == d.image.attributes)
  }
}

@Test func unknownRevisionIsAnError() throws {
  let idx = try Fixture.index(Array(queryDocs.prefix(3)))
  #expect(throws: IndexError.unknownRevision(Fixture.commitID(99))) {
    try idx.query("true", revision: Fixture.commitID(99))
  }
}
