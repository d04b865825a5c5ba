import Foundation
import AnnotModel
import AnnotStore
import AnnotS3

extension ImageStore {
  /// Downloads `ids` into `incoming/` (each streamed to a file, its blob id checked before it is
  /// kept under its id as name), then packs every verified file into the object store. Files
  /// verified by an interrupted run are packed, not fetched again. A changed object is deleted
  /// on arrival and reported; it never enters the object store.
  func download(_ ids: [ObjectID], into repo: Repository, names: [ObjectID: String]) throws -> (fetched: Int, bytes: Int) {
    let incoming = repo.stateDir + "/image-store/incoming"
    try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
    struct State { var done = 0; var bytes = 0; var missing: [ObjectID] = [] }
    let state = Locked(State())
    let total = ids.count
    var failure: Error?
    do {
      try run {
        try WorkerPool.run(ids, jobs: jobs) { [self] id, w in
          let final = incoming + "/" + id.hex
          if !FileManager.default.fileExists(atPath: final) {
            let part = incoming + "/\(id.hex).part-\(getpid())-\(w)"
            defer { unlink(part) }
            let size: Int
            do { size = try client.get(key(id), to: URL(fileURLWithPath: part)) } catch let e as S3Error {
              if case .service(404, _, _, _) = e { state.with { $0.missing.append(id) }; return }
              throw e
            }
            let actual = try ImageStore.blobID(ofFile: part)
            guard actual == id else { throw ImageStoreError.corrupted(key: key(id), expected: id, actual: actual) }
            guard rename(part, final) == 0 else { throw AnnotError.other("cannot keep \(final): \(String(cString: strerror(errno)))") }
            state.with { $0.bytes += size }
          }
          let done = state.with { s -> Int in s.done += 1; return s.done }
          ImageStoreProgress.report("Downloading images", done, total)
        }
      }
    } catch { failure = error }
    // Whatever arrived verified is kept, also when the transfer failed: a retry resumes.
    try repo.packIncoming(incoming)
    if let failure { throw failure }
    let s = state.get
    if let first = s.missing.first {
      throw ImageStoreError.missingInStore(count: s.missing.count, example: names[first].map { "images/" + $0 } ?? "blob \(first.hex)")
    }
    return (s.done - s.missing.count, s.bytes)
  }
}

