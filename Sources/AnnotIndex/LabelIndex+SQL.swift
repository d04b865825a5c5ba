import AnnotModel
import GRDBSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result of `sql()`: column names and rows of values.
public struct SQLResult: Sendable, Equatable {
  public var columns: [String]
  public var rows: [[SQLValue]]
}

extension LabelIndex {
  /// Runs one read-only SQL statement over the documented views of a revision:
  ///
  /// - `images(path, blob, width, height, media_type, split, source_id, attrs, annotations)`
  /// - `annotations(path, ann_id, label, kind, x, y, w, h, area, score, aspect, attrs, group_id, z_order, crowd)`
  /// - `classes(id, name, color, supercategory, keypoints, attributes)` from the revision's annot.json
  /// - `commits(id, parent, images, snapshot, current)`: every indexed commit
  ///
  /// Statements that would write anything (INSERT, UPDATE, CREATE, ATTACH, PRAGMA, BEGIN, …)
  /// are refused before they run: `sqlite3_stmt_readonly`, an authorizer that allows only
  /// SELECT/READ/function calls, and `PRAGMA query_only` while the statement runs.
  ///
  /// Only the functions in ``sqlFunctions`` may be called (Docs/INDEX.md lists them): no
  /// `fts3_tokenizer` (it leaks a pointer), `load_extension`, `randomblob`/`zeroblob`.
  /// A statement runs at most `timeLimit` seconds (default ``Limits/sqlSeconds``, checked by a
  /// progress handler), and no string or blob it builds may exceed 16 MiB.
  ///
  /// - Throws: `.notReadOnly` for a refused statement, `.timeout` past the time limit,
  ///   `.sqlite` for SQL errors.
  public func sql(_ statement: String, revision: ObjectID, maxRows: Int? = nil,
                  timeLimit: Double? = nil) throws(IndexError) -> SQLResult {
    try prepareViews(try requireRevision(revision))
    try db.exec("PRAGMA query_only=1")
    // The authorizer raises this flag when it denies something, so its refusals are told
    // apart from ordinary SQL errors (SQLite reports some of them as plain SQLITE_ERROR).
    let denied = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    denied.initialize(to: 0)
    defer { denied.deallocate() }
    sqlite3_set_authorizer(db.handle, readOnlyAuthorizer, denied)
    // The deadline (CLOCK_MONOTONIC nanoseconds) for the progress handler, and the flag it
    // raises when it interrupts.
    let limit = timeLimit ?? Double(Limits.sqlSeconds)
    let deadline = UnsafeMutablePointer<UInt64>.allocate(capacity: 2)
    deadline.initialize(to: monotonicNanos() + UInt64(max(0, limit) * 1e9))
    (deadline + 1).initialize(to: 0)
    defer { deadline.deallocate() }
    sqlite3_progress_handler(db.handle, 1000, deadlineHandler, deadline)
    let oldLength = sqlite3_limit(db.handle, SQLITE_LIMIT_LENGTH, 1 << 24)
    defer {
      sqlite3_limit(db.handle, SQLITE_LIMIT_LENGTH, oldLength)
      sqlite3_progress_handler(db.handle, 0, nil, nil)
      sqlite3_set_authorizer(db.handle, nil, nil)
      try? db.exec("PRAGMA query_only=0")
    }
    do {
      return try runReadOnly(statement, denied: denied, maxRows: maxRows)
    } catch {
      if (deadline + 1).pointee != 0 { throw .timeout(seconds: limit) }
      throw error
    }
  }

  private func runReadOnly(_ statement: String, denied: UnsafeMutablePointer<Int32>, maxRows: Int?) throws(IndexError) -> SQLResult {
    var stmt: OpaquePointer?
    var tail: UnsafePointer<CChar>?
    // A stable C copy of the text: `tail` points into it after prepare.
    guard let base = strdup(statement) else { throw .sqlite(code: SQLITE_NOMEM, message: "out of memory") }
    defer { free(base) }
    do {
      let rc = sqlite3_prepare_v2(db.handle, base, -1, &stmt, &tail)
      if rc != SQLITE_OK {
        let msg = String(cString: sqlite3_errmsg(db.handle))
        if rc & 0xff == SQLITE_AUTH || denied.pointee != 0 || msg.hasPrefix("cannot modify") { throw .notReadOnly("refused: only SELECT over the views is allowed (\(msg))") }
        throw .sqlite(code: rc, message: msg)
      }
      guard let stmt else { throw .notReadOnly("empty statement") }
      let s = Statement(stmt, connection: db)
      // A second statement after the first is refused rather than silently ignored.
      if let tail, tail.pointee != 0 {
        var rest: OpaquePointer?
        let rc2 = sqlite3_prepare_v2(db.handle, tail, -1, &rest, nil)
        if let rest { sqlite3_finalize(rest) }
        if rc2 != SQLITE_OK || rest != nil { throw .notReadOnly("give one statement at a time") }
      }
      guard sqlite3_stmt_readonly(stmt) != 0 else { throw .notReadOnly("refused: the statement would write") }
      var out = SQLResult(columns: (0..<s.columnCount).map { s.columnName($0) }, rows: [])
      while try s.step() {
        out.rows.append((0..<s.columnCount).map { s.value($0) })
        if let maxRows, out.rows.count >= maxRows { break }
      }
      return out
    }
  }

