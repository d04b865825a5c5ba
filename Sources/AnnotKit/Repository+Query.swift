import Foundation
import AnnotModel
import AnnotIndex

// Query, sql and stats over the index, as Kit operations: one function each, with options and
// a typed outcome; the index is brought up to date for the revision first.

extension Repository {
  public struct QueryOptions: Sendable {
    /// The revision to search (default HEAD).
    public var revision = "HEAD"
    /// Annotation rows, image rows, or counts only.
    public var mode: QueryMode = .annotations
    /// At most this many rows (counts are unaffected).
    public var limit: Int?
    public init() {}
  }

  /// `annot query EXPR`: the annotations (or images, or counts) matching a filter at a revision.
  /// Throws `AnnotError.index(.query(...))` with line and column for a filter that does not parse.
  public func query(_ expression: String, options: QueryOptions = .init()) throws -> QueryOutcome {
    let commit = try resolveCommit(options.revision)
    let index = try ensureIndexed(commit)
    do { return try index.query(expression, revision: commit, mode: options.mode, limit: options.limit) } catch { throw AnnotError.index(error) }
  }

  /// `annot sql STATEMENT`: a read-only statement over the views of a revision.
  public func sql(_ statement: String, revision: String = "HEAD") throws -> SQLResult {
    let commit = try resolveCommit(revision)
    let index = try ensureIndexed(commit)
    do { return try index.sql(statement, revision: commit) } catch { throw AnnotError.index(error) }
  }

  /// `annot stats [REV]`: counts per class, kind, size, split and attribute value.
  public func stats(revision: String = "HEAD") throws -> IndexStats {
    let commit = try resolveCommit(revision)
    let index = try ensureIndexed(commit)
    do { return try index.stats(revision: commit) } catch { throw AnnotError.index(error) }
  }
}
