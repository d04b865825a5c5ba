import CGit2
import Foundation
import AnnotModel

/// Answers many path lookups in one tree, each directory parsed once.
///
/// Why not `git_tree_entry_bypath` per path: it looks the root up again on every call, and
/// libgit2's object cache keeps only trees under 4 KiB, so in a flat folder of 100,000 images
/// every lookup inflated and parsed the whole 4 MB tree again (an import of a round was quadratic).
/// Here each directory's `git_tree` stays open for the reader's lifetime and a lookup is one
/// binary search (`git_tree_entry_byname`). Memory is what the touched directories' trees need.
///
/// Large folders are read through their buckets (FanOut): a lookup goes down one bucket per
/// digit of the name's hash, so it costs a few small trees, not the folder.
///
/// Not thread-safe on its own; calls go through the repository's lock like every libgit2 call.
public final class TreeReader {
  private let repo: GitRepository
  public let root: ObjectID
  /// Open tree nodes by stored path ("" is the root; a large folder's buckets as `dir/@3/@a`);
  /// `tree` nil marks a path that is not a directory. `split` is whether the node is a fan-out
  /// node (FanOut).
  private var trees: [String: (tree: OpaquePointer?, split: Bool)] = [:]
  /// Stored path of each folder looked up, by dataset path (nil: no such folder).
  private var folders: [String: String?] = [:]

  public init(_ repo: GitRepository, root: ObjectID) throws {
    self.repo = repo
    self.root = root
    // The empty tree may be virtual (never written; see `GitRepository.emptyTree()`).
    if root == GitRepository.emptyTreeID { trees[""] = (nil, false); return }
    let t = try repo.sync { () throws -> OpaquePointer? in
      var oid = root.git
      var t: OpaquePointer?
      let rc = git_tree_lookup(&t, repo.raw, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(root.hex) }
      try check("git_tree_lookup", rc)
      return t
    }
    trees[""] = (t, repo.sync { Self.isSplit(t) })
  }

  deinit {
    for case let t? in trees.values.map(\.tree) { git_tree_free(t) }
  }

  /// The entry at dataset path `path` ("a/b/c.png"), or nil.
  public func entry(_ path: String) throws -> TreeEntry? {
    let (dir, name) = Self.split(path)
    guard let key = try folder(at: dir) else { return nil }
    return try lookup(name, inFolder: key)?.entry
  }

  /// The blob id at `path`, or nil when there is none (or it is a directory).
  public func blob(_ path: String) throws -> ObjectID? {
    guard let e = try entry(path), !e.isTree else { return nil }
    return e.id
  }

  /// The stored path of the folder at dataset path `dir`, or nil when there is no such folder.
  private func folder(at dir: String) throws -> String? {
    if dir.isEmpty { return "" }
    if let known = folders[dir] { return known }
    let (parent, name) = Self.split(dir)
    var key: String?
    if let p = try folder(at: parent), let e = try lookup(name, inFolder: p), e.isTree { key = e.storedPath }
    folders[dir] = .some(key)
    return key
  }

  /// Looks `name` up in the folder whose root node is at stored path `key`, going down its
  /// buckets by the digits of the name's hash.
  private func lookup(_ name: String, inFolder key: String) throws -> (isTree: Bool, id: ObjectID, storedPath: String, entry: TreeEntry)? {
    var key = key
    var digits: [UInt8]?
    var depth = 0
    while true {
      guard let node = trees[key], let t = node.tree else { return nil }
      if node.split {
        guard depth < FanOut.maxDepth else { return nil }
        if digits == nil { digits = FanOut.digits(of: name.utf8) }
        let bucket = FanOut.bucketName(Int(digits![depth]))
        let child = key.isEmpty ? bucket : key + "/" + bucket
        if trees[child] == nil { trees[child] = try open(bucket, in: t) }
        key = child
        depth += 1
        continue
      }
      let found = repo.sync { () -> (Bool, ObjectID)? in
        guard let e = name.withCString({ git_tree_entry_byname(t, $0) }) else { return nil }
        return (git_tree_entry_type(e) == GIT_OBJECT_TREE, ObjectID(git_tree_entry_id(e)))
      }
      guard let (isTree, id) = found else { return nil }
      let stored = key.isEmpty ? name : key + "/" + name
      if isTree, trees[stored] == nil { trees[stored] = try open(name, in: t) }
      return (isTree, id, stored, TreeEntry(name: name, id: id, isTree: isTree))
    }
  }

  /// Opens the subtree `name` of `parent` (nil when it is not a tree).
  private func open(_ name: String, in parent: OpaquePointer) throws -> (tree: OpaquePointer?, split: Bool) {
    try repo.sync {
      guard let e = name.withCString({ git_tree_entry_byname(parent, $0) }), git_tree_entry_type(e) == GIT_OBJECT_TREE else { return (nil, false) }
      var t: OpaquePointer?
      try check("git_tree_lookup", git_tree_lookup(&t, repo.raw, git_tree_entry_id(e)))
      return (t, Self.isSplit(t))
    }
  }

  /// Whether an open tree is a fan-out node (called under the repository's lock).
  private static func isSplit(_ t: OpaquePointer?) -> Bool {
    guard let t else { return false }
    let n = git_tree_entrycount(t)
    guard n >= 1, n <= 16 else { return false }
    for i in 0..<n {
      let e = git_tree_entry_byindex(t, i)
      guard git_tree_entry_type(e) == GIT_OBJECT_TREE, let c = git_tree_entry_name(e) else { return false }
      let name = UnsafeBufferPointer(start: UnsafeRawPointer(c).assumingMemoryBound(to: UInt8.self), count: strlen(c))
      if !FanOut.isBucketName(name) { return false }
    }
    return true
  }

  private static func split(_ path: String) -> (dir: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[..<slash]), String(path[path.index(after: slash)...]))
  }
}
