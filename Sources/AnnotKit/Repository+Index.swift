import Foundation
import AnnotModel
import AnnotStore
import AnnotIndex

extension Repository {
  var indexPath: String { layout.index }

  /// Opens the index; a damaged or newer-schema index is dropped and rebuilt (it is a cache).
  func openIndex() throws -> LabelIndex {
    do { return try LabelIndex(path: indexPath) } catch {
      switch error {
      case .corrupt, .newerSchema, .cannotOpen:
        notice("annot: \(error); rebuilding the index")
        LabelIndex.remove(at: indexPath)
        do { return try LabelIndex(path: indexPath) } catch { throw AnnotError.index(error) }
      default: throw AnnotError.index(error)
      }
    }
  }

  /// Makes sure `commit` is in the index. Costs in proportion to what changed since the
  /// nearest indexed ancestor (first parents, up to 100 back); otherwise lists the tree.
  /// Documents already indexed (by blob id) are never parsed again.
  ///
  /// With `upTo`, a revision whose documents to parse would exceed that many is left unindexed
  /// (returns nil): the first query indexes it instead.
  @discardableResult
  func ensureIndexed(_ commit: ObjectID, index: LabelIndex? = nil) throws -> LabelIndex {
    try ensureIndexed(commit, index: index, upTo: nil)!
  }

  func ensureIndexed(_ commit: ObjectID, index: LabelIndex?, upTo limit: Int?) throws -> LabelIndex? {
    let index = try index ?? openIndex()
    do {
      if try index.isRevisionIndexed(commit) { return index }
      let tree = try git.commit(commit).tree
      let manifest = try self.manifest(in: tree)
      // The nearest indexed ancestor along first parents.
      var ancestor: ObjectID? = nil
      var cursor = try git.commit(commit).parents.first
      var steps = 0
      while let c = cursor, steps < 100 {
        if try index.isRevisionIndexed(c) { ancestor = c; break }
        cursor = try git.commit(c).parents.first
        steps += 1
      }
      if let ancestor {
        let changes = try git.diffTrees(try git.commit(ancestor).tree, tree, paths: ["labels/"]).compactMap { c -> (path: String, docBlob: ObjectID?)? in
          guard c.path.hasSuffix(".json"), let p = DatasetPath.datasetPath(ofEntry: c.path) else { return nil }
          return (p, c.newBlob)
        }
        if let limit, changes.count > limit { return nil }
        try indexDocuments(changes.compactMap(\.docBlob), into: index)
        try index.indexRevision(commit: commit, basedOn: ancestor, changes: changes, manifest: manifest)
      } else {
        // No indexed ancestor within reach: its ancestors were left to the first query, so this
        // one is too; a root commit is indexed now only when it is small.
        if limit != nil, try git.commit(commit).parents.first != nil { return nil }
        var entries: [(path: String, docBlob: ObjectID)] = []
        if let labels = try git.entry(tree: tree, path: "labels"), labels.isTree {
          for (p, id) in try git.leafEntries(under: labels.id) where p.hasSuffix(".json") { entries.append((String(p.dropLast(5)), id)) }
        }
        if let limit, entries.count > limit { return nil }
        try indexDocuments(entries.map(\.docBlob), into: index)
        try index.indexRevision(commit: commit, entries: entries, manifest: manifest)
      }
      return index
    } catch let e as IndexError {
      throw AnnotError.index(e)
    }
  }

  /// Indexes the documents among `blobs` that the index lacks. Each core reads (with a libgit2
  /// handle of its own: handles are not shared) and parses a share of each batch, while a writer
  /// thread inserts the previous batch. SQLite inserts run on one thread; reading the blobs on
  /// that same thread, as before, left them waiting ~1 s per million annotations.
  func indexDocuments(_ blobs: [ObjectID], into index: LabelIndex) throws {
    let missing = try index.missingBlobs(blobs)
    // Many documents: build the annotation indexes once at the end instead of row by row.
    if missing.count > 20_000 { return try index.withDeferredIndexes { try insert(missing, into: index) } }
    try insert(missing, into: index)
  }

  private func insert(_ missing: [ObjectID], into index: LabelIndex) throws {
    guard !missing.isEmpty else { return }
    let batch = 4000
    let workers = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount, (missing.count + 499) / 500))
    let readers = try [git] + (1..<workers).map { _ in try GitRepository.open(gitDir: git.gitDir) }
    let writer = IndexWriter(index)
    defer { writer.drain() }
    var from = 0
    while from < missing.count {
      let ids = Array(missing[from..<min(from + batch, missing.count)])
      try writer.submit(try Self.readAndDecode(ids, readers))
      from += batch
    }
    try writer.finish()
  }

  /// Reads and parses `ids`, reader k taking every k-th one; the error of the first failing
  /// document (in `ids` order) is thrown, so a failure reads the same on every run.
  private static func readAndDecode(_ ids: [ObjectID], _ readers: [GitRepository]) throws -> [(blob: ObjectID, doc: LabelDocument)] {
    // One slot per document, each written by one worker only.
    let slots = UnsafeMutableBufferPointer<Result<LabelDocument, Error>?>.allocate(capacity: ids.count)
    slots.initialize(repeating: nil)
    defer { slots.deinitialize().deallocate() }
    nonisolated(unsafe) let (out, readers) = (slots, readers)
    DispatchQueue.concurrentPerform(iterations: readers.count) { k in
      for i in stride(from: k, to: ids.count, by: readers.count) {
        let id = ids[i]
        out[i] = Result {
          let raw = try readers[k].blob(id)
          do { return try LabelDocument.decode(raw) } catch {
            throw AnnotError.invalidFile(file: "labels document \(id.short)", place: "", message: "\(error)")
          }
        }
      }
    }
    return try zip(ids, slots).map { (blob: $0, doc: try $1!.get()) }
  }

  /// Documents a ref move indexes at once; more are left to the first query.
  static let eagerIndexLimit = 20_000

  /// Called after annot moves a ref: the index is a cache, so a failure here only means the next
  /// query indexes the commit itself. A round of up to `eagerIndexLimit` changed documents is
  /// indexed now (well under a second); a first import of a large dataset is not, so that its
  /// commit costs what git's does and the first `query` (or `annot reindex`) pays for the index.
  func indexCommitQuietly(_ id: ObjectID) {
    _ = try? ensureIndexed(id, index: nil, upTo: Self.eagerIndexLimit)
  }

  /// `annot reindex`: empties the index and indexes every branch head and HEAD again, in one
  /// transaction, so a concurrent query sees the old index or the new one, never a half-built or
  /// missing one (a damaged file is still dropped and recreated by `openIndex`).
  public func reindex() throws -> Int {
    let _lock = try lockForWriting("reindex")
    defer { withExtendedLifetime(_lock) {} }
    let index = try openIndex()
    var heads = try git.references(prefix: "refs/heads/").map(\.id)
    if let h = try headCommit() { heads.insert(h, at: 0) }
    var seen = Set<ObjectID>()
    do {
      try index.rebuild { for h in heads where seen.insert(h).inserted { try ensureIndexed(h, index: index) } }
    } catch let e as IndexError { throw AnnotError.other("\(e)") }
    return seen.count
  }

  /// Dataset paths of images matching a filter at `rev` (for export --where and split).
  public func imagesMatching(_ expr: String, at rev: String) throws -> Set<String> {
    let commit = try resolveCommit(rev)
    let index = try ensureIndexed(commit)
    let outcome: QueryOutcome
    do { outcome = try index.query(expr, revision: commit, mode: .images) } catch { throw AnnotError.index(error) }
    return Set(outcome.images.map(\.path))
  }
}
