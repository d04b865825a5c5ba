import AnnotModel
import Foundation
import Testing
import AnnotTestSupport
@testable import AnnotIndex

/// A chain of labeling rounds: each round edits, adds and removes documents. Every round is
/// indexed incrementally from its parent and, independently, as a full listing under another
/// commit id; both must give the same entries and the same query answers.
@Test func incrementalRevisionEqualsFullRevision() throws {
  // Small snapshot thresholds so the chain goes through deltas and promotions.
  let idx = try LabelIndex(path: Fixture.temporaryPath(), options: .init(snapshotRatio: 0.2, minimumSnapshotDelta: 10))
  var current = Dictionary(uniqueKeysWithValues: Fixture.dataset(count: 120, seed: 7).map { ($0.path, $0.doc) })
  try idx.indexDocuments(current.map { (Fixture.blobID($0.value), $0.value) })
  try idx.indexRevision(commit: Fixture.commitID(0), entries: current.map { ($0.key, Fixture.blobID($0.value)) },
                        manifest: Fixture.manifest())
  var rng = SeededRNG(seed: 99)
  var sawDelta = false, sawPromotion = false
  for round in 1...12 {
    var changes: [(path: String, docBlob: ObjectID?)] = []
    var newDocs: [(blob: ObjectID, doc: LabelDocument)] = []
    let paths = current.keys.sorted()
    for _ in 0..<Int.random(in: 3...9, using: &rng) {  // edits
      let p = paths[Int.random(in: 0..<paths.count, using: &rng)]
      let d = Fixture.document(path: p, rng: &rng)
      current[p] = d
      newDocs.append((Fixture.blobID(d), d))
      changes.append((p, Fixture.blobID(d)))
    }
    for k in 0..<Int.random(in: 0...3, using: &rng) {  // additions
      let p = "new/\(round)-\(k).jpg"
      let d = Fixture.document(path: p, rng: &rng)
      current[p] = d
      newDocs.append((Fixture.blobID(d), d))
      changes.append((p, Fixture.blobID(d)))
    }
    for _ in 0..<Int.random(in: 0...3, using: &rng) {  // removals (possibly of an edited path)
      let p = current.keys.sorted()[Int.random(in: 0..<current.count, using: &rng)]
      current[p] = nil
      changes.append((p, nil))
    }
    try idx.indexDocuments(newDocs)
    let inc = try idx.indexRevision(commit: Fixture.commitID(round), basedOn: Fixture.commitID(round - 1), changes: changes)
    let full = try idx.indexRevision(commit: Fixture.commitID(1000 + round),
                                     entries: current.map { ($0.key, Fixture.blobID($0.value)) }, manifest: Fixture.manifest())
    if inc.isSnapshot { sawPromotion = true } else { sawDelta = true }
    #expect(inc.images == current.count)
    #expect(full.images == current.count)
    #expect(inc.parent == Fixture.commitID(round - 1))

    let want = current.map { ($0.key, Fixture.blobID($0.value)) }.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
    let got = try idx.entries(revision: Fixture.commitID(round))
    #expect(got.map(\.path) == want.map(\.0))
    #expect(got.map(\.docBlob) == want.map(\.1))
    for filter in [#"label == "dog""#, "count() == 0", #"path ~ "new/*""#, "true"] {
      let a = try idx.query(filter, revision: Fixture.commitID(round), mode: .annotations)
      let b = try idx.query(filter, revision: Fixture.commitID(1000 + round), mode: .annotations)
      #expect(a.annotations == b.annotations)
      let c = try idx.query(filter, revision: Fixture.commitID(round), mode: .images)
      let d = try idx.query(filter, revision: Fixture.commitID(1000 + round), mode: .images)
      #expect(c.images == d.images)
    }
    #expect(try idx.stats(revision: Fixture.commitID(round)) == (try idx.stats(revision: Fixture.commitID(1000 + round))))
    #expect(try idx.schema(revision: Fixture.commitID(round)) == Fixture.manifest())
  }
  #expect(sawDelta && sawPromotion)
  // Earlier revisions are unaffected by later ones.
  #expect(try idx.entries(revision: Fixture.commitID(0)).count == 120)
}

@Test func incrementalRevisionCostsRowsInProportionToChanges() throws {
  let idx = try Fixture.index(Fixture.dataset(count: 200))
  var rng = SeededRNG(seed: 5)
  let d = Fixture.document(path: "train/00001.jpg", rng: &rng)
  try idx.indexDocuments([(Fixture.blobID(d), d)])
  let info = try idx.indexRevision(commit: Fixture.commitID(2), basedOn: Fixture.commitID(1),
                                   changes: [("train/00001.jpg", Fixture.blobID(d)), ("val/00000.jpg", nil)])
  #expect(!info.isSnapshot && info.storedRows == 2 && info.images == 199)
  // Idempotent: indexing the same commit again changes nothing.
  #expect(try idx.indexRevision(commit: Fixture.commitID(2), basedOn: Fixture.commitID(1), changes: []) == info)
  let manifest = DatasetManifest(classes: [LabelClass(id: 1, name: "only")])
  try idx.indexRevision(commit: Fixture.commitID(3), basedOn: Fixture.commitID(2), changes: [], manifest: manifest)
  #expect(try idx.schema(revision: Fixture.commitID(3)) == manifest)
  #expect(try idx.schema(revision: Fixture.commitID(2)) == Fixture.manifest())
}

