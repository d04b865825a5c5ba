import Foundation
import AnnotModel
import AnnotStore
import AnnotDiff

extension Repository {
  /// Where the two sides of a diff come from.
  public struct DiffSides: Sendable {
    public var old: ObjectID?
    public var new: ObjectID
    public var oldName: String
    public var newName: String
  }

  /// git's argument rules: none → HEAD vs stage; A → A vs stage; A B or A..B → A vs B.
  public func diffSides(_ revs: [String]) throws -> DiffSides {
    var revs = revs
    if revs.count == 1, let r = revs.first, r.contains("..") {
      let parts = r.components(separatedBy: "..")
      revs = [parts[0].isEmpty ? "HEAD" : parts[0], parts[1].isEmpty ? "HEAD" : parts[1]]
    }
    switch revs.count {
    case 0: return DiffSides(old: try headTree(), new: try stageTree(), oldName: "HEAD", newName: "stage")
    case 1: return DiffSides(old: try tree(of: revs[0]), new: try stageTree(), oldName: revs[0], newName: "stage")
    case 2: return DiffSides(old: try tree(of: revs[0]), new: try tree(of: revs[1]), oldName: revs[0], newName: revs[1])
    default: throw AnnotError.other("diff takes at most two revisions")
    }
  }

  /// Tree pathspecs for dataset paths given by the user (an image, or a directory of images).
  func pathspecs(_ userPaths: [String]) throws -> [String] {
    try userPaths.flatMap { u -> [String] in
      let p = datasetPath(fromUserPath: try repositoryRelative(u))
      if p.isEmpty { return [] }
      return [DatasetPath.imageEntry(p), DatasetPath.labelEntry(p), "labels/\(p)/"]
    }
  }

  /// The semantic label diff between two trees. Only entries that differ are read; identical
  /// subtrees are skipped by id inside libgit2's tree diff.
  public func diff(old: ObjectID?, new: ObjectID, paths: [String] = [], options: DatasetDiff.Options = .init()) throws -> DatasetDiff.Outcome {
    let changes = try git.diffTrees(old, new, paths: try pathspecs(paths))
    do {
      return try DatasetDiff.compare(changes, objects: git, imageByteSize: { try self.git.objectSize($0) }, options: options)
    } catch {
      throw AnnotError.diff(error)
    }
  }

  /// Image bytes of `path` in `tree`, for the review page.
  public func imageBytes(in tree: ObjectID?, path: String) throws -> [UInt8]? {
    guard let tree, let e = try git.entry(tree: tree, path: DatasetPath.imageEntry(path)) else { return nil }
    return try git.blob(e.id)
  }

  // MARK: Blame

  /// For one image, the commit that last changed each annotation of its document at `rev`.
  public struct BlameLine: Sendable {
    public var annotation: Annotation
    public var commit: CommitInfo
  }

  public func blame(_ userPath: String, at rev: String = "HEAD") throws -> [BlameLine] {
    let p = datasetPath(fromUserPath: try repositoryRelative(userPath))
    let start = try resolveCommit(rev)
    let entry = DatasetPath.labelEntry(p)
    guard let doc = try document(in: git.commit(start).tree, path: p) else { throw AnnotError.noSuchPath(userPath, revision: rev) }
    var pending: [String: JSONValue] = [:]
    for a in doc.annotations { pending[a.id] = a.json }
    var found: [String: CommitInfo] = [:]
    var docCache: [ObjectID: [String: JSONValue]] = [:]
    func annotations(_ tree: ObjectID) throws -> [String: JSONValue] {
      guard let e = try git.entry(tree: tree, path: entry) else { return [:] }
      if let c = docCache[e.id] { return c }
      var m: [String: JSONValue] = [:]
      for a in try decodeDocument(e.id, path: entry).annotations { m[a.id] = a.json }
      docCache[e.id] = m
      return m
    }
    for id in try git.walk(from: [start]) where !pending.isEmpty {
      let c = try git.commit(id)
      let mine = try annotations(c.tree)
      let parentsAnns = try c.parents.map { try annotations(git.commit($0).tree) }
      for (annID, value) in pending where mine[annID] == value {
        // Blame passes to a parent that already had this exact annotation (as git blame passes lines).
        if !parentsAnns.contains(where: { $0[annID] == value }) { found[annID] = c; pending[annID] = nil }
      }
    }
    return doc.annotations.compactMap { a in found[a.id].map { BlameLine(annotation: a, commit: $0) } }
  }
}
