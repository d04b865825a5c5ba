import CGit2
import AnnotModel
import Foundation

/// One entry of a tree.
public struct TreeEntry: Sendable, Hashable {
  public var name: String
  public var id: ObjectID
  public var isTree: Bool
}

/// An edit to apply to a tree: insert or replace a blob at a path, insert a gitlink (a tree
/// entry naming an object that need not exist locally, mode 160000; the labels mirror), or
/// remove a path.
public enum TreeUpdate: Sendable, Hashable {
  case upsert(path: String, blob: ObjectID)
  case gitlink(path: String, id: ObjectID)
  case remove(path: String)
  public var path: String {
    switch self { case .upsert(let p, _), .gitlink(let p, _), .remove(let p): p }
  }
}

extension GitRepository {
  /// git's empty tree, `4b825dc…` (SHA-1 of `tree 0\0`).
  public static let emptyTreeID = ObjectID(hex: "4b825dc642cb6eb9a060e54bf8d69288fbee4904")!

  /// The id of the empty tree. Nothing is written: the readers here treat it as present
  /// (no entries), and the writers (`createCommit`, `updateTree`) write it when a
  /// commit or a new tree needs it. So a read-only command on a repository without commits
  /// leaves the object database untouched.
  public func emptyTree() throws -> ObjectID { Self.emptyTreeID }

  /// Writes the empty tree object (idempotent) and returns its id.
  func writeEmptyTree() throws -> ObjectID {
    try sync {
      var tb: OpaquePointer?
      try check("git_treebuilder_new", git_treebuilder_new(&tb, raw, nil))
      defer { git_treebuilder_free(tb) }
      var oid = git_oid()
      try check("git_treebuilder_write", git_treebuilder_write(&oid, tb))
      return ObjectID(oid)
    }
  }

  /// Runs `body` on the looked-up tree `id` (under the repository's lock); a missing tree throws
  /// `StoreError.notFound`, an object that is not a tree a `GitError`.
  func withTree<T>(_ id: ObjectID, _ body: (OpaquePointer?) throws -> T) throws -> T {
    try sync {
      var oid = id.git
      var tree: OpaquePointer?
      let rc = git_tree_lookup(&tree, raw, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(id.hex) }
      try check("git_tree_lookup", rc)
      defer { git_tree_free(tree) }
      return try body(tree)
    }
  }

  /// Entries of the tree `id` (one level).
  public func treeEntries(_ id: ObjectID) throws -> [TreeEntry] {
    if id == Self.emptyTreeID { return [] }
    return try withTree(id) { tree in
      let n = git_tree_entrycount(tree)
      var out: [TreeEntry] = []
      out.reserveCapacity(n)
      for i in 0..<n {
        let e = git_tree_entry_byindex(tree, i)
        out.append(TreeEntry(name: String(cString: git_tree_entry_name(e)), id: ObjectID(git_tree_entry_id(e)),
                             isTree: git_tree_entry_type(e) == GIT_OBJECT_TREE))
      }
      return out
    }
  }

  /// The entry at `path` inside `tree`, or nil.
  public func entry(tree: ObjectID, path: String) throws -> TreeEntry? {
    if tree == Self.emptyTreeID { return nil }
    return try sync {
      var oid = tree.git
      var t: OpaquePointer?
      try check("git_tree_lookup", git_tree_lookup(&t, raw, &oid))
      defer { git_tree_free(t) }
      var e: OpaquePointer?
      let rc = git_tree_entry_bypath(&e, t, path)
      if rc == GIT_ENOTFOUND.rawValue { return nil }
      try check("git_tree_entry_bypath", rc)
      defer { git_tree_entry_free(e) }
      return TreeEntry(name: String(cString: git_tree_entry_name(e)), id: ObjectID(git_tree_entry_id(e)),
                       isTree: git_tree_entry_type(e) == GIT_OBJECT_TREE)
    }
  }

  /// Every non-tree entry under `tree` (blobs and gitlinks), recursively, in git's order, with
  /// paths relative to `tree` (after `prefix`, when given). The one tree walker of the Store.
  public func leafEntries(under tree: ObjectID, prefix: String = "") throws -> [(path: String, id: ObjectID)] {
    var out: [(String, ObjectID)] = []
    func walk(_ t: ObjectID, _ p: String) throws {
      for e in try treeEntries(t) {
        let path = p.isEmpty ? e.name : p + "/" + e.name
        if e.isTree { try walk(e.id, path) } else { out.append((path, e.id)) }
      }
    }
    try walk(tree, prefix)
    return out
  }

