import AnnotModel

/// Everything the index can fail with. The set is closed so callers can decide per case:
/// `.corrupt` and `.newerSchema` mean "delete the file and rebuild" (`LabelIndex.remove(at:)`).
public enum IndexError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The database file could not be opened or created.
  case cannotOpen(path: String, message: String)
  /// The file is not a readable annot index (not SQLite, damaged, or someone else's database).
  case corrupt(path: String, message: String)
  /// The index was written by a newer annot whose schema this build does not know.
  case newerSchema(found: Int, supported: Int)
  /// A revision was asked for that is not indexed yet.
  case unknownRevision(ObjectID)
  /// A revision listing names a document blob that `indexDocuments` has not seen.
  case missingDocument(ObjectID)
  /// A filter expression did not parse or type-check.
  case query(QueryParseError)
  /// `sql()` was given something other than one read-only statement.
  case notReadOnly(String)
  /// `sql()` ran longer than its time limit and was interrupted.
  case timeout(seconds: Double)
  /// Any other SQLite failure, with its result code and message.
  case sqlite(code: Int32, message: String)

  public var description: String {
    switch self {
    case .cannotOpen(let p, let m): "cannot open the index \(p): \(m)"
    case .corrupt(let p, let m): "the index \(p) is damaged (\(m)); run 'annot reindex' to rebuild it"
    case .newerSchema(let f, let s):
      "the index has schema version \(f), this annot knows up to \(s); upgrade annot or run 'annot reindex'"
    case .unknownRevision(let c): "revision \(c.short) is not indexed; run 'annot reindex'"
    case .missingDocument(let b): "document blob \(b.short) is not indexed; index documents before revisions"
    case .query(let e): e.description
    case .notReadOnly(let m): "sql: \(m)"
    case .timeout(let s): "sql: the statement ran longer than \(CanonicalNumber.format(s)) s and was stopped (raise the limit with ANNOT_SQL_TIMEOUT)"
    case .sqlite(let c, let m): "sqlite error \(c): \(m)"
    }
  }
}
