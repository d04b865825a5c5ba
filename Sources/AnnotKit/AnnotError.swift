import AnnotModel
import AnnotIndex
import AnnotDiff

/// Errors the porcelain reports to users: what is wrong and, where useful, what to do.
public enum AnnotError: Error, Sendable, CustomStringConvertible {
  case notARepository(String)
  case alreadyARepository(String)
  case unknownRevision(String)
  case nothingToCommit
  case pathOutsideRepository(String)
  case invalidPath(String, reason: String)
  /// Bad input in a file: the file, the place inside it and what is wrong.
  case invalidFile(file: String, place: String, message: String)
  case noSuchPath(String, revision: String)
  case branchExists(String)
  case noSuchBranch(String)
  case tagExists(String)
  case noSuchTag(String)
  case invalidName(String, kind: String)
  case cannotDeleteCurrentBranch(String)
  case branchNotMerged(String)
  case stagedChanges(String)
  case unbornBranch(String)
  case mergeInProgress
  case noMergeInProgress
  case unresolvedConflicts(Int)
  /// The query index failed (a filter that does not parse, a damaged index, SQL refused): the
  /// index's own error, kept whole so a caller can tell `.corrupt` from `.query`.
  case index(IndexError)
  /// The semantic diff could not read or parse a document.
  case diff(DiffError)
  /// A file the user named could not be written (`reason` from the system).
  case cannotWrite(path: String, reason: String)
  /// A path the user named for a file is a directory.
  case isADirectory(String)
  /// Anything else, already a sentence for the user; never a typed cause turned into text.
  case other(String)

  /// One line: control characters in paths and values are escaped (see `DisplayText`).
  public var description: String { DisplayText.quoted(text) }

  private var text: String {
    switch self {
    case .notARepository(let p): "not an annot repository (or any parent up to /): \(p) (run 'annot init' to create one)"
    case .alreadyARepository(let p): "\(p) is already an annot repository"
    case .unknownRevision(let r): "unknown revision '\(r)'"
    case .nothingToCommit: "nothing to commit (stage changes with 'annot import', 'annot add' or 'annot rm' first)"
    case .pathOutsideRepository(let p): "\(p): outside the repository"
    case let .invalidPath(p, reason): "\(p): invalid dataset path: \(reason)"
    case let .invalidFile(file, place, message): place.isEmpty ? "\(file): \(message)" : "\(file): \(place): \(message)"
    case let .noSuchPath(p, rev): "path '\(p)' does not exist in '\(rev)'"
    case .branchExists(let b): "a branch named '\(b)' already exists"
    case .noSuchBranch(let b): "no branch named '\(b)'"
    case .tagExists(let t): "tag '\(t)' already exists"
    case .noSuchTag(let t): "no tag named '\(t)'"
    case let .invalidName(n, kind): "'\(n)' is not a valid \(kind) name"
    case .cannotDeleteCurrentBranch(let b): "cannot delete branch '\(b)': it is the current branch (switch to another first)"
    case .branchNotMerged(let b): "branch '\(b)' is not fully merged (use -D to delete it anyway)"
    case .stagedChanges(let what): "you have staged changes that \(what) would lose; commit them or run 'annot reset --hard' first"
    case .unbornBranch(let b): "branch '\(b)' has no commits yet"
    case .mergeInProgress: "a merge is in progress; settle it with 'annot resolve' and 'annot merge --continue', or 'annot merge --abort'"
    case .noMergeInProgress: "there is no merge in progress"
    case .unresolvedConflicts(let n): "\(n) conflict\(n == 1 ? "" : "s") still unresolved; see 'annot status' and settle them with 'annot resolve'"
    case .index(let e): "\(e)"
    case .diff(let e): "\(e)"
    case let .cannotWrite(path, reason): "\(path): cannot write: \(reason)"
    case .isADirectory(let p): "\(p): is a directory"
    case .other(let m): m
    }
  }
}
