import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  // MARK: Image shards

  /// Adds image blobs to `refs/annot/images/<first two hex digits>`: commits (fixed signature,
  /// so deterministic) whose tree holds the blobs named by id. Append-only.
  func addToShards(_ blobs: Set<ObjectID>) throws {
    var byShard: [String: [ObjectID]] = [:]
    for b in blobs where git.exists(b) { byShard[String(b.hex.prefix(2)), default: []].append(b) }
    for (xx, ids) in byShard.sorted(by: { $0.key < $1.key }) {
      let ref = Self.shardRefPrefix + xx
      let current = try git.reference(ref)
      let tree = try current.map { try git.commit($0).tree }
      let reader = try tree.map { try TreeReader(git, root: $0) }
      let edits = try ids.sorted { $0.hex < $1.hex }.filter { id in try reader.map { try $0.entry(id.hex) == nil } ?? true }
        .map { TreeUpdate.upsert(path: $0.hex, blob: $0) }
      if edits.isEmpty { continue }
      let newTree = try git.updateTree(tree, edits)
      let c = try git.createCommit(tree: newTree, parents: current.map { [$0] } ?? [], message: "annot image shard \(xx)\n",
                                   author: Self.shardSignature, committer: Self.shardSignature)
      try git.updateReference(ref, to: c, message: "annot: image shard")
    }
  }

  /// Unites the remote's shards (fetched to `refs/annot/remotes/R/images/*`) with ours: a shard
  /// that moved on both sides gets a commit with both as parents and the union of their blobs.
  func unionShards(remote r: String) throws {
    let prefix = "refs/annot/remotes/\(r)/images/"
    for (name, theirs) in try git.references(prefix: prefix) {
      let ref = Self.shardRefPrefix + name.dropFirst(prefix.count)
      guard let ours = try git.reference(ref) else {
        try git.updateReference(ref, to: theirs, message: "fetch: image shard"); continue
      }
      if try ours == theirs || git.isAncestor(theirs, of: ours) { continue }
      if try git.isAncestor(ours, of: theirs) { try git.updateReference(ref, to: theirs, message: "fetch: image shard"); continue }
      let ourTree = try git.commit(ours).tree, theirTree = try git.commit(theirs).tree
      let added = try git.diffTrees(ourTree, theirTree).compactMap { c in c.oldBlob == nil ? c.newBlob.map { TreeUpdate.upsert(path: c.path, blob: $0) } : nil }
      let tree = try git.updateTree(ourTree, added)
      let c = try git.createCommit(tree: tree, parents: [ours, theirs], message: "annot image shard \(name.suffix(2))\n",
                                   author: Self.shardSignature, committer: Self.shardSignature)
      try git.updateReference(ref, to: c, message: "fetch: image shard union")
    }
  }
}
