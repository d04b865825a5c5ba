import AnnotModel
import Testing
@testable import AnnotIndex

/// Documents whose labels and paths are SQL injection attempts.
func hostileDocs() -> [(path: String, doc: LabelDocument)] {
  let labels = ["x' OR 1=1 --", "'; DROP TABLE anns; --", "\"); DELETE FROM docs; --", "normal"]
  return labels.enumerated().map { i, label in
    let path = "odd/\(i)' OR '1'='1.jpg"
    let ann = Annotation(id: "a", label: label, shape: .box(Box(x: 1, y: 1, w: 10, h: 10), rotation: 0),
                         attributes: ["note": .string(label)])
    return (path, LabelDocument(image: ImageRecord(path: path, width: 100, height: 100, mediaType: "image/png"), annotations: [ann]))
  }
}

@Test func injectionInLiteralsIsHarmless() throws {
  let docs = hostileDocs()
  let idx = try Fixture.index(docs)
  let rev = Fixture.commitID(1)
  for (path, doc) in docs {
    let label = doc.annotations[0].label
    let escaped = label.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
    // Exactly the one annotation with that label: the literal is data, not SQL.
    let byLabel = try idx.query("label == \"\(escaped)\"", revision: rev)
    #expect(byLabel.annotations.map(\.imagePath) == [path])
    let byAttr = try idx.query("attr.note == \"\(escaped)\"", revision: rev)
    #expect(byAttr.annotations.map(\.imagePath) == [path])
    // The compiled SQL never contains the user's text.
    let (sql, params) = idx.explain(try AnnotQuery("label == \"\(escaped)\""))
    #expect(!sql.contains(label))
    #expect(params == [.text(label)])
  }
  #expect(try idx.query(#"path ~ "*' OR '1'='1*""#, revision: rev).annotationCount == 4)
  #expect(try idx.query(#"label == "' OR '1'='1""#, revision: rev).annotationCount == 0)
  // Nothing was dropped or deleted.
  #expect(try idx.query("true", revision: rev).annotationCount == 4)
  #expect(try idx.sql("SELECT count(*) FROM main.docs", revision: rev).rows == [[.integer(4)]])
}

@Test(arguments: [
  "DELETE FROM annotations",
  "DELETE FROM main.anns",
  "INSERT INTO main.docs(blob, path, width, height, media_type, annotation_count) VALUES (x'00', 'p', 1, 1, 'x', 0)",
  "UPDATE main.docs SET path = 'x'",
  "DROP TABLE main.anns",
  "DROP VIEW images",
  "CREATE TABLE t(a)",
  "CREATE TEMP TABLE t(a)",
  "ATTACH DATABASE ':memory:' AS other",
  "PRAGMA user_version = 7",
  "PRAGMA query_only = 0",
  "BEGIN",
  "SELECT 1; DELETE FROM main.anns",
  "VACUUM",
  "REINDEX",
  "ANALYZE",
  "WITH x AS (SELECT 1) DELETE FROM main.anns",
  "SELECT load_extension('/tmp/nothing')",
  "",
])
func sqlRefusesWrites(_ statement: String) throws {
  let docs = Array(queryDocs.prefix(20))
  let idx = try Fixture.index(docs)
  let rev = Fixture.commitID(1)
  let before = try idx.sql("SELECT count(*) FROM annotations", revision: rev).rows
  do {
    let r = try idx.sql(statement, revision: rev)
    Issue.record("ran: \(statement) → \(r)")
  } catch let e as IndexError {
    if case .notReadOnly = e {} else { Issue.record("unexpected error kind \(e)") }
  }
  #expect(try idx.sql("SELECT count(*) FROM annotations", revision: rev).rows == before)
  #expect(try idx.schemaVersion() == IndexSchema.version)
  // The connection still writes normally afterwards (query_only was reset).
  #expect(try idx.indexDocuments([(Fixture.blobID(queryDocs[25].doc), queryDocs[25].doc)]) == 1)
}