@Test func revisionWithUnknownBlobFailsAndLeavesNothing() throws {
  let idx = try Fixture.index(Array(queryDocs.prefix(5)))
  let stranger = ObjectID(bytes: Array(repeating: 7, count: 20))
  #expect(throws: IndexError.missingDocument(stranger)) {
    try idx.indexRevision(commit: Fixture.commitID(2), entries: [("a.jpg", stranger)], manifest: nil)
  }
  #expect(try !idx.isRevisionIndexed(Fixture.commitID(2)))
  #expect(throws: IndexError.missingDocument(stranger)) {
    try idx.indexRevision(commit: Fixture.commitID(3), basedOn: Fixture.commitID(1), changes: [("a.jpg", stranger)])
  }
  #expect(try !idx.isRevisionIndexed(Fixture.commitID(3)))
  #expect(throws: IndexError.unknownRevision(Fixture.commitID(4))) {
    try idx.indexRevision(commit: Fixture.commitID(5), basedOn: Fixture.commitID(4), changes: [])
  }
}

/// The caller decodes only blobs the index reports missing; count the decodes.
@Test func reindexSkipsKnownBlobs() throws {
  let idx = try LabelIndex(path: Fixture.temporaryPath())
  var docs = Fixture.dataset(count: 50, seed: 3)
  let byBlob = Dictionary(docs.map { (Fixture.blobID($0.doc), $0.doc) }, uniquingKeysWith: { a, _ in a })
  var parses = 0
  let load: (ObjectID) throws -> LabelDocument = { parses += 1; return byBlob[$0]! }
  #expect(try idx.indexMissing(docs.map { Fixture.blobID($0.doc) }, batchSize: 7, load: load) == 50)
  #expect(parses == 50)
  #expect(try idx.indexMissing(docs.map { Fixture.blobID($0.doc) }, load: load) == 0)
  #expect(parses == 50)

  var rng = SeededRNG(seed: 11)
  var changed = byBlob
  for i in [3, 9, 27] {
    docs[i].doc = Fixture.document(path: docs[i].path, rng: &rng)
    changed[Fixture.blobID(docs[i].doc)] = docs[i].doc
  }
  let load2: (ObjectID) throws -> LabelDocument = { parses += 1; return changed[$0]! }
  let ids = docs.map { Fixture.blobID($0.doc) }
  #expect(try idx.missingBlobs(ids + ids) == [3, 9, 27].map { Fixture.blobID(docs[$0].doc) })
  #expect(try idx.indexMissing(ids, load: load2) == 3)
  #expect(parses == 53)
  // indexDocuments skips known blobs even if handed them again.
  #expect(try idx.indexDocuments(docs.map { (Fixture.blobID($0.doc), $0.doc) }) == 0)
  #expect(try idx.isIndexed(ids[0]))
}

@Test func openRejectsForeignCorruptAndNewerFiles() throws {
  let garbage = Fixture.temporaryPath("garbage")
  try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
  #expect { try LabelIndex(path: garbage) } throws: { e in
    if case .corrupt = e as? IndexError { return true }; return false
  }

  let newer = Fixture.temporaryPath("newer")
  do {
    let idx = try LabelIndex(path: newer)
    try idx.db.exec("PRAGMA user_version = 99")
  }
  #expect(throws: IndexError.newerSchema(found: 99, supported: IndexSchema.version)) { try LabelIndex(path: newer) }
  // The caller's remedy: delete and rebuild.
  LabelIndex.remove(at: newer)
  #expect(try LabelIndex(path: newer).schemaVersion() == IndexSchema.version)

  let foreign = Fixture.temporaryPath("foreign")
  do {
    let idx = try LabelIndex(path: foreign)
    try idx.db.exec("PRAGMA application_id = 1234")
  }
  #expect { try LabelIndex(path: foreign) } throws: { e in
    if case .corrupt = e as? IndexError { return true }; return false
  }

  // Reopening a good index keeps its data, and it is in WAL mode.
  let good = Fixture.temporaryPath("good")
  do {
    let idx = try LabelIndex(path: good)
    try idx.indexDocuments([(Fixture.blobID(queryDocs[0].doc), queryDocs[0].doc)])
  }
  let again = try LabelIndex(path: good)
  #expect(try again.isIndexed(Fixture.blobID(queryDocs[0].doc)))
  let mode = try again.db.prepare("PRAGMA journal_mode")
  #expect(try mode.step() && mode.text(0) == "wal")
}
