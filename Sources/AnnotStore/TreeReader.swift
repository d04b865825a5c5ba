import CGit2
import AnnotModel

/// Answers many path lookups in one tree, each directory parsed once.
///
/// Why not `git_tree_entry_bypath` per path: it looks the root up again on every call, and
/// libgit2's object cache keeps only trees under 4 KiB, so in a flat folder of 100,000 images
/// every lookup inflated and parsed the whole 4 MB tree again (an import of a round was quadratic).
/// Here each directory's `git_tree` stays open for the reader's lifetime and a lookup is one
/// binary search (`git_tree_entry_byname`). Memory is what the touched directories' trees need.
///
/// Not thread-safe on its own; calls go through the repository's lock like every libgit2 call.
public final class TreeReader {
  private let repo: GitRepository
  public let root: ObjectID
  /// Open trees by directory path ("" is the root); nil marks a path that is not a directory.
  private var trees: [String: OpaquePointer?] = [:]

  public init(_ repo: GitRepository, root: ObjectID) throws {
    self.repo = repo
    self.root = root
    let t = try repo.sync { () throws -> OpaquePointer? in
      var oid = root.git
      var t: OpaquePointer?
      let rc = git_tree_lookup(&t, repo.raw, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(root.hex) }
      try check("git_tree_lookup", rc)
      return t
    }
    trees[""] = t
  }

  deinit {
    for case let t? in trees.values { git_tree_free(t) }
  }

  /// The entry at `path` ("a/b/c.png"), or nil.
  public func entry(_ path: String) throws -> TreeEntry? {
    let (dir, name) = Self.split(path)
    guard let t = try tree(at: dir) else { return nil }
    return repo.sync {
      guard let e = name.withCString({ git_tree_entry_byname(t, $0) }) else { return nil }
      return TreeEntry(name: name, id: ObjectID(git_tree_entry_id(e)), isTree: git_tree_entry_type(e) == GIT_OBJECT_TREE)
    }
  }

  /// The blob id at `path`, or nil when there is none (or it is a directory).
  public func blob(_ path: String) throws -> ObjectID? {
    guard let e = try entry(path), !e.isTree else { return nil }
    return e.id
  }

  private func tree(at dir: String) throws -> OpaquePointer? {
    if let cached = trees[dir] { return cached }
    let (parent, name) = Self.split(dir)
    var opened: OpaquePointer? = nil
    if let p = try tree(at: parent) {
      opened = try repo.sync { () throws -> OpaquePointer? in
        guard let e = name.withCString({ git_tree_entry_byname(p, $0) }), git_tree_entry_type(e) == GIT_OBJECT_TREE else { return nil }
        var t: OpaquePointer?
        try check("git_tree_lookup", git_tree_lookup(&t, repo.raw, git_tree_entry_id(e)))
        return t
      }
    }
    trees[dir] = .some(opened)
    return opened
  }

  private static func split(_ path: String) -> (dir: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[..<slash]), String(path[path.index(after: slash)...]))
  }
}