  /// (Re)creates the temp table of the revision's paths and the temp views over it.
  func prepareViews(_ r: RevisionRow) throws(IndexError) {
    if viewRevision == r.id { return }
    viewRevision = nil
    try db.exec("""
      DROP VIEW IF EXISTS temp.images; DROP VIEW IF EXISTS temp.annotations;
      DROP VIEW IF EXISTS temp.classes; DROP VIEW IF EXISTS temp.commits;
      DROP TABLE IF EXISTS temp.rev_docs;
      CREATE TEMP TABLE rev_docs(path TEXT PRIMARY KEY, doc INTEGER NOT NULL, first INTEGER NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID;
      """)
    // With each document's annotation id range (first, n) at hand, the `annotations` view joins
    // no `docs` row; an index on (doc, first, n) serves plans that start from the annotations.
    try exec("""
      INSERT INTO temp.rev_docs SELECT m.path, m.doc, d.first_ann, d.annotation_count
      FROM main.rev_paths m JOIN main.docs d ON d.id = m.doc WHERE \(Self.membership("m"))
      """, Self.membershipParams(r))
    // r.id is our own integer (views cannot hold parameters); nothing user-supplied is spliced.
    try db.exec("""
      CREATE INDEX temp.rev_docs_doc ON rev_docs(doc, first, n);
      CREATE TEMP VIEW images AS
        SELECT r.path AS path, lower(hex(d.blob)) AS blob, d.width AS width, d.height AS height,
               d.media_type AS media_type, d.split AS split, d.source_id AS source_id, d.attrs AS attrs,
               d.annotation_count AS annotations
        FROM temp.rev_docs r JOIN main.docs d ON d.id = r.doc;
      CREATE TEMP VIEW annotations AS
        SELECT r.path AS path, a.ann_id AS ann_id, l.name AS label,
               (SELECT name FROM main.kinds WHERE id = a.kind) AS kind, a.x AS x, a.y AS y,
               a.w AS w, a.h AS h, a.area AS area, a.score AS score,
               CASE WHEN a.h != 0 THEN a.w / a.h END AS aspect,
               (SELECT json FROM main.attr_sets WHERE id = a.attrs) AS attrs,
               a.grp AS group_id, a.z_order AS z_order, a.crowd AS crowd
        -- kind and attrs are looked up only by statements that use them; the label is a join so
        -- that GROUP BY label can walk the labels in name order through the label index.
        FROM temp.rev_docs r JOIN main.anns a ON a.doc = r.doc AND a.id >= r.first AND a.id < r.first + r.n
          JOIN main.labels l ON l.id = a.label;
      CREATE TEMP VIEW classes AS
        SELECT j.value ->> '$.id' AS id, j.value ->> '$.name' AS name, j.value ->> '$.color' AS color,
               j.value ->> '$.supercategory' AS supercategory, j.value -> '$.keypoints' AS keypoints,
               j.value -> '$.attributes' AS attributes
        FROM main.revs v, json_each(v.manifest, '$.classes') j WHERE v.id = \(r.id);
      CREATE TEMP VIEW commits AS
        SELECT lower(hex(commit_id)) AS id, lower(hex(parent)) AS parent, images AS images,
               base = id AS snapshot, id = \(r.id) AS current
        FROM main.revs;
      """)
    viewRevision = r.id
  }
}

/// The functions `annot sql` may call, lower-case (Docs/INDEX.md, "Views for annot sql"):
/// SQLite's core scalar, aggregate, window, date, math and JSON functions, and the `->`/`->>`
/// operators. Left out: `load_extension`, `fts3_tokenizer` (returns a pointer), `randomblob`,
/// `zeroblob`, `sqlite_*` introspection, `unistr`, and anything an extension might register.
public let sqlFunctions: Set<String> = [
  // scalar
  "abs", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull", "iif", "instr",
  "length", "like", "likelihood", "likely", "lower", "ltrim", "max", "min", "nullif", "octet_length",
  "printf", "quote", "random", "replace", "round", "rtrim", "sign", "soundex", "substr", "substring",
  "trim", "typeof", "unhex", "unicode", "unlikely", "upper",
  // aggregate
  "avg", "count", "group_concat", "string_agg", "sum", "total",
  // window
  "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
  "first_value", "last_value", "nth_value",
  // date and time
  "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
  // math
  "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
  "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians",
  "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
  // JSON
  "json", "json_array", "json_array_length", "json_extract", "json_insert", "json_object",
  "json_patch", "json_remove", "json_replace", "json_set", "json_type", "json_valid", "json_quote",
  "json_group_array", "json_group_object", "json_each", "json_tree", "->", "->>",
]

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanos() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Interrupts the statement (non-zero) once the deadline in `p[0]` has passed, noting it in `p[1]`.
private let deadlineHandler: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { p in
  guard let d = p?.assumingMemoryBound(to: UInt64.self) else { return 0 }
  if monotonicNanos() > d.pointee { (d + 1).pointee = 1; return 1 }
  return 0
}

/// Allows reading only: SELECT, column reads, recursive CTEs and calls of ``sqlFunctions``.
/// Everything else (writes, DDL, ATTACH, PRAGMA, transactions, other functions) is denied at prepare.
private let readOnlyAuthorizer: @convention(c) (
  UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?
) -> Int32 = { flag, action, _, arg2, _, _ in
  let allowed: Bool
  switch action {
  case SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE: allowed = true
  case SQLITE_FUNCTION: allowed = arg2.map { sqlFunctions.contains(String(cString: $0).lowercased()) } ?? false
  default: allowed = false
  }
  if !allowed { flag?.assumingMemoryBound(to: Int32.self).pointee = 1 }
  return allowed ? SQLITE_OK : SQLITE_DENY
}