  /// Writes a new tree from `base` with `updates` applied; only changed subtrees are written.
  /// The one tree editor of the Store. Entries may name objects this repository does not hold
  /// (a labels-only clone rebuilding the real trees): strict object creation is off for the
  /// whole process (GitError.swift).
  public func updateTree(_ base: ObjectID?, _ updates: [TreeUpdate]) throws -> ObjectID {
    let baseID = base ?? Self.emptyTreeID
    if updates.isEmpty { return baseID }
    if baseID == Self.emptyTreeID { _ = try writeEmptyTree() }
    return try sync {
      var oid = baseID.git
      var baseline: OpaquePointer?
      try check("git_tree_lookup", git_tree_lookup(&baseline, raw, &oid))
      defer { git_tree_free(baseline) }
      // libgit2 wants C strings that outlive the call.
      let cpaths = updates.map { strdup($0.path)! }
      defer { cpaths.forEach { free($0) } }
      var raws: [git_tree_update] = updates.enumerated().map { i, u in
        var r = git_tree_update()
        r.path = UnsafePointer(cpaths[i])
        switch u {
        case .upsert(_, let blob): r.action = GIT_TREE_UPDATE_UPSERT; r.id = blob.git; r.filemode = GIT_FILEMODE_BLOB
        case .gitlink(_, let id): r.action = GIT_TREE_UPDATE_UPSERT; r.id = id.git; r.filemode = GIT_FILEMODE_COMMIT
        case .remove: r.action = GIT_TREE_UPDATE_REMOVE
        }
        return r
      }
      var out = git_oid()
      try check("git_tree_create_updated", git_tree_create_updated(&out, raw, baseline, raws.count, &raws))
      return ObjectID(out)
    }
  }

  /// Blob-level changes between two trees; identical subtrees are skipped by id.
  /// `paths` limits the comparison to those prefixes (git pathspecs).
  public func diffTrees(_ a: ObjectID?, _ b: ObjectID?, paths: [String] = []) throws -> [EntryChange] {
    if a == b { return [] }
    return try sync {
      func lookup(_ id: ObjectID?) throws -> OpaquePointer? {
        // A NULL tree diffs as empty, so the (possibly unwritten) empty tree needs no lookup.
        guard let id, id != Self.emptyTreeID else { return nil }
        var oid = id.git
        var t: OpaquePointer?
        try check("git_tree_lookup", git_tree_lookup(&t, raw, &oid))
        return t
      }
      let ta = try lookup(a)
      defer { git_tree_free(ta) }
      let tb = try lookup(b)
      defer { git_tree_free(tb) }
      var opts = git_diff_options()
      try check("git_diff_options_init", git_diff_options_init(&opts, UInt32(GIT_DIFF_OPTIONS_VERSION)))
      opts.flags = GIT_DIFF_SKIP_BINARY_CHECK.rawValue
      let cpaths = paths.map { strdup($0)! }
      defer { cpaths.forEach { free($0) } }
      var ptrs: [UnsafeMutablePointer<CChar>?] = cpaths
      var diff: OpaquePointer?
      try ptrs.withUnsafeMutableBufferPointer { buf in
        opts.pathspec = git_strarray(strings: buf.baseAddress, count: paths.count)
        try check("git_diff_tree_to_tree", git_diff_tree_to_tree(&diff, raw, ta, tb, &opts))
      }
      defer { git_diff_free(diff) }
      let n = git_diff_num_deltas(diff)
      var out: [EntryChange] = []
      out.reserveCapacity(n)
      for i in 0..<n {
        guard let d = git_diff_get_delta(diff, i)?.pointee else { continue }
        let path = String(cString: d.new_file.path ?? d.old_file.path)
        let old: ObjectID? = d.status == GIT_DELTA_ADDED ? nil : ObjectID(d.old_file.id)
        let new: ObjectID? = d.status == GIT_DELTA_DELETED ? nil : ObjectID(d.new_file.id)
        out.append(EntryChange(path: path, oldBlob: old, newBlob: new))
      }
      return out
    }
  }
}
