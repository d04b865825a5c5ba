import CGit2
import AnnotModel
import Foundation

// Primitives for checking history that arrived from elsewhere (a fetch, a clone, or a repository
// plain git wrote): tree entries exactly as stored (name bytes and raw mode, which
// `treeEntries` turns into a String and a tree/not-tree flag), and object kinds without reading
// content. AnnotKit's IncomingCheck applies annot's rules with them.

/// One tree entry as stored: the name's bytes (not necessarily UTF-8), the raw file mode.
public struct RawTreeEntry: Sendable, Hashable {
  public var name: [UInt8]
  public var mode: UInt32
  public var id: ObjectID

  public static let treeMode: UInt32 = 0o040000
  public static let blobMode: UInt32 = 0o100644
  public static let executableMode: UInt32 = 0o100755
  public static let symlinkMode: UInt32 = 0o120000
  public static let gitlinkMode: UInt32 = 0o160000
}

/// A folder's entries against a base folder's (`GitRepository.rawFolderDelta`).
public struct RawFolderDelta: Sendable {
  /// Entries that are new or differ from the base's entry of the same name (given with them).
  public var changed: [(entry: RawTreeEntry, base: RawTreeEntry?)] = []
  /// Base entries whose name is gone.
  public var removed: [RawTreeEntry] = []
  /// Entries stored in a bucket their name does not hash to (bucket path, name).
  public var misplaced: [(bucket: String, name: [UInt8])] = []
}

/// Kinds of git objects.
public enum ObjectKind: String, Sendable {
  case commit, tree, blob, tag
}

extension GitRepository {
  /// The entries of tree `id` as stored. Throws `StoreError.notFound` for a missing tree, and
  /// a `GitError` for an object that is not a tree or does not parse as one.
  public func rawTreeEntries(_ id: ObjectID) throws -> [RawTreeEntry] {
    if id == Self.emptyTreeID { return [] }
    return try withTree(id) { tree in
      let n = git_tree_entrycount(tree)
      var out: [RawTreeEntry] = []
      out.reserveCapacity(n)
      for i in 0..<n {
        let e = git_tree_entry_byindex(tree, i)
        let cname = git_tree_entry_name(e)!
        let name = Array(UnsafeBufferPointer(start: UnsafeRawPointer(cname).assumingMemoryBound(to: UInt8.self), count: strlen(cname)))
        out.append(RawTreeEntry(name: name, mode: UInt32(git_tree_entry_filemode_raw(e).rawValue), id: ObjectID(git_tree_entry_id(e))))
      }
      return out
    }
  }

