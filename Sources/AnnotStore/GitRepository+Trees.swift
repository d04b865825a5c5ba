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

  /// The entries of one stored tree object, as stored (a fan-out node's entries are its buckets).
  func nodeEntries(_ id: ObjectID) throws -> [NodeEntry] {
    if id == Self.emptyTreeID { return [] }
    return try withTree(id) { tree in
      let n = git_tree_entrycount(tree)
      var out: [NodeEntry] = []
      out.reserveCapacity(n)
      for i in 0..<n {
        let e = git_tree_entry_byindex(tree, i)
        let cname = git_tree_entry_name(e)!
        out.append(NodeEntry(name: Array(UnsafeBufferPointer(start: UnsafeRawPointer(cname).assumingMemoryBound(to: UInt8.self), count: strlen(cname))),
                             id: ObjectID(git_tree_entry_id(e)), mode: UInt32(git_tree_entry_filemode_raw(e).rawValue)))
      }
      return out
    }
  }

  /// Whether a tree with these entries is a fan-out node: one to sixteen directories, all named
  /// `@<hex digit>` (FanOut).
  static func isFanOutNode(_ entries: [NodeEntry]) -> Bool {
    !entries.isEmpty && entries.count <= 16 && entries.allSatisfy { $0.isTree && FanOut.isBucketName($0.name) }
  }

  /// The entries of the folder stored at tree `id`, its buckets read through when it is a large
  /// folder, in git's order (the order one flat tree of them would have).
  func folderEntries(_ id: ObjectID) throws -> [NodeEntry] {
    let top = try nodeEntries(id)
    guard Self.isFanOutNode(top) else { return top }
    var out: [NodeEntry] = []
    func collect(_ buckets: [NodeEntry], depth: Int) throws {
      for b in buckets {
        let sub = try nodeEntries(b.id)
        // Bounded by the hash's 40 digits, whatever a hostile tree nests.
        if depth + 1 < FanOut.maxDepth, Self.isFanOutNode(sub) { try collect(sub, depth: depth + 1) } else { out += sub }
      }
    }
    try collect(top, depth: 0)
    out.sort(by: NodeEntry.gitOrder)
    return out
  }

  /// Entries of the folder stored at tree `id` (one level; a large folder's buckets are read
  /// through, FanOut).
  public func treeEntries(_ id: ObjectID) throws -> [TreeEntry] {
    try folderEntries(id).map { TreeEntry(name: String(decoding: $0.name, as: UTF8.self), id: $0.id, isTree: $0.isTree) }
  }

  /// The entry at `path` inside `tree`, or nil. For many lookups in one tree use a `TreeReader`.
  public func entry(tree: ObjectID, path: String) throws -> TreeEntry? {
    try TreeReader(self, root: tree).entry(path)
  }

  /// Every non-tree entry under `tree` (blobs and gitlinks), recursively, in git's order, with
  /// paths relative to `tree` (after `prefix`, when given). The one tree walker of the Store.
  public func leafEntries(under tree: ObjectID, prefix: String = "") throws -> [(path: String, id: ObjectID)] {
    var out: [(String, ObjectID)] = []
    func walk(_ t: ObjectID, _ p: String) throws {
      for e in try folderEntries(t) {
        let name = String(decoding: e.name, as: UTF8.self)
        let path = p.isEmpty ? name : p + "/" + name
        if e.isTree { try walk(e.id, path) } else { out.append((path, e.id)) }
      }
    }
    try walk(tree, prefix)
    return out
  }

  /// Writes a new tree from `base` with `updates` applied (a later update of a path wins); only
  /// changed subtrees are written, and folders above `FanOut.limit` entries are spread over
  /// buckets. The one tree editor of the Store. Entries may name objects this repository does not
  /// hold (a labels-only clone rebuilding the real trees): strict object creation is off for the
  /// whole process (GitError.swift). Many new trees go into one pack under `scratchDirectory`.
  public func updateTree(_ base: ObjectID?, _ updates: [TreeUpdate]) throws -> ObjectID {
    let baseID = base ?? Self.emptyTreeID
    if updates.isEmpty { return baseID }
    let edits = TreeEdit()
    for u in updates { edits.insert(u) }
    var writer = TreeWriter()
    let root = try edit(folder: baseID == Self.emptyTreeID ? nil : baseID, edits, &writer)
    try flush(&writer)
    if let root { return root }
    return try writeEmptyTree()
  }

  /// Applies `edits` to the folder stored at `folder` (nil: a new folder); nil when it ends empty.
  private func edit(folder: ObjectID?, _ edits: TreeEdit, _ w: inout TreeWriter) throws -> ObjectID? {
    var changes: [NodeChange] = []
    changes.reserveCapacity(edits.children.count)
    var reader: TreeReader?
    for (name, sub) in edits.children {
      let bytes = Array(name.utf8)
      if let leaf = sub.leaf {
        switch leaf {
        case .remove: changes.append(NodeChange(name: bytes, entry: nil))
        case let .put(id, mode): changes.append(NodeChange(name: bytes, entry: NodeEntry(name: bytes, id: id, mode: mode)))
        }
        continue
      }
      var current: ObjectID?
      if !sub.fresh, let folder {
        if reader == nil { reader = try TreeReader(self, root: folder) }
        if let e = try reader!.entry(name), e.isTree { current = e.id }
      }
      let new = try edit(folder: current, sub, &w)
      changes.append(NodeChange(name: bytes, entry: new.map { NodeEntry(name: bytes, id: $0, mode: NodeEntry.treeMode) }))
    }
    return try apply(node: folder, depth: 0, changes, &w)
  }

  /// Applies `changes` to the tree node `node` at fan-out depth `depth`; nil when it ends empty.
  private func apply(node: ObjectID?, depth: Int, _ changes: [NodeChange], _ w: inout TreeWriter) throws -> ObjectID? {
    let entries = try node.map { try w.entries(of: $0, in: self) } ?? []
    if depth < FanOut.maxDepth, Self.isFanOutNode(entries) {
      var buckets: [Int: ObjectID] = [:]
      for e in entries { buckets[FanOut.digitValue(e.name[1])] = e.id }
      var groups: [Int: [NodeChange]] = [:]
      for var c in changes { let d = c.digit(depth); groups[d, default: []].append(c) }
      for (d, group) in groups { buckets[d] = try apply(node: buckets[d], depth: depth + 1, group, &w) }
      if buckets.isEmpty { return nil }
      // Canonical shape: a node of `limit` entries or fewer is one tree. Only removals can bring a
      // split node (more than `limit`) that low, and only when no bucket is split itself.
      if changes.contains(where: { $0.entry == nil }) {
        var all: [NodeEntry] = []
        var small = true
        for id in buckets.values {
          let es = try w.entries(of: id, in: self)
          if Self.isFanOutNode(es) { small = false; break }
          all += es
          if all.count > FanOut.limit { small = false; break }
        }
        if small { return w.write(all) }
      }
      return w.write(buckets.map { NodeEntry(name: Array(FanOut.bucketName($0.key).utf8), id: $0.value, mode: NodeEntry.treeMode) })
    }
    var byName: [[UInt8]: NodeEntry] = [:]
    byName.reserveCapacity(entries.count + changes.count)
    for e in entries { byName[e.name] = e }
    for c in changes { byName[c.name] = c.entry }
    if byName.isEmpty { return nil }
    return write(Array(byName.values), depth: depth, &w)
  }

  /// Writes `entries` as a node at `depth`, split into buckets when there are more than `limit`.
  private func write(_ entries: [NodeEntry], depth: Int, _ w: inout TreeWriter) -> ObjectID {
    if entries.count <= FanOut.limit || depth >= FanOut.maxDepth { return w.write(entries) }
    // Each name is hashed once however deep its folder splits (a first import of a 1M-image
    // folder splits four levels deep).
    return split(entries.map { ($0, FanOut.hashPrefix(of: $0.name)) }, depth: depth, &w)
  }

  private func split(_ items: [(entry: NodeEntry, hash: UInt64)], depth: Int, _ w: inout TreeWriter) -> ObjectID {
    if items.count <= FanOut.limit || depth >= FanOut.maxDepth { return w.write(items.map(\.entry)) }
    var groups = [[(entry: NodeEntry, hash: UInt64)]](repeating: [], count: 16)
    for it in items {
      let d = depth < 16 ? Int(it.hash >> (60 - 4 * UInt64(depth)) & 15) : NodeChange.digit(of: it.entry.name, depth: depth)
      groups[d].append(it)
    }
    var buckets: [NodeEntry] = []
    for (d, g) in groups.enumerated() where !g.isEmpty {
      buckets.append(NodeEntry(name: Array(FanOut.bucketName(d).utf8), id: split(g, depth: depth + 1, &w), mode: NodeEntry.treeMode))
    }
    return w.write(buckets)
  }

  /// Stores the trees `w` made: one pack when there are many (a first import writes tens of
  /// thousands), loose objects otherwise.
  private func flush(_ w: inout TreeWriter) throws {
    if w.pending.count > 64, let dir = scratchDirectory {
      let pack = try PackWriter(repository: self, tmpDir: dir)
      // Deflated on all cores, a chunk at a time (a merge of two 1% rounds of a flat 1M folder
      // rewrites some 8,000 bucket trees; deflating them was a third of its time).
      let trees = w.pending.map(\.1)
      for start in stride(from: 0, to: trees.count, by: 512) {
        let chunk = Array(trees[start..<min(start + 512, trees.count)])
        for p in try ParallelMap.map(chunk, { try PackWriter.prepare($0, kind: .tree, level: 1) }) { try pack.append(p) }
      }
      try pack.finish()
    } else {
      try sync {
        var odb: OpaquePointer?
        try check("git_repository_odb", git_repository_odb(&odb, raw))
        defer { git_odb_free(odb) }
        for (id, bytes) in w.pending {
          var oid = git_oid()
          try bytes.withUnsafeBytes { try check("git_odb_write", git_odb_write(&oid, odb, $0.baseAddress, $0.count, GIT_OBJECT_TREE)) }
          guard ObjectID(oid) == id else { throw StoreIOError(path: gitDir, message: "tree \(id.hex) was stored as \(ObjectID(oid).hex)") }
        }
      }
    }
    w.pending.removeAll()
  }

  /// Blob-level changes between two trees, by dataset path (bucket components of large folders
  /// are not part of a path); identical subtrees are skipped by id. `paths` limits the comparison
  /// to those paths and what lies under them (git pathspec prefixes: `labels/`, `images/a.png`).
  public func diffTrees(_ a: ObjectID?, _ b: ObjectID?, paths: [String] = []) throws -> [EntryChange] {
    if a == b { return [] }
    // A folder is entered when some pathspec lies inside it or it lies inside one.
    let deltas = try entryDelta(a, b) { folder in
      paths.isEmpty || paths.contains { s in folder.hasPrefix(s.hasSuffix("/") ? s : s + "/") || s.hasPrefix(folder) }
    }
    var out: [EntryChange] = []
    out.reserveCapacity(deltas.count)
    for r in deltas where r.old != r.new {
      if !paths.isEmpty, !paths.contains(where: { Self.pathspec($0, matches: r.path) }) { continue }
      out.append(EntryChange(path: r.path, oldBlob: r.old, newBlob: r.new))
    }
    // git's order: byte order of the whole paths (what a tree diff of flat folders yields).
    out.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    return out
  }

  /// git's pathspec prefix rule: `spec` names `path` itself or a folder above it.
  static func pathspec(_ spec: String, matches path: String) -> Bool {
    if spec.hasSuffix("/") { return path.hasPrefix(spec) }
    return path == spec || path.hasPrefix(spec + "/")
  }
}
