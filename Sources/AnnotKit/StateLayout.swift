import Foundation

/// Every path annot's own state uses under `<root>/.annot/annot/`, in one place: the stage,
/// merge state, the writer lock, caches and temporary files. The Store takes these paths as
/// arguments (`RepositoryLock(path:)`, `PackWriter(repository:tmpDir:)`) and spells none.
/// Everything here but the stage and the merge state is derived data: deleting it is safe.
public struct StateLayout: Sendable, Hashable {
  /// `.annot/annot`.
  public let dir: String
  public init(gitDir: String) { dir = gitDir + "/annot" }

  /// The staged tree id (absent: the stage is HEAD's tree).
  public var stage: String { dir + "/STAGE" }
  /// The writer lock (`flock`), naming its holder.
  public var lock: String { dir + "/lock" }
  /// Temporary files (packs being written, fetches of images); same file system as objects/.
  public var tmp: String { dir + "/tmp" }
  /// The temporary repository `fetch --images` fetches into.
  public func imagesFetch(pid: Int32) -> String { tmp + "/images-\(pid)" }

  // Merge state (a merge, cherry-pick or revert in progress).
  public var mergeHead: String { dir + "/MERGE_HEAD" }
  public var mergeMessage: String { dir + "/MERGE_MSG" }
  public var conflicts: String { dir + "/CONFLICTS.json" }
  public var originalStage: String { dir + "/ORIG_STAGE" }
  /// Every file of the merge state, for clearing it.
  public var mergeState: [String] { [mergeHead, conflicts, originalStage, mergeMessage] }

  // Caches.
  /// The query index (AnnotIndex).
  public var index: String { dir + "/index.sqlite" }
  /// Stat data of files already hashed (`annot add`, imports).
  public var statCache: String { dir + "/stat-cache" }
  /// Source file → blob of an import.
  public var importMemo: String { dir + "/import-memo" }
  /// Converted source → document blob of an import.
  public var convertMemo: String { dir + "/convert-memo" }
  /// Images downloaded from an image store, checked before they enter the object store.
  public var imageStoreIncoming: String { dir + "/image-store/incoming" }
  /// Real commit → labels mirror commit.
  public var labelsMap: String { dir + "/labels-map" }
}
