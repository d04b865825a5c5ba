import Foundation
import AnnotModel
import AnnotStore
import AnnotS3

extension ImageStore {
  struct UploadOutcome { var checked = 0; var uploaded = 0; var bytes = 0; var alreadyThere = 0 }

  /// Makes sure every blob of `ids` is in the bucket: ids in the local record are taken as
  /// stored; the rest are HEAD-checked (skipped when the prefix holds no object at all, which
  /// one LIST of at most one key tells) and uploaded when absent, `jobs` at a time, multipart
  /// above the threshold. Each worker reads blobs through its own libgit2 handle. What is
  /// stored is recorded as it goes, so an interrupted push resumes where it stopped.
  func upload(_ ids: Set<ObjectID>, gitDir: String) throws -> UploadOutcome {
    var out = UploadOutcome()
    let known = loadKnown()
    let todo = ids.filter { !known.contains($0) }.sorted()
    out.checked = todo.count
    try checkLayout(writeIfMissing: true)
    if todo.isEmpty { return out }
    let emptyStore = try run { try client.list(prefix: objectsPrefix, continuation: nil, maxKeys: 1).objects.isEmpty }
    let handles = try (0..<min(jobs, todo.count)).map { _ in try GitRepository.open(gitDir: gitDir) }
    struct Progress { var done = 0; var uploaded = 0; var bytes = 0; var there = 0; var pending: [ObjectID] = []; var missing: [ObjectID] = [] }
    let progress = Locked(Progress())
    let total = todo.count
    let flush: @Sendable () -> Void = { [self] in
      let batch = progress.with { p -> [ObjectID] in defer { p.pending = [] }; return p.pending }
      recordKnown(batch)
    }
    defer { flush() }
    try run {
      try WorkerPool.run(todo, jobs: jobs) { [self] id, w in
        let key = key(id)
        var stored = false
        if !emptyStore, try client.head(key) != nil { stored = true }
        var size = 0
        if !stored {
          let g = handles[w]
          guard g.exists(id) else { progress.with { $0.missing.append(id) }; return }
          let bytes = try g.blob(id)
          size = bytes.count
          let data = Data(bytes)
          if size > multipartThreshold {
            try client.putMultipart(key, body: data, partSize: partSize, parallel: max(2, jobs / 2))
          } else {
            try client.put(key, body: data)
          }
        }
        let (done, flushNow) = progress.with { p -> (Int, Bool) in
          p.done += 1
          if stored { p.there += 1 } else { p.uploaded += 1; p.bytes += size }
          p.pending.append(id)
          return (p.done, p.pending.count >= 256)
        }
        if flushNow { flush() }
        ImageStoreProgress.report("Uploading images", done, total)
      }
    }
    let p = progress.get
    if let first = p.missing.first { throw ImageStoreError.missingEverywhere(count: p.missing.count, example: first) }
    out.uploaded = p.uploaded
    out.bytes = p.bytes
    out.alreadyThere = p.there
    return out
  }
}

extension Repository {
  /// Image blobs that the commits reachable from `tip` and not from `hiding` introduce: each
  /// commit compared with its first parent (a root commit: all its images).
  func imagesIntroduced(from tip: ObjectID, hiding: [ObjectID]) throws -> Set<ObjectID> {
    var out = Set<ObjectID>()
    for c in try git.walk(from: [tip], hiding: hiding.filter { git.exists($0) }) {
      let info = try git.commit(c)
      if let p = info.parents.first {
        for ch in try git.diffTrees(try git.commit(p).tree, info.tree, paths: ["images"]) where ch.path.hasPrefix("images/") {
          if let n = ch.newBlob { out.insert(n) }
        }
      } else if let e = try git.entry(tree: info.tree, path: "images"), e.isTree {
        for b in try git.blobs(under: e.id) { out.insert(b.id) }
      }
    }
    return out
  }

  /// `push` to a remote with an image store (called by `push` with the lock held): the images
  /// the pushed commits introduce go to the bucket first; only when every one is stored does the
  /// git host get the branch, as its labels mirror (image blobs as gitlinks, so the git host
  /// holds no image byte and passes `git fsck --strict`), and `refs/annot/storage`.
  func pushWithImageStore(_ remote: RemoteConfig, branch b: String, local: ObjectID, settings: ImageStoreSettings,
                          options: PushOptions) throws -> PushOutcome {
    if options.tags { throw ImageStoreError.tagsUnsupported }
    let r = remote.name
    let advertised = try transfer(remote) { try git.listRemote(r, callbacks: options.callbacks, forPush: true) }.refs
    var byName: [String: ObjectID] = [:]
    for a in advertised { byName[a.name] = a.id }
    var map = MirrorMap(self)
    let mirror = try labelsMirror(of: local, map: &map)
    try git.updateReference(Self.labelsRefPrefix + b, to: mirror, message: "push: labels mirror")
    let remoteTip = byName["refs/heads/\(b)"]
    var outcome = PushOutcome(remote: r, branch: b, old: remoteTip.flatMap { try? mirroredCommit($0) } ?? remoteTip, new: local)
    if !options.force, let rt = remoteTip, rt != mirror {
      guard git.exists(rt), try git.isAncestor(rt, of: mirror) else { throw RemoteError.rejected }
    }
    outcome.upToDate = remoteTip == mirror

    // Images first: the git refs move only once every image is stored.
    var hidden: [ObjectID] = try git.references(prefix: "refs/remotes/\(r)/").map(\.id)
    if let rt = remoteTip, git.exists(rt), let real = try mirroredCommit(rt) { hidden.append(real) }
    let images = try imagesIntroduced(from: local, hiding: hidden)
    let store = try openImageStore(settings)
    _ = try store.upload(images, gitDir: gitDir)

    let plus = options.force ? "+" : ""
    var specs: [String] = []
    if remoteTip != mirror { specs.append("\(plus)\(Self.labelsRefPrefix)\(b):refs/heads/\(b)") }
    let descriptor = try storageDescriptor(settings)
    if byName[Self.storageRef] != descriptor {
      try git.updateReference(Self.storageRef, to: descriptor, message: "push: image store descriptor")
      specs.append("+\(Self.storageRef):\(Self.storageRef)")
    }
    if !specs.isEmpty {
      let pushed = try transfer(remote) { try git.push(r, refspecs: { _ in specs }, callbacks: options.callbacks) }
      for p in pushed {
        if let why = p.rejection {
          if p.name == "refs/heads/\(b)" && (why.contains("fast-forward") || why.contains("fetch first")) { throw RemoteError.rejected }
          throw RemoteError.rejectedByServer(ref: p.name, reason: why)
        }
        outcome.updated.append(p.name)
      }
    }
    try git.updateReference("refs/annot/remotes/\(r)/labels/\(b)", to: mirror, message: "push")
    try git.updateReference("refs/remotes/\(r)/\(b)", to: local, message: "push")
    if git.config("branch.\(b).remote") == nil {
      try git.setConfig("branch.\(b).remote", r)
      try git.setConfig("branch.\(b).merge", "refs/heads/\(b)")
    }
    return outcome
  }
}
