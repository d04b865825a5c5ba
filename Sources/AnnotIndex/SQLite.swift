import GRDBSQLite

// A thin layer over the SQLite C API: one connection, prepared statements, typed errors.
// Raw C rather than GRDB because bulk insert is 1.5–2× faster (PLATFORM.md §3).

/// SQLITE_TRANSIENT is a cast macro and is not imported: SQLite copies the bound bytes.
@inline(__always) func sqliteTransient() -> sqlite3_destructor_type {
  unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A value bound to or read from SQL.
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
  case blob([UInt8])

  public var description: String {
    switch self {
    case .null: "NULL"
    case .integer(let i): String(i)
    case .real(let d): d.isFinite ? CanonicalNumber.format(d) : String(d)
    case .text(let s): s
    case .blob(let b): "x'" + b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() + "'"
    }
  }
}

/// Number formatting shared with the canonical JSON writer (integers without a fraction).
enum CanonicalNumber {
  static func format(_ d: Double) -> String {
    if d == 0 { return "0" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
  }
}

/// One SQLite connection. Not thread-safe: confine it to one task.
final class Connection {
  let handle: OpaquePointer
  let path: String

  init(path: String) throws(IndexError) {
    var db: OpaquePointer?
    let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
    let rc = sqlite3_open_v2(path, &db, flags, nil)
    guard rc == SQLITE_OK, let db else {
      let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
      if let db { sqlite3_close_v2(db) }
      throw .cannotOpen(path: path, message: msg)
    }
    handle = db
    self.path = path
    sqlite3_busy_timeout(db, 5000)
    sqlite3_extended_result_codes(db, 1)
    // "double quoted" strings are identifiers, as the SQL standard says; avoids silent typos in sql().
    _disableDoubleQuotedStringLiterals(db)
  }

  deinit { sqlite3_close_v2(handle) }

  func error(_ rc: Int32) -> IndexError {
    let msg = String(cString: sqlite3_errmsg(handle))
    let primary = rc & 0xff
    if primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB { return .corrupt(path: path, message: msg) }
    return .sqlite(code: rc, message: msg)
  }

  func exec(_ sql: String) throws(IndexError) {
    let rc = sqlite3_exec(handle, sql, nil, nil, nil)
    guard rc == SQLITE_OK else { throw error(rc) }
  }

  func prepare(_ sql: String) throws(IndexError) -> Statement {
    var stmt: OpaquePointer?
    let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
    guard rc == SQLITE_OK, let stmt else { throw error(rc) }
    return Statement(stmt, connection: self)
  }

  var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

  /// Runs `body` in one write transaction; rolls back if it throws. Inside another transaction
  /// it is a savepoint of that one, so a bulk build can hold one transaction over many batches.
  func transaction<T>(_ body: () throws(IndexError) -> T) throws(IndexError) -> T {
    let nested = sqlite3_get_autocommit(handle) == 0
    try exec(nested ? "SAVEPOINT nested" : "BEGIN IMMEDIATE")
    do {
      let value = try body()
      try exec(nested ? "RELEASE nested" : "COMMIT")
      return value
    } catch {
      try? exec(nested ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK")
      throw error
    }
  }

  /// Runs `body` in one read transaction (inside another transaction: in that one), so that
  /// several statements see one snapshot of the file even if another process commits meanwhile
  /// (WAL readers keep the snapshot their transaction started with).
  func readTransaction<T>(_ body: () throws(IndexError) -> T) throws(IndexError) -> T {
    guard sqlite3_get_autocommit(handle) != 0 else { return try body() }
    try exec("BEGIN")
    do {
      let value = try body()
      try exec("COMMIT")
      return value
    } catch {
      try? exec("ROLLBACK")
      throw error
    }
  }

  /// First column of the first row as an integer (nil for no row or NULL).
  func scalarInt(_ sql: String, _ params: [SQLValue] = []) throws(IndexError) -> Int64? {
    let s = try prepare(sql)
    try s.bind(params)
    guard try s.step() else { return nil }
    return s.isNull(0) ? nil : s.int(0)
  }
}

/// A prepared statement; finalized when released.
final class Statement {
  let handle: OpaquePointer
  unowned let connection: Connection

  init(_ handle: OpaquePointer, connection: Connection) {
    self.handle = handle
    self.connection = connection
  }

  deinit { sqlite3_finalize(handle) }

  func bind(_ index: Int32, _ value: SQLValue) {
    switch value {
    case .null: sqlite3_bind_null(handle, index)
    case .integer(let i): sqlite3_bind_int64(handle, index, i)
    case .real(let d): sqlite3_bind_double(handle, index, d)
    case .text(let s): sqlite3_bind_text(handle, index, s, -1, sqliteTransient())
    case .blob(let b):
      b.withUnsafeBytes { raw in
        _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), sqliteTransient())
      }
    }
  }

  func bind(_ values: [SQLValue]) throws(IndexError) {
    for (i, v) in values.enumerated() { bind(Int32(i + 1), v) }
  }

  @inline(__always) func bind(_ index: Int32, text: String?) {
    if let text { sqlite3_bind_text(handle, index, text, -1, sqliteTransient()) } else { sqlite3_bind_null(handle, index) }
  }
  @inline(__always) func bind(_ index: Int32, double: Double?) {
    if let double, double.isFinite { sqlite3_bind_double(handle, index, double) } else { sqlite3_bind_null(handle, index) }
  }
  @inline(__always) func bind(_ index: Int32, int: Int64?) {
    if let int { sqlite3_bind_int64(handle, index, int) } else { sqlite3_bind_null(handle, index) }
  }
  @inline(__always) func bind(_ index: Int32, blob: [UInt8]) {
    blob.withUnsafeBytes { raw in
      _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), sqliteTransient())
    }
  }

  /// Steps once: true when a row is available, false when done.
  func step() throws(IndexError) -> Bool {
    let rc = sqlite3_step(handle)
    if rc == SQLITE_ROW { return true }
    if rc == SQLITE_DONE { return false }
    throw connection.error(rc)
  }

  /// Steps to completion, then resets and clears bindings for reuse.
  func run() throws(IndexError) {
    defer { reset() }
    while try step() {}
  }

  func reset() {
    sqlite3_reset(handle)
    sqlite3_clear_bindings(handle)
  }

  var columnCount: Int32 { sqlite3_column_count(handle) }
  func columnName(_ i: Int32) -> String { String(cString: sqlite3_column_name(handle, i)) }
  func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
  func int(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
  func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
  func optionalDouble(_ i: Int32) -> Double? { isNull(i) ? nil : double(i) }
  func text(_ i: Int32) -> String {
    guard let p = sqlite3_column_text(handle, i) else { return "" }
    return String(cString: p)
  }
  func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
  func blob(_ i: Int32) -> [UInt8] {
    let n = Int(sqlite3_column_bytes(handle, i))
    guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
    return Array(UnsafeRawBufferPointer(start: p, count: n))
  }
  func value(_ i: Int32) -> SQLValue {
    switch sqlite3_column_type(handle, i) {
    case SQLITE_INTEGER: .integer(int(i))
    case SQLITE_FLOAT: .real(double(i))
    case SQLITE_TEXT: .text(text(i))
    case SQLITE_BLOB: .blob(blob(i))
    default: .null
    }
  }
}
