import AnnotModel
import Foundation
import Testing
import AnnotTestSupport
@testable import AnnotIndex

/// A bulk build drops the annotation indexes and builds them once at its end, in one
/// transaction: afterwards the index answers exactly as one built row by row, a reader on
/// another connection sees the old state until the build commits, and a failed build leaves
/// the index (with its indexes) as it was.
@Suite struct BulkBuildTests {
  static func docs(_ n: Int, seed: UInt64) -> [(path: String, doc: LabelDocument)] {
    var rng = SeededRNG(seed: seed)
    return (0..<n).map { i in let p = "bulk/\(seed)/\(i).png"; return (p, Fixture.document(path: p, rng: &rng)) }
  }

  func indexNames(_ idx: LabelIndex) throws -> [String] {
    var out: [String] = []
    let s = try idx.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'anns' ORDER BY name")
    while try s.step() { out.append(s.text(0)) }
    return out
  }

  @Test func deferredIndexesGiveTheSameAnswersAndReadersSeeOldOrNew() throws {
    let first = Self.docs(50, seed: 1), second = Self.docs(200, seed: 2)
    let path = Fixture.temporaryPath()
    let bulk = try LabelIndex(path: path)
    try bulk.indexDocuments(first.map { (Fixture.blobID($0.doc), $0.doc) })
    try bulk.indexRevision(commit: Fixture.commitID(1), entries: first.map { ($0.path, Fixture.blobID($0.doc)) }, manifest: Fixture.manifest())
    let reader = try LabelIndex(path: path)
    let before = try reader.query(#"label == "car""#, revision: Fixture.commitID(1), mode: .count).annotationCount
    try bulk.withDeferredIndexes {
      try bulk.indexDocuments(second.map { (Fixture.blobID($0.doc), $0.doc) })
      try bulk.indexRevision(commit: Fixture.commitID(2), entries: second.map { ($0.path, Fixture.blobID($0.doc)) }, manifest: Fixture.manifest())
      // Another connection still sees the index as it was, indexes included.
      #expect(try reader.query(#"label == "car""#, revision: Fixture.commitID(1), mode: .count).annotationCount == before)
      #expect(try reader.isRevisionIndexed(Fixture.commitID(2)) == false)
    }
    #expect(try indexNames(bulk) == ["anns_label"])
    let rowByRow = try Fixture.index(second)
    for filter in [#"label == "car""#, "area < 100", #"count(label == "person") >= 2"#] {
      #expect(try bulk.query(filter, revision: Fixture.commitID(2), mode: .count).annotationCount
              == rowByRow.query(filter, revision: Fixture.commitID(1), mode: .count).annotationCount, "\(filter)")
    }

    // A build that fails rolls back whole: nothing of it stays, and the indexes are there.
    struct Stop: Error {}
    #expect(throws: Stop.self) {
      try bulk.withDeferredIndexes {
        try bulk.indexDocuments(Self.docs(20, seed: 3).map { (Fixture.blobID($0.doc), $0.doc) })
        throw Stop()
      }
    }
    #expect(try indexNames(bulk) == ["anns_label"])
    #expect(try bulk.missingBlobs(Self.docs(20, seed: 3).map { Fixture.blobID($0.doc) }).count == 20)
  }
}
