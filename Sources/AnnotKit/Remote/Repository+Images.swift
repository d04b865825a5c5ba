import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  // MARK: Images on demand

  /// Images under `tree` whose bytes this repository does not hold, as (dataset path, blob).
  public func missingImages(in tree: ObjectID) throws -> [(path: String, blob: ObjectID)] {
    guard let images = try git.entry(tree: tree, path: "images"), images.isTree else { return [] }
    return try git.leafEntries(under: images.id).filter { !git.exists($0.id) }.map { (path: $0.path, blob: $0.id) }
  }

  /// Throws `imagesNotFetched` when any image of `tree` is missing. Commands that read image
  /// bytes (export, cat-image) call this first so they fail before writing anything.
  public func requireImages(in tree: ObjectID) throws {
    let missing = try missingImages(in: tree)
    if let first = missing.first { throw RemoteError.imagesNotFetched(missing: missing.count, example: first.path) }
  }

  /// The original bytes of the image at dataset path `path` in `tree`.
  public func imageBytes(_ path: String, in tree: ObjectID) throws -> [UInt8] {
    guard let e = try git.entry(tree: tree, path: DatasetPath.imageEntry(path)) else { throw AnnotError.noSuchPath("images/" + path, revision: tree.hex) }
    if !git.exists(e.id) { try fetchMissingImagesOnDemand(in: tree, paths: [path]) }
    guard git.exists(e.id) else { throw RemoteError.imagesNotFetched(missing: 1, example: path) }
    return try git.blob(e.id)
  }

  public struct ImagesOutcome: Sendable {
    /// Images that were missing before.
    public var missing = 0
    /// Images fetched.
    public var fetched = 0
    public var receivedBytes = 0
  }

  /// `annot fetch --images [REV]`: fetches the image shards holding the images REV needs (all
  /// shards without REV), into a temporary repository with no refs so the server sends the
  /// blobs even though this repository already has the commits that name them; then moves the
  /// pack in. Images no shard holds are fetched with the full history of the remote's branches.
  public func fetchImages(_ remoteName: String? = nil, revision: String? = nil, options: FetchOptions = .init()) throws -> ImagesOutcome {
    let _lock = try lockForWriting("fetch --images")
    defer { withExtendedLifetime(_lock) {} }
    let remote = try remoteConfig(remoteName ?? defaultRemote())
    if let s = imageStoreSettings(remote: remote.name) { return try fetchStoreImages(s, selection: .init(revision: revision)) }
    var needed: [ObjectID] = []
    if let revision {
      needed = try missingImages(in: tree(of: revision)).map(\.blob)
    } else {
      var trees = Set<ObjectID>()
      for (_, id) in try git.references(prefix: "refs/heads/") + git.references(prefix: "refs/remotes/\(remote.name)/") { trees.insert(try git.commit(id).tree) }
      for t in trees { needed += try missingImages(in: t).map(\.blob) }
    }
    var out = ImagesOutcome(missing: Set(needed).count)
    if needed.isEmpty {
      if revision == nil { try git.setConfig("annot.labelsonly", "false") }
      return out
    }
    let advertised = try transfer(remote) { try git.listRemote(remote.name, callbacks: options.callbacks).refs }
    let wanted = Set(needed.map { String($0.hex.prefix(2)) })
    let specs = advertised.map(\.name).filter { $0.hasPrefix(Self.shardRefPrefix) }
      .filter { revision == nil || wanted.contains(String($0.suffix(2))) }
      .map { "+\($0):refs/fetched/\($0.dropFirst(5))" }
    let tmp = layout.imagesFetch(pid: getpid())
    try? FileManager.default.removeItem(atPath: tmp)
    defer { try? FileManager.default.removeItem(atPath: tmp) }
    func fetchInto(_ specs: [String]) throws {
      guard !specs.isEmpty else { return }
      if !FileManager.default.fileExists(atPath: tmp) {
        _ = try GitRepository.initBare(at: tmp)
        // Objects already here serve as delta bases; the refs (none yet) are what the server sees.
        try Data((URL(fileURLWithPath: gitDir).standardizedFileURL.path + "/objects\n").utf8)
          .write(to: URL(fileURLWithPath: tmp + "/objects/info/alternates"))
      }
      let temp = try GitRepository.open(gitDir: tmp)
      let stats = try transfer(remote) { try fetchRefs(remote, temp, specs, options.callbacks, "fetch --images") }
      out.receivedBytes += stats.receivedBytes
      try movePacks(from: tmp + "/objects/pack")
    }
    try fetchInto(specs)
    var still = needed.filter { !git.exists($0) }
    if !still.isEmpty {
      // Images no shard holds (pushed by plain git, or shards not pushed): the full history.
      try fetchInto(advertised.map(\.name).filter { $0.hasPrefix("refs/heads/") }.map { "+\($0):refs/fetched/\($0.dropFirst(5))" })
      still = needed.filter { !git.exists($0) }
    }
    out.fetched = Set(needed).count - Set(still).count
    try verifyFetchedImages(needed.filter { git.exists($0) }, remote: remote.name)
    if let first = still.first { throw RemoteError.imagesUnavailable(missing: Set(still).count, example: "blob " + first.hex) }
    if revision == nil { try git.setConfig("annot.labelsonly", "false") }
    return out
  }

  /// Moves fetched packs into the object store: the pack before its index, so a reader that
  /// sees an index always finds its pack.
  func movePacks(from dir: String) throws {
    let fm = FileManager.default
    let dest = gitDir + "/objects/pack"
    try fm.createDirectory(atPath: dest, withIntermediateDirectories: true)
    let files = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
    for ext in [".pack", ".rev", ".idx"] {
      for f in files.sorted() where f.hasSuffix(ext) {
        let target = dest + "/" + f
        if fm.fileExists(atPath: target) { continue }
        guard rename(dir + "/" + f, target) == 0 else { throw AnnotError.other("cannot move \(f) into \(dest): \(String(cString: strerror(errno)))") }
      }
    }
    try git.refreshObjects()
  }
}