  /// How the folder stored at `id` differs from the folder stored at `base`, entry by entry, with
  /// large folders' buckets read through (FanOut). Buckets with the same id on both sides are
  /// skipped unread, so a folder of a million entries with ten changed costs ten entries' buckets.
  /// `misplaced` names entries whose bucket is not the one their name's hash gives: a path lookup
  /// would not find them, so such a tree is refused, as git refuses an unsorted one.
  public func rawFolderDelta(_ id: ObjectID, base: ObjectID?) throws -> RawFolderDelta {
    var delta = RawFolderDelta()
    var newSide: [RawTreeEntry] = [], oldSide: [RawTreeEntry] = []
    func isSplit(_ es: [RawTreeEntry], _ depth: Int) -> Bool {
      depth < FanOut.maxDepth && !es.isEmpty && es.count <= 16 && es.allSatisfy { $0.mode == RawTreeEntry.treeMode && FanOut.isBucketName($0.name) }
    }
    func take(_ es: [RawTreeEntry], depth: Int, digits: [UInt8], incoming: Bool) throws {
      if isSplit(es, depth) {
        for b in es { try take(try rawTreeEntries(b.id), depth: depth + 1, digits: digits + [UInt8(FanOut.digitValue(b.name[1]))], incoming: incoming) }
        return
      }
      if incoming, !digits.isEmpty {
        for e in es where !FanOut.digits(of: e.name).starts(with: digits) {
          delta.misplaced.append((bucket: digits.map { FanOut.bucketName(Int($0)) }.joined(separator: "/"), name: e.name))
        }
      }
      if incoming { newSide += es } else { oldSide += es }
    }
    func pair(_ n: ObjectID?, _ b: ObjectID?, depth: Int, digits: [UInt8]) throws {
      if n == b { return }
      let ne = try n.map { try rawTreeEntries($0) } ?? [], be = try b.map { try rawTreeEntries($0) } ?? []
      if isSplit(ne, depth), isSplit(be, depth) {
        var nb: [UInt8: ObjectID] = [:], bb: [UInt8: ObjectID] = [:]
        for e in ne { nb[UInt8(FanOut.digitValue(e.name[1]))] = e.id }
        for e in be { bb[UInt8(FanOut.digitValue(e.name[1]))] = e.id }
        for d in Set(nb.keys).union(bb.keys).sorted() { try pair(nb[d], bb[d], depth: depth + 1, digits: digits + [d]) }
        return
      }
      try take(ne, depth: depth, digits: digits, incoming: true)
      try take(be, depth: depth, digits: digits, incoming: false)
    }
    try pair(id, base, depth: 0, digits: [])
    var oldByName: [[UInt8]: RawTreeEntry] = [:]
    for e in oldSide { oldByName[e.name] = e }
    var newNames = Set<[UInt8]>()
    for e in newSide {
      newNames.insert(e.name)
      let old = oldByName[e.name]
      if old != e { delta.changed.append((e, old)) }
    }
    delta.removed = oldSide.filter { !newNames.contains($0.name) }
    return delta
  }

  /// The kind of object `id`, or nil when the store does not have it (reads only the header).
  public func objectKind(_ id: ObjectID) -> ObjectKind? {
    if id == Self.emptyTreeID { return .tree }
    return sync {
      var odb: OpaquePointer?
      guard git_repository_odb(&odb, raw) == 0 else { return nil }
      defer { git_odb_free(odb) }
      var oid = id.git
      var len = 0
      var type = GIT_OBJECT_ANY
      guard git_odb_read_header(&len, &type, odb, &oid) == 0 else { git_error_clear(); return nil }
      switch type {
      case GIT_OBJECT_COMMIT: return .commit
      case GIT_OBJECT_TREE: return .tree
      case GIT_OBJECT_BLOB: return .blob
      case GIT_OBJECT_TAG: return .tag
      default: return nil
      }
    }
  }

  /// The object an annotated tag points at, and its kind as the tag states it.
  public func tagTarget(_ id: ObjectID) throws -> ObjectID {
    try sync {
      var oid = id.git
      var t: OpaquePointer?
      try check("git_tag_lookup", git_tag_lookup(&t, raw, &oid))
      defer { git_tag_free(t) }
      return ObjectID(git_tag_target_id(t))
    }
  }

  /// Every ref name with the object it points at directly (tags not peeled), for checks that
  /// must see what a ref really names. `references(prefix:)` peels tags to commits.
  public func directReferences() throws -> [(name: String, id: ObjectID)] {
    try sync {
      var out: [(String, ObjectID)] = []
      var it: OpaquePointer?
      try check("git_reference_iterator_new", git_reference_iterator_new(&it, raw))
      defer { git_reference_iterator_free(it) }
      var r: OpaquePointer?
      while git_reference_next(&r, it) == 0 {
        if git_reference_type(r) == GIT_REFERENCE_DIRECT, let t = git_reference_target(r) {
          out.append((String(cString: git_reference_name(r)), ObjectID(t)))
        }
        git_reference_free(r)
      }
      return out
    }
  }

  /// Whether `name` is a well-formed reference name (git's check-ref-format rules).
  public static func isValidReferenceName(_ name: String) -> Bool {
    var valid: Int32 = 0
    _ = libgit2Initialised
    return git_reference_name_is_valid(&valid, name) == 0 && valid == 1
  }
}
