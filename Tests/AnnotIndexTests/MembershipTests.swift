import AnnotModel
import Foundation
import Testing
import AnnotTestSupport
@testable import AnnotIndex

/// A revision's documents are a bitmap of `docs` rows (LabelIndex+Membership.swift), and a
/// `docs` row is a document at one path. These check every filter of the query table against
/// plain Swift over listings that stress that: a delta revision (edits, additions, removals), a
/// delta promoted to a snapshot, and documents listed at a path other than their image.path or
/// at two paths at once (plain git copies; annot's own commands refuse them), where each listed
/// path must answer as an image of its own.
@Suite struct MembershipTests {
  static let base = Fixture.dataset(count: 120, seed: 11)

  /// Checks every QueryCase at `commit` against `listing` (path → document), in all three modes.
  func expectAnswers(_ idx: LabelIndex, _ commit: ObjectID, _ listing: [(path: String, doc: LabelDocument)]) throws {
    for c in QueryCase.all {
      let want = expected(c, listing)
      let q = try AnnotQuery(c.filter)
      let rows = try idx.query(q, revision: commit, mode: .annotations)
      #expect(rows.annotations.map { "\($0.imagePath)#\($0.annotationID)" } == want.anns, "\(c.filter)")
      #expect(try idx.query(q, revision: commit, mode: .images).images.map(\.path) == want.images, "\(c.filter)")
      let n = try idx.query(q, revision: commit, mode: .count)
      #expect(n.annotationCount == want.anns.count && n.imageCount == want.images.count, "\(c.filter)")
    }
  }

  @Test func copiedAndMovedDocumentsAnswerAtTheirListedPaths() throws {
    var listing = Self.base
    let moved = listing.remove(at: 1)
    listing.append(("moved/elsewhere.jpg", moved.doc))   // its image.path says otherwise
    listing.append(("copy/of-first.jpg", listing[0].doc))  // the same blob at two paths
    let idx = try LabelIndex(path: Fixture.temporaryPath())
    try idx.indexDocuments(Self.base.map { (Fixture.blobID($0.doc), $0.doc) })
    try idx.indexRevision(commit: Fixture.commitID(1), entries: listing.map { ($0.path, Fixture.blobID($0.doc)) },
                          manifest: Fixture.manifest())
    try expectAnswers(idx, Fixture.commitID(1), listing)
    #expect(try idx.stats(revision: Fixture.commitID(1)).images == listing.count)
    #expect(try idx.stats(revision: Fixture.commitID(1)).annotations == listing.reduce(0) { $0 + $1.doc.annotations.count })
  }

  @Test func deltaAndPromotedRevisionsAnswerLikeTheirListings() throws {
    let idx = try LabelIndex(path: Fixture.temporaryPath(), options: .init(snapshotRatio: 0.2, minimumSnapshotDelta: 1))
    var current = Dictionary(uniqueKeysWithValues: Self.base.map { ($0.path, $0.doc) })
    try idx.indexDocuments(Self.base.map { (Fixture.blobID($0.doc), $0.doc) })
    try idx.indexRevision(commit: Fixture.commitID(0), entries: Self.base.map { ($0.path, Fixture.blobID($0.doc)) },
                          manifest: Fixture.manifest())
    var rng = SeededRNG(seed: 5)
    var kinds: Set<Bool> = []
    for round in 1...3 {
      var changes: [(path: String, docBlob: ObjectID?)] = []
      var fresh: [(blob: ObjectID, doc: LabelDocument)] = []
      let paths = current.keys.sorted()
      for k in 0..<5 {
        let edit = paths[(round * 7 + k * 13) % paths.count]
        let d = Fixture.document(path: edit, rng: &rng)
        current[edit] = d
        fresh.append((Fixture.blobID(d), d))
        changes.append((edit, Fixture.blobID(d)))
        let added = "new/\(round)-\(k).jpg"
        let n = Fixture.document(path: added, rng: &rng)
        current[added] = n
        fresh.append((Fixture.blobID(n), n))
        changes.append((added, Fixture.blobID(n)))
        let removed = paths[(round * 11 + k * 17 + 3) % paths.count]
        current[removed] = nil
        changes.append((removed, nil))
      }
      try idx.indexDocuments(fresh)
      let info = try idx.indexRevision(commit: Fixture.commitID(round), basedOn: Fixture.commitID(round - 1), changes: changes)
      kinds.insert(info.isSnapshot)
      try expectAnswers(idx, Fixture.commitID(round), current.map { ($0.key, $0.value) })
    }
    #expect(kinds == [true, false])  // went through a delta and a promotion
    // The older revisions still answer as they did.
    try expectAnswers(idx, Fixture.commitID(0), Self.base)
  }
}
