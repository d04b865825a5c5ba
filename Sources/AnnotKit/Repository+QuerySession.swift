import Foundation
import AnnotModel
import AnnotIndex

extension Repository {
  /// An open index at one revision, for running many queries in one process (`annot-bench`, a
  /// long-running tool). `query(_:options:)` opens the index and checks the revision on every
  /// call; a session does that once, so the time of `query` here is the time of the query.
  public final class QuerySession {
    /// The commit the session answers for.
    public let commit: ObjectID
    let index: LabelIndex

    init(commit: ObjectID, index: LabelIndex) {
      self.commit = commit
      self.index = index
    }

    /// The annotations (or images, or counts) matching `expression` at the session's commit.
    public func query(_ expression: String, mode: QueryMode = .annotations, limit: Int? = nil) throws -> QueryOutcome {
      do { return try index.query(expression, revision: commit, mode: mode, limit: limit) } catch { throw AnnotError.index(error) }
    }
  }

  /// Indexes `revision` if needed and returns a session over it.
  public func openQuerySession(revision: String = "HEAD") throws -> QuerySession {
    let commit = try resolveCommit(revision)
    return QuerySession(commit: commit, index: try ensureIndexed(commit))
  }
}
