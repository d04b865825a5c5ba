import Foundation
import AnnotModel
import AnnotStore

// The one history rewrite under the labels mirror (real → labels commits: image blobs become
// gitlinks, an `annot-real` header is added) and the labels-only rebuild (labels → real
// commits: gitlinks become blob entries again, the header is dropped). Both are the same walk
// run in opposite directions; see Docs/REMOTES.md.

/// One direction of the rewrite: what a path's new entry becomes, and what the image commit's
/// headers are.
struct RewriteDirection {
  /// The tree edit for a path whose entry is `id` (nil: removed) in the source commit.
  var edit: (_ path: String, _ id: ObjectID?) -> TreeUpdate
  /// The header lines (all but tree and parents) of the image of `source`.
  var headers: (_ source: ObjectID, _ commit: RawCommit) throws -> [String]
}

extension Repository {
  /// Rewrites the history of `tip` commit by commit, parents first (iteratively: histories can
  /// be long). `known` gives the image of a source commit that needs no rewrite (it stops the
  /// walk); `written` sees each (source, image) pair as it is written. Each commit costs one
  /// tree diff against its first parent, edited onto the image of that parent's tree, so the
  /// result is deterministic and every clone computes the same ids.
  func rewrite(_ tip: ObjectID, _ direction: RewriteDirection, known: (ObjectID) throws -> ObjectID?,
               written: (_ source: ObjectID, _ image: ObjectID) throws -> Void) throws -> ObjectID {
    if let k = try known(tip) { return k }
    var order: [ObjectID] = []
    var seen = Set<ObjectID>()
    var stack: [(ObjectID, Bool)] = [(tip, false)]
    while let (c, expanded) = stack.popLast() {
      if expanded { order.append(c); continue }
      if seen.contains(c) { continue }
      if c != tip, try known(c) != nil { continue }
      seen.insert(c)
      stack.append((c, true))
      for p in try git.rawCommit(c).parents where !seen.contains(p) { stack.append((p, false)) }
    }
    var done: [ObjectID: ObjectID] = [:]
    func image(_ p: ObjectID, of c: ObjectID) throws -> ObjectID {
      guard let m = try done[p] ?? known(p) else { throw RemoteError.unmirroredParent(parent: p.hex, commit: c.hex) }
      return m
    }
    for c in order {
      let source = try git.rawCommit(c)
      let parents = try source.parents.map { try image($0, of: c) }
      var edits: [TreeUpdate] = []
      var base: ObjectID?
      if let p = source.parents.first, let mp = parents.first {
        base = try git.rawCommit(mp).tree
        for ch in try git.diffTrees(try git.rawCommit(p).tree, source.tree) { edits.append(direction.edit(ch.path, ch.newBlob)) }
      } else {
        for (path, id) in try git.leafEntries(under: source.tree) { edits.append(direction.edit(path, id)) }
      }
      let tree = try git.updateTree(base, edits)
      let rewritten = RawCommit(tree: tree, parents: parents, headers: try direction.headers(c, source), message: source.message)
      let id = try git.write(rewritten)
      done[c] = id
      try written(c, id)
    }
    return done[tip]!
  }
}
