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

  /// One open tree object: a folder's root node or one of its buckets.
  private final class Node {
    let tree: OpaquePointer?
    let split: Bool
    /// Opened buckets by digit (split nodes only).
    var buckets: [Node?] = []
    init(tree: OpaquePointer?, split: Bool) {
      self.tree = tree
      self.split = split
      if split { buckets = Array(repeating: nil, count: 16) }
    }
  }

  /// The root node of each folder looked up, by dataset path ("" is the root; nil: no such
  /// folder). Every node stays open for the reader's lifetime.
  private var folders: [String: Node?] = [:]
  private var opened: [OpaquePointer] = []

  public init(_ repo: GitRepository, root: ObjectID) throws {
    self.repo = repo
    self.root = root
    // The empty tree may be virtual (never written; see `GitRepository.emptyTree()`).
    if root == GitRepository.emptyTreeID { folders[""] = Node(tree: nil, split: false); return }
    let t = try repo.sync { () throws -> OpaquePointer? in
      var oid = root.git
      var t: OpaquePointer?
      let rc = git_tree_lookup(&t, repo.raw, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(root.hex) }
      try check("git_tree_lookup", rc)
      return t
    }
    if let t { opened.append(t) }
    folders[""] = Node(tree: t, split: repo.sync { Self.isSplit(t) })
  }

  deinit {
    for t in opened { git_tree_free(t) }
  }

  /// The entry at dataset path `path` ("a/b/c.png"), or nil.
  public func entry(_ path: String) throws -> TreeEntry? {
    let (dir, name) = Self.split(path)
    guard let folder = try folder(at: dir), let (isTree, id) = try lookup(name, in: folder) else { return nil }
    return TreeEntry(name: name, id: id, isTree: isTree)
  }

  /// The blob id at `path`, or nil when there is none (or it is a directory).
  public func blob(_ path: String) throws -> ObjectID? {
    guard let e = try entry(path), !e.isTree else { return nil }
    return e.id
  }

  /// The root node of the folder at dataset path `dir`, or nil when there is no such folder.
  private func folder(at dir: String) throws -> Node? {
    if let known = folders[dir] { return known }
    let (parent, name) = Self.split(dir)
    var node: Node?
    if let p = try folder(at: parent), let leaf = try leafTree(for: name, from: p) {
      node = try open(name, in: leaf)
    }
    folders[dir] = .some(node)
    return node
  }

  /// Looks `name` up in the folder whose root node is `folder`.
  private func lookup(_ name: String, in folder: Node) throws -> (isTree: Bool, id: ObjectID)? {
    guard let t = try leafTree(for: name, from: folder) else { return nil }
    return repo.sync {
      guard let e = name.withCString({ git_tree_entry_byname(t, $0) }) else { return nil }
      return (git_tree_entry_type(e) == GIT_OBJECT_TREE, ObjectID(git_tree_entry_id(e)))
    }
  }

  /// The node of `folder` that holds `name` if anything does: down one bucket per digit of the
  /// name's hash (FanOut), each bucket opened once.
  private func leafTree(for name: String, from folder: Node) throws -> OpaquePointer? {
    var node = folder
    var hash: UInt64 = 0
    var depth = 0
    while node.split {
      guard depth < FanOut.maxDepth, let t = node.tree else { return nil }
      if depth == 0 { hash = FanOut.hashPrefix(of: name) }
      let d = depth < 16 ? Int(hash >> (60 - 4 * UInt64(depth)) & 15) : FanOut.digit(of: name, depth: depth)
      if node.buckets[d] == nil { node.buckets[d] = try open(FanOut.bucketName(d), in: t) }
      node = node.buckets[d]!
      depth += 1
    }
    return node.tree
  }

  private func open(_ name: String, in parent: OpaquePointer) throws -> Node {
    try repo.sync {
      guard let e = name.withCString({ git_tree_entry_byname(parent, $0) }), git_tree_entry_type(e) == GIT_OBJECT_TREE else {
        return Node(tree: nil, split: false)
      }
      var t: OpaquePointer?
      try check("git_tree_lookup", git_tree_lookup(&t, repo.raw, git_tree_entry_id(e)))
      if let t { opened.append(t) }
      return Node(tree: t, split: Self.isSplit(t))
    }
  }

  /// Whether an open tree is a fan-out node (called under the repository's lock).
  static func isSplit(_ t: OpaquePointer?) -> Bool {
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
