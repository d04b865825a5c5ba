import AnnotModel
import GRDBSQLite

extension LabelIndex {
  /// The tables a rebuild empties (every table of IndexSchema; add new ones here).
  static let rebuiltTables = ["rev_paths", "revs", "anns", "docs", "labels", "kinds", "attr_sets"]

  /// Empties the index and runs `body` (which indexes everything again) in one write
  /// transaction. Readers in other processes (WAL) keep seeing the old index, complete, until
  /// the new one commits, then see the new one; a kill or a throw leaves the old one. This is
  /// what `annot reindex` uses instead of deleting the file, which made concurrent readers fail
  /// with "table docs already exists" or "UNIQUE constraint failed".
  public func rebuild<T>(_ body: () throws -> T) throws -> T {
    try db.exec("BEGIN IMMEDIATE")
    do {
      for t in Self.rebuiltTables { try db.exec("DELETE FROM \(t)") }
      viewRevision = nil
      let result = try body()
      try db.exec("COMMIT")
      return result
    } catch {
      try? db.exec("ROLLBACK")
      viewRevision = nil
      throw error
    }
  }

  /// Whether a transaction is open on this connection (bulk builds nest inside a rebuild).
  var inTransaction: Bool { sqlite3_get_autocommit(db.handle) == 0 }
}