@Test func sqlViewsMatchDocuments() throws {
  let idx = try Fixture.index(queryDocs)
  let rev = Fixture.commitID(1)
  let r = try idx.sql("SELECT label, count(*) AS n FROM annotations GROUP BY label ORDER BY label", revision: rev)
  #expect(r.columns == ["label", "n"])
  var want: [String: Int] = [:]
  for (_, d) in queryDocs { for a in d.annotations { want[a.label, default: 0] += 1 } }
  let wantRows: [[SQLValue]] = want.keys.sorted().map { [.text($0), .integer(Int64(want[$0]!))] }
  #expect(r.rows == wantRows)

  let imgs = try idx.sql("SELECT path, width, split, blob FROM images WHERE path = 'val/00003.jpg'", revision: rev)
  let d = try #require(queryDocs.first { $0.path == "val/00003.jpg" }?.doc)
  #expect(imgs.rows == [[.text("val/00003.jpg"), .integer(Int64(d.image.width)), d.image.split.map { .text($0) } ?? .null,
                         .text(Fixture.blobID(d).hex)]])

  let classes = try idx.sql("SELECT name FROM classes ORDER BY id", revision: rev)
  #expect(classes.rows == Fixture.manifest().classes.map { [.text($0.name)] })

  let commits = try idx.sql("SELECT id, images, snapshot, current FROM commits", revision: rev)
  #expect(commits.rows == [[.text(Fixture.commitID(1).hex), .integer(300), .integer(1), .integer(1)]])

  let attrs = try idx.sql("SELECT count(*) FROM annotations WHERE attrs ->> '$.occluded' = 1", revision: rev)
  let occluded = queryDocs.reduce(0) { $0 + $1.doc.annotations.filter { $0.attributes["occluded"] == .bool(true) }.count }
  #expect(attrs.rows == [[.integer(Int64(occluded))]])
}

@Test func sqlSyntaxErrorIsReported() throws {
  let idx = try Fixture.index(Array(queryDocs.prefix(2)))
  #expect {
    try idx.sql("SELEC 1", revision: Fixture.commitID(1))
  } throws: { e in
    if case .sqlite(_, let m) = e as? IndexError { return m.contains("syntax error") }
    return false
  }
}

// MARK: - Function allow-list and time limit (issue 11)

@Test(arguments: ["SELECT fts3_tokenizer('simple')", "SELECT load_extension('x')", "SELECT randomblob(10)",
                  "SELECT zeroblob(1000000000)", "SELECT sqlite_compileoption_get(0)", "SELECT count(*) FROM annotations WHERE fts3_tokenizer('porter') IS NOT NULL"])
func functionsOutsideTheListAreRefused(_ statement: String) throws {
  let idx = try Fixture.index(hostileDocs())
  #expect {
    try idx.sql(statement, revision: Fixture.commitID(1))
  } throws: { e in
    guard case .notReadOnly(let m)? = e as? IndexError else { return false }
    return m.contains("refused")
  }
}

@Test func listedFunctionsAndTheViewsStillWork() throws {
  let idx = try Fixture.index(hostileDocs())
  let rev = Fixture.commitID(1)
  let r = try idx.sql("""
    SELECT upper(substr(label, 1, 1)), round(avg(area), 1), json_extract(attrs, '$.note') IS NOT NULL, attrs ->> '$.note' = label,
           row_number() OVER (ORDER BY path)
    FROM annotations GROUP BY path ORDER BY path LIMIT 1
    """, revision: rev)
  #expect(r.rows.count == 1)
  #expect(try idx.sql("SELECT count(*) FROM classes", revision: rev).rows.count == 1)
}

@Test func aRunawayStatementIsStoppedByTheTimeLimit() throws {
  let idx = try Fixture.index(hostileDocs())
  let start = monotonicNanos()
  #expect(throws: IndexError.timeout(seconds: 0.2)) {
    try idx.sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
                revision: Fixture.commitID(1), timeLimit: 0.2)
  }
  #expect(monotonicNanos() - start < 5_000_000_000)
  // The connection is usable afterwards, with the handler gone.
  #expect(try idx.sql("SELECT count(*) FROM annotations", revision: Fixture.commitID(1)).rows == [[.integer(4)]])
}

@Test func builtStringsAreCappedAt16MiB() throws {
  let idx = try Fixture.index(hostileDocs())
  // Without the cap (SQLite's default is 1e9 bytes) this returns 100000000; with it SQLite
  // gives NULL (printf) or an error ("string or blob too big").
  let r = try? idx.sql("SELECT length(printf('%.*c', 100000000, 'x'))", revision: Fixture.commitID(1))
  #expect(r == nil || r?.rows == [[.null]])
  #expect(try idx.sql("SELECT length(printf('%.*c', 1000000, 'x'))", revision: Fixture.commitID(1)).rows == [[.integer(1000000)]])
}
