import AnnotModel
import AnnotStore
import AnnotDiff
import AnnotMerge
import AnnotIndex
import AnnotFormats

// The value types of the rooms below that the Kit's operations hand out, under the Kit's name:
// a caller (the CLI) imports AnnotKit and AnnotModel only, never a room below the Kit
// (Tests/AnnotCLITests/ImportBoundaryTests.swift fails otherwise). Operations stay in the Kit.

// Store
public typealias CommitInfo = AnnotStore.CommitInfo
public typealias Signature = AnnotStore.Signature
public typealias TransferCallbacks = AnnotStore.TransferCallbacks
public typealias TransferProgress = AnnotStore.TransferProgress
public typealias RemoteConfig = AnnotStore.RemoteConfig

// Diff (its outcome, the change vocabulary and the words for each change)
public typealias DatasetDiff = AnnotDiff.DatasetDiff
public typealias ImageDiff = AnnotDiff.ImageDiff
public typealias AnnotationChange = AnnotDiff.AnnotationChange
public typealias SchemaDiff = AnnotDiff.SchemaDiff
public typealias FieldChange = AnnotDiff.FieldChange
public typealias ChangeKind = AnnotDiff.ChangeKind
public typealias ChangeCounts = AnnotDiff.ChangeCounts
public typealias ChangeWords = AnnotDiff.ChangeWords

// Merge
public typealias ConflictChoice = AnnotMerge.ConflictChoice

// Index (query, sql and stats outcomes)
public typealias QueryMode = AnnotIndex.QueryMode
public typealias QueryOutcome = AnnotIndex.QueryOutcome
public typealias SQLResult = AnnotIndex.SQLResult
public typealias SQLValue = AnnotIndex.SQLValue
public typealias IndexStats = AnnotIndex.IndexStats
public typealias IndexError = AnnotIndex.IndexError
public typealias DiffError = AnnotDiff.DiffError

/// One dataset format as `annot formats` lists it.
public struct FormatInfo: Sendable, Hashable {
  public var name: String
  public var summary: String
  public var canImport: Bool
  public var canExport: Bool
}

extension Repository {
  /// The built-in formats, in the registry's order (importers first, as `annot formats` lists them).
  public static func formats() -> [FormatInfo] {
    let r = FormatRegistry.builtIn
    let exp = Set(r.exporters.map(\.name))
    return r.importers.map { FormatInfo(name: $0.name, summary: $0.summary, canImport: true, canExport: exp.contains($0.name)) }
  }

  /// The commit `id` (tree, parents, author, committer, message).
  public func commitInfo(_ id: ObjectID) throws -> CommitInfo { try git.commit(id) }

  /// A git configuration value of this repository (`core.pager`, `core.editor`, ...).
  public func config(_ key: String) -> String? { git.config(key) }

  /// Refs under `prefix` with the commits they name.
  public func references(prefix: String) throws -> [(name: String, id: ObjectID)] { try git.references(prefix: prefix) }

  /// The tree of HEAD, or the empty tree on an unborn branch.
  public func headTreeOrEmpty() throws -> ObjectID { try headTree() ?? git.emptyTree() }
}
