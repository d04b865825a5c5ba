import Foundation
import AnnotModel
import AnnotStore
import AnnotS3

extension Repository {
  public struct ImageStoreGCOutcome: Sendable {
    public var store: String
    /// Objects under `PREFIX/objects/`.
    public var listed = 0
    /// Objects no ref of this repository reaches, as (key, size), sorted by key.
    public var unreachable: [(key: String, size: Int)] = []
    /// Keys under `objects/` that are not blob ids (left alone).
    public var foreign = 0
    public var deleted = 0
  }

  /// `annot storage gc [REMOTE] [--delete]`: lists the bucket's objects that no commit reachable
  /// from this repository's refs (branches, tags, remote-tracking branches) or its stage names.
  /// Deletes them only when `delete` is true. Another clone may have uploaded images for commits
  /// it has not pushed yet: those are unreachable from here too, which is why deletion is
  /// explicit and the CLI says so.
  public func imageStoreGC(_ remoteName: String? = nil, delete: Bool) throws -> ImageStoreGCOutcome {
    let _lock = try lockForWriting("storage gc")
    defer { withExtendedLifetime(_lock) {} }
    let r = try remoteName ?? onDemandImageRemote() ?? defaultRemote()
    guard let settings = imageStoreSettings(remote: r) else {
      throw AnnotError.other("remote '\(r)' has no image store (add one with 'annot remote add NAME URL --images s3://BUCKET/PREFIX')")
    }
    var reachable = Set<ObjectID>()
    var tips: [ObjectID] = []
    for p in ["refs/heads/", "refs/tags/", "refs/remotes/"] {
      for (_, id) in try git.references(prefix: p) where (try? git.commit(id)) != nil { tips.append(id) }
    }
    if let m = try pendingMergeHead() { tips.append(m) }
    for t in Set(tips) { reachable.formUnion(try imagesIntroduced(from: t, hiding: [])) }
    if let e = try git.entry(tree: stageTree(), path: "images"), e.isTree { for b in try git.blobs(under: e.id) { reachable.insert(b.id) } }
    let store = try openImageStore(settings)
    var out = ImageStoreGCOutcome(store: settings.url)
    let objects = try store.run { try store.client.listAll(prefix: store.objectsPrefix) }
    out.listed = objects.count
    for o in objects.sorted(by: { $0.key < $1.key }) {
      let name = String(o.key.split(separator: "/").last ?? "")
      guard name.count == 40, let id = ObjectID(hex: name), store.key(id) == o.key else { out.foreign += 1; continue }
      if !reachable.contains(id) { out.unreachable.append((o.key, o.size)) }
    }
    if delete && !out.unreachable.isEmpty {
      let counter = Locked(0)
      try store.run {
        try WorkerPool.run(out.unreachable.map(\.key), jobs: store.jobs) { key, _ in
          try store.client.delete(key)
          counter.with { $0 += 1 }
        }
      }
      out.deleted = counter.get
      // The record of stored images may now name deleted ones: drop it (a cache; the next push
      // HEAD-checks instead).
      try? FileManager.default.removeItem(atPath: store.knownFile)
    }
    return out
  }
}