extension Repository {
  /// Packs the verified downloads in `dir` (files named by their 40-hex blob id) into the
  /// object store and removes them. Each id is checked again while packing.
  func packIncoming(_ dir: String) throws {
    let fm = FileManager.default
    let files = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.count == 40 && ObjectID(hex: $0) != nil }.sorted()
    guard !files.isEmpty else { return }
    let writer = try PackWriter(repository: git)
    let paths = files.map { dir + "/" + $0 }
    try writer.addFiles(paths, batchSize: 8, read: { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }) { i, id in
      guard id.hex == files[i] else { throw AnnotError.other("\(paths[i]) does not hold blob \(files[i]); delete it and fetch again") }
    }
    try writer.finish()
    for p in paths { unlink(p) }
  }

  /// What `fetch --images` needs: the missing images of a revision, optionally only under some
  /// folders or matching a query.
  public struct ImageSelection: Sendable {
    /// A revision; nil: every local branch and remote-tracking branch (then the repository is
    /// complete afterwards).
    public var revision: String?
    /// Dataset folders or files (`train/`, `a/b.png`); empty: all.
    public var paths: [String] = []
    /// A query filter (`label == "car"`); only matching images.
    public var filter: String?
    public init(revision: String? = nil, paths: [String] = [], filter: String? = nil) {
      self.revision = revision; self.paths = paths; self.filter = filter
    }
  }

  /// Missing images (dataset path, blob) of `selection`.
  func missingImages(_ selection: ImageSelection) throws -> [(path: String, blob: ObjectID)] {
    var trees: [ObjectID] = []
    if let rev = selection.revision ?? ((selection.paths.isEmpty && selection.filter == nil) ? nil : "HEAD") {
      trees = [try tree(of: rev)]
    } else {
      var seen = Set<ObjectID>()
      for (_, id) in try git.references(prefix: "refs/heads/") + git.references(prefix: "refs/remotes/") {
        if let t = try? git.commit(id).tree, seen.insert(t).inserted { trees.append(t) }
      }
    }
    let matching = try selection.filter.map { try imagesMatching($0, at: selection.revision ?? "HEAD") }
    var out: [(path: String, blob: ObjectID)] = []
    var seen = Set<ObjectID>()
    for t in trees {
      for m in try missingImages(in: t) where seen.insert(m.blob).inserted {
        if let matching, !matching.contains(m.path) { continue }
        if !selection.paths.isEmpty, !selection.paths.contains(where: { p in
          let q = p.hasSuffix("/") ? String(p.dropLast()) : p
          return q.isEmpty || m.path == q || m.path.hasPrefix(q + "/")
        }) { continue }
        out.append(m)
      }
    }
    return out
  }

  /// `annot fetch --images [REV] [--path P | --where FILTER]` from a remote with an image store:
  /// downloads only the selected missing images, verifies each blob id on arrival, and resumes
  /// after an interruption (verified downloads are kept). Remotes without an image store fetch
  /// image shards from git instead (`fetchImages(_:revision:options:)`).
  public func fetchImages(_ remoteName: String? = nil, selection: ImageSelection, options: FetchOptions = .init()) throws -> ImagesOutcome {
    let r = try remoteName ?? onDemandImageRemote() ?? defaultRemote()
    guard let settings = imageStoreSettings(remote: r) else {
      if selection.paths.isEmpty && selection.filter == nil { return try fetchImages(r, revision: selection.revision, options: options) }
      throw AnnotError.other("--path and --where need a remote with an image store ('\(r)' has none); fetch a revision's images with 'annot fetch --images REV'")
    }
    let _lock = try lockForWriting("fetch --images")
    defer { withExtendedLifetime(_lock) {} }
    return try fetchStoreImages(settings, selection: selection)
  }

  func fetchStoreImages(_ settings: ImageStoreSettings, selection: ImageSelection) throws -> ImagesOutcome {
    let missing = try missingImages(selection)
    var out = ImagesOutcome(missing: missing.count)
    if !missing.isEmpty {
      let store = try openImageStore(settings)
      try store.checkLayout(writeIfMissing: false)
      var names: [ObjectID: String] = [:]
      for m in missing { names[m.blob] = m.path }
      let got = try store.download(missing.map(\.blob), into: self, names: names)
      out.fetched = got.fetched
      out.receivedBytes = got.bytes
    }
    if selection.revision == nil && selection.paths.isEmpty && selection.filter == nil && isLabelsOnly {
      try git.setConfig("annot.labelsonly", "false")
    }
    return out
  }

  /// Images on demand for `export` and `cat-image`: fetches the missing images of `tree` (only
  /// `paths` when given) from the image store, if this repository has one. Without one, or when
  /// nothing is missing, does nothing (the caller's own check reports what is still missing).
  public func fetchMissingImagesOnDemand(in tree: ObjectID, paths: [String]? = nil) throws {
    guard let r = onDemandImageRemote(), let settings = imageStoreSettings(remote: r) else { return }
    guard let images = try git.entry(tree: tree, path: "images"), images.isTree else { return }
    var missing: [(path: String, blob: ObjectID)]
    if let paths {
      missing = try paths.compactMap { p in
        guard let e = try git.entry(tree: tree, path: DatasetPath.imageEntry(p)), !git.exists(e.id) else { return nil }
        return (p, e.id)
      }
    } else {
      missing = try missingImages(in: tree)
    }
    if missing.isEmpty { return }
    let _lock = try lockForWriting("fetch images")
    defer { withExtendedLifetime(_lock) {} }
    let store = try openImageStore(settings)
    var names: [ObjectID: String] = [:]
    for m in missing { names[m.blob] = m.path }
    _ = try store.download(Array(Set(missing.map(\.blob))).sorted(), into: self, names: names)
  }

  // MARK: Labels from the git host

  /// `fetch` from a remote with an image store (called by `fetch` with the lock held): the git
  /// host's branches are labels mirrors; they land in `refs/annot/remotes/R/labels/*` and the
  /// real commits rebuilt from them (image blobs named, bytes in the bucket) in
  /// `refs/remotes/R/*`.
  func fetchWithImageStore(_ remote: RemoteConfig, options: FetchOptions) throws -> FetchOutcome {
    let r = remote.name
    let watched = ["refs/remotes/\(r)/", "refs/annot/remotes/\(r)/"]
    let before = try snapshot(watched)
    var out = FetchOutcome(remote: r)
    let advertised = try transfer(remote) { try git.listRemote(r, callbacks: options.callbacks) }
    out.remoteDefaultBranch = advertised.defaultBranch.map { $0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0 }
    out.remoteBranches = advertised.refs.map(\.name).filter { $0.hasPrefix("refs/heads/") }.map { String($0.dropFirst(11)) }
    var specs = Self.imageStoreFetchRefspecs(remote: r)
    if advertised.refs.contains(where: { $0.name == Self.storageRef }) { specs.append("+\(Self.storageRef):refs/annot/remotes/\(r)/storage") }
    let stats = try transfer(remote) { try fetchRefs(remote, git, specs, options.callbacks, "fetch \(r) (labels; images in the image store)") }
    (out.receivedObjects, out.receivedBytes) = (stats.receivedObjects, stats.receivedBytes)
    var map = MirrorMap(self)
    defer { map.save() }
    let prefix = "refs/annot/remotes/\(r)/labels/"
    for (name, tip) in try git.references(prefix: prefix) {
      let branch = String(name.dropFirst(prefix.count))
      guard try mirroredCommit(tip) != nil else {
        out.notes.append("branch '\(branch)' on the git host is not a labels mirror (pushed by plain git?); skipped")
        continue
      }
      let real = try rebuild(mirror: tip, map: &map)
      try git.updateReference("refs/remotes/\(r)/\(branch)", to: real, message: "fetch \(r)")
    }
    let after = try snapshot(watched)
    for (name, id) in after.sorted(by: { $0.key < $1.key }) where before[name] != id {
      out.updated.append(RefChange(name: name, old: before[name], new: id))
      if name.hasPrefix("refs/remotes/") { indexCommitQuietly(id) }
    }
    return out
  }

  /// Called by `clone` before its first fetch: when `--images` was given, or the git host has
  /// `refs/annot/storage`, the remote is configured with its image store and the clone takes
  /// labels only (images come on demand).
  func setUpImageStoreForClone(remote r: String, url: String, explicit: ImageStoreSettings?, callbacks: TransferCallbacks) throws {
    var settings = explicit
    if settings == nil {
      let remote = try remoteConfig(r)
      let adv = try transfer(remote) { try git.listRemote(r, callbacks: callbacks) }.refs
      guard adv.contains(where: { $0.name == Self.storageRef }) else { return }
      let local = "refs/annot/remotes/\(r)/storage"
      _ = try transfer(remote) { try fetchRefs(remote, git, ["+\(Self.storageRef):\(local)"], callbacks, "clone: image store descriptor") }
      guard let d = try git.reference(local), let s = try readStorageDescriptor(d) else { return }
      settings = s
    }
    try configureImageStore(remote: r, url: url, settings: settings!)
    try git.setConfig("annot.labelsonly", "true")
  }
}
