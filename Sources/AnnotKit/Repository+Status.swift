import Foundation
import AnnotModel
import AnnotStore
import AnnotMerge

extension Repository {
  /// What `annot status` reports: the branch, and what the stage changes relative to HEAD.
  public struct Status: Sendable {
    public var branch: String?
    public var head: ObjectID?
    public var imagesAdded: [String] = []
    public var imagesRemoved: [String] = []
    /// Images whose bytes or labels changed.
    public var imagesModified: [String] = []
    public var schemaChanged = false
    /// Annotations in the staged versions of changed documents, per class.
    public var annotationsByClass: [String: Int] = [:]
    public var annotationsRemovedByClass: [String: Int] = [:]
    public var conflicts: [JSONValue] = []
    public var merging: ObjectID?
    public var isClean: Bool { imagesAdded.isEmpty && imagesRemoved.isEmpty && imagesModified.isEmpty && !schemaChanged }
  }

  /// Compares the stage with HEAD. Costs in proportion to what is staged: identical subtrees are
  /// skipped by id and only changed documents are parsed.
  public func status() throws -> Status {
    var s = Status(branch: try currentBranch(), head: try headCommit())
    let stage = try stageTree()
    let head = try headTree()
    let changes = try git.diffTrees(head, stage)
    var imageChange: [String: (old: Bool, new: Bool)] = [:]
    var docChanged: [String: EntryChange] = [:]
    for c in changes {
      if c.path == DatasetPath.manifestEntry { s.schemaChanged = true; continue }
      if c.path.hasPrefix("images/") {
        imageChange[String(c.path.dropFirst(7))] = (c.oldBlob != nil, c.newBlob != nil)
      } else if c.path.hasPrefix("labels/"), c.path.hasSuffix(".json") {
        docChanged[String(c.path.dropFirst(7).dropLast(5))] = c
      }
    }
    for p in Set(imageChange.keys).union(docChanged.keys).sorted() {
      let ic = imageChange[p]
      if let ic, !ic.old { s.imagesAdded.append(p) } else if let ic, !ic.new { s.imagesRemoved.append(p) } else { s.imagesModified.append(p) }
      if let dc = docChanged[p] {
        if let nb = dc.newBlob {
          for a in try decodeDocument(nb, path: dc.path).annotations { s.annotationsByClass[a.label, default: 0] += 1 }
        }
        if dc.newBlob == nil, let ob = dc.oldBlob {
          for a in try decodeDocument(ob, path: dc.path).annotations { s.annotationsRemovedByClass[a.label, default: 0] += 1 }
        }
      }
    }
    s.merging = try pendingMergeHead()
    s.conflicts = try conflicts().map(\.json)
    return s
  }

  // MARK: Log

  /// Commits reachable from `rev`, newest first; with `path`, only those that changed that
  /// image's bytes or labels relative to their first parent (like `git log -- PATH`).
  public func log(from rev: String = "HEAD", limit: Int? = nil, path: String? = nil) throws -> [CommitInfo] {
    guard let start = try? git.resolveCommit(rev) else {
      if rev == "HEAD", try headCommit() == nil { return [] }
      throw AnnotError.unknownRevision(rev)
    }
    if path == nil { return try git.walk(from: [start], limit: limit).map { try git.commit($0) } }
    let p = datasetPath(fromUserPath: path!)
    let entries = [DatasetPath.imageEntry(p), DatasetPath.labelEntry(p)]
    var out: [CommitInfo] = []
    for id in try git.walk(from: [start]) {
      let c = try git.commit(id)
      let mine = try entries.map { try git.entry(tree: c.tree, path: $0)?.id }
      let parentTree = try c.parents.first.map { try git.commit($0).tree }
      let theirs = try entries.map { e in try parentTree.flatMap { try git.entry(tree: $0, path: e)?.id } }
      if mine != theirs { out.append(c) }
      if let limit, out.count >= limit { break }
    }
    return out
  }
}
