import Foundation
import AnnotModel
import AnnotStore

// Remotes, clone, fetch, pull, push, and the labels mirror that makes labels-only clones
// possible over plain git protocols. Design and ref layout: Docs/REMOTES.md.

/// Errors of remote operations, each one line that says what to do.
public enum RemoteError: Error, Sendable, CustomStringConvertible {
  case noSuchRemote(String)
  case remoteExists(String)
  case invalidRemoteName(String)
  /// The remote could not be reached or the transfer failed; nothing changed locally.
  case transfer(remote: String, url: String, reason: String)
  /// A push that is not a fast-forward.
  case rejected
  case rejectedByServer(ref: String, reason: String)
  case noSuchRemoteBranch(remote: String, branch: String)
  case detachedHead
  case destinationExists(String)
  /// A command needs image bytes that a labels-only clone has not fetched.
  case imagesNotFetched(missing: Int, example: String)
  /// Images the remote could not provide.
  case imagesUnavailable(missing: Int, example: String)
  /// A labels mirror that does not rebuild the commit it claims to mirror.
  case mirrorMismatch(mirror: String, claimed: String, rebuilt: String)

  public var description: String {
    switch self {
    case .noSuchRemote(let n): "no remote named '\(n)' (see 'annot remote -v'; add one with 'annot remote add NAME URL')"
    case .remoteExists(let n): "a remote named '\(n)' already exists"
    case .invalidRemoteName(let n): "'\(n)' is not a valid remote name"
    case let .transfer(remote, url, reason):
      "cannot reach remote '\(remote)' (\(url)): \(reason.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces))"
    case .rejected: "rejected: the remote has commits you do not have; run 'annot pull' first, or push --force"
    case let .rejectedByServer(ref, reason): "rejected: the remote refused \(ref): \(reason)"
    case let .noSuchRemoteBranch(remote, branch): "the remote '\(remote)' has no branch '\(branch)'"
    case .detachedHead: "HEAD is detached: name the branch to push or pull, or switch to one"
    case .destinationExists(let p): "destination '\(p)' already exists and is not an empty directory"
    case let .imagesNotFetched(n, example):
      "images not fetched: run 'annot fetch --images' (\(n) image\(n == 1 ? "" : "s") missing in this labels-only clone, e.g. images/\(example))"
    case let .imagesUnavailable(n, example): "\(n) image\(n == 1 ? "" : "s") could not be fetched from the remote (e.g. \(example))"
    case let .mirrorMismatch(m, claimed, rebuilt):
      "labels mirror \(m) claims commit \(claimed) but rebuilds \(rebuilt); fetch the images with 'annot fetch --images'"
    }
  }
}

extension Repository {
  // MARK: Ref layout

  /// Mirror of branch B: `refs/annot/labels/B`.
  public static let labelsRefPrefix = "refs/annot/labels/"
  /// Image shard XX: `refs/annot/images/XX`.
  public static let shardRefPrefix = "refs/annot/images/"
  /// The commit header naming the real commit a labels commit mirrors.
  static let mirrorHeader = "annot-real"
  static let shardSignature = Signature(name: "annot", email: "annot@localhost", time: 0, offsetMinutes: 0)

  /// The fetch refspecs annot configures for a remote. Tags are fetched explicitly, not
  /// configured, because `remote remove` deletes the destinations of configured refspecs.
  public static func fetchRefspecs(remote r: String) -> [String] {
    ["+refs/heads/*:refs/remotes/\(r)/*",
     "+refs/annot/labels/*:refs/annot/remotes/\(r)/labels/*",
     "+refs/annot/images/*:refs/annot/remotes/\(r)/images/*"]
  }

  /// Whether this repository was cloned with `--labels-only` and still lacks images.
  public var isLabelsOnly: Bool { git.config("annot.labelsonly") == "true" }

  // MARK: Remote configuration

  public func remotes() throws -> [RemoteConfig] { try git.remoteConfigs() }

  /// `annot remote add NAME URL`: a local path is stored absolute so it works from any directory.
  public func addRemote(_ name: String, url: String) throws {
    let _lock = try lockForWriting("remote add")
    defer { withExtendedLifetime(_lock) {} }
    if try remotes().contains(where: { $0.name == name }) { throw RemoteError.remoteExists(name) }
    guard Self.validRefName(name), !name.contains("/") else { throw RemoteError.invalidRemoteName(name) }
    try git.addRemote(name: name, url: Self.normalizedURL(url), fetchRefspecs: Self.fetchRefspecs(remote: name))
  }

  /// `annot remote remove NAME`: drops the configuration and the remote-tracking refs.
  public func removeRemote(_ name: String) throws {
    let _lock = try lockForWriting("remote remove")
    defer { withExtendedLifetime(_lock) {} }
    guard try remotes().contains(where: { $0.name == name }) else { throw RemoteError.noSuchRemote(name) }
    try git.deleteRemote(name)
    for (ref, _) in try git.references(prefix: "refs/annot/remotes/\(name)/") { try? git.deleteReference(ref) }
  }

  /// A path that exists locally becomes absolute; URLs and scp-like `host:path` stay as given.
  static func normalizedURL(_ url: String) -> String {
    if url.contains("://") { return url }
    let fm = FileManager.default
    guard fm.fileExists(atPath: url) else { return url }
    let abs = URL(fileURLWithPath: url).standardizedFileURL
    // Another annot repository's directory: its repository is the .annot inside.
    if fm.fileExists(atPath: abs.appendingPathComponent(directoryName + "/HEAD").path) { return abs.appendingPathComponent(directoryName).path }
    return abs.path
  }

  func remoteConfig(_ name: String) throws -> RemoteConfig {
    guard let r = try remotes().first(where: { $0.name == name }) else { throw RemoteError.noSuchRemote(name) }
    return r
  }

  /// The remote of the current branch's upstream, else `origin`.
  func defaultRemote() throws -> String {
    if let b = try currentBranch(), let r = git.config("branch.\(b).remote") { return r }
    return "origin"
  }

  /// Runs a transfer, turning libgit2's failures into one-line `RemoteError.transfer`.
  func transfer<T>(_ remote: RemoteConfig, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as GitError {
      if e.isNonFastForward { throw RemoteError.rejected }
      throw RemoteError.transfer(remote: remote.name, url: remote.url, reason: e.description)
    }
  }

  // MARK: Clone

  public struct CloneOptions: Sendable {
    /// Fetch only the labels history (no image bytes); see Docs/REMOTES.md.
    public var labelsOnly = false
    /// The branch to check out (default: the remote's HEAD).
    public var branch: String?
    /// Images in this store (`--images`); nil: the one the git host names, if any (ImageStore/).
    public var imageStore: ImageStoreSettings?
    public var callbacks = TransferCallbacks()
    public init() {}
  }

  public struct CloneOutcome: Sendable {
    public var repository: Repository
    /// The checked-out branch (nil for an empty remote with no default).
    public var branch: String?
    public var fetch: FetchOutcome
  }

  /// Directory name git would pick for `url`: its last component without `.git`.
  public static func cloneDirectoryName(for url: String) -> String {
    var s = url
    while s.hasSuffix("/") { s.removeLast() }
    if s.hasSuffix("/.annot") { s.removeLast(7) }
    var last = String(s.split(whereSeparator: { $0 == "/" || $0 == ":" }).last ?? "repository")
    if last.hasSuffix(".git") { last.removeLast(4) }
    return last.isEmpty ? "repository" : last
  }

  /// `annot clone URL DIR`: DIR/.annot is the bare repository, remote `origin`, the remote's
  /// HEAD branch checked out, the stage equal to HEAD. On any failure nothing is left behind.
  public static func clone(_ url: String, into path: String, options: CloneOptions = .init()) throws -> CloneOutcome {
    let fm = FileManager.default
    let root = URL(fileURLWithPath: path).standardizedFileURL
    var isDir: ObjCBool = false
    let existed = fm.fileExists(atPath: root.path, isDirectory: &isDir)
    if try existed && (!isDir.boolValue || !fm.contentsOfDirectory(atPath: root.path).isEmpty) {
      throw RemoteError.destinationExists(path)
    }
    let source = normalizedURL(url)
    // Built in a temporary sibling and renamed into place last (Repository+ExportStaging), so a
    // killed clone leaves no repository that looks valid and empty.
    let staging = try StagedDirectory.begin(root, kind: "clone")
    do {
      let repo = try Repository.initialize(at: staging.path)
      try repo.git.addRemote(name: "origin", url: source, fetchRefspecs: fetchRefspecs(remote: "origin"))
      if options.labelsOnly { try repo.git.setConfig("annot.labelsonly", "true") }
      try repo.setUpImageStoreForClone(remote: "origin", url: source, explicit: options.imageStore, callbacks: options.callbacks)
      var fo = FetchOptions()
      fo.callbacks = options.callbacks
      let fetched = try repo.fetch("origin", options: fo, advertise: true)
      let _lock = try repo.lockForWriting("clone")
      defer { withExtendedLifetime(_lock) {} }
      let branch = options.branch ?? fetched.remoteDefaultBranch ?? "main"
      if let tip = try repo.git.reference("refs/remotes/origin/\(branch)") {
        try repo.git.updateReference("refs/heads/\(branch)", to: tip, expected: .some(nil), message: "clone: from \(source)")
        try repo.git.setConfig("branch.\(branch).remote", "origin")
        try repo.git.setConfig("branch.\(branch).merge", "refs/heads/\(branch)")
        if let mirror = try repo.git.reference("refs/annot/remotes/origin/labels/\(branch)") {
          try repo.git.updateReference(labelsRefPrefix + branch, to: mirror, message: "clone: labels mirror")
        }
      } else if options.branch != nil {
        throw RemoteError.noSuchRemoteBranch(remote: "origin", branch: branch)
      }
      try repo.git.setHead(branch: "refs/heads/\(branch)")
      if let head = try repo.headCommit() { repo.indexCommitQuietly(head) }
      withExtendedLifetime(_lock) {}
      try StagedDirectory.finish(staging, at: root, kind: "clone", only: directoryName)
      return CloneOutcome(repository: try Repository.discover(from: root.path), branch: branch, fetch: fetched)
    } catch {
      StagedDirectory.abandon(staging)
      throw error
    }
  }

  // MARK: Fetch

  public struct FetchOptions: Sendable {
    public var callbacks = TransferCallbacks()
    public init() {}
  }

  /// One ref a fetch changed.
  public struct RefChange: Sendable, Hashable {
    public var name: String
    public var old: ObjectID?
    public var new: ObjectID
  }

  public struct FetchOutcome: Sendable {
    public var remote: String
    public var updated: [RefChange] = []
    public var receivedObjects = 0
    public var receivedBytes = 0
    /// The branch the remote's HEAD names, when it says.
    public var remoteDefaultBranch: String?
    /// Branch names the remote advertises.
    public var remoteBranches: [String] = []
    /// Things the user should know (branches skipped in a labels-only fetch, ...).
    public var notes: [String] = []
  }

  func snapshot(_ prefixes: [String]) throws -> [String: ObjectID] {
    var out: [String: ObjectID] = [:]
    for p in prefixes { for (n, id) in try git.references(prefix: p) { out[n] = id } }
    return out
  }

  /// `annot fetch [REMOTE]`: brings the remote's branches to `refs/remotes/REMOTE/*`, its tags,
  /// and its labels mirrors and image shards to `refs/annot/remotes/REMOTE/*`. In a labels-only
  /// clone only the labels mirrors travel and the real commits are rebuilt from them.
  public func fetch(_ remoteName: String? = nil, options: FetchOptions = .init()) throws -> FetchOutcome {
    try fetch(remoteName, options: options, advertise: false)
  }

  /// `advertise`: list the remote's refs first (one more round trip) to learn its HEAD branch;
  /// a labels-only fetch always does, to check rebuilt commits against the branch tips.
  func fetch(_ remoteName: String?, options: FetchOptions, advertise: Bool) throws -> FetchOutcome {
    let _lock = try lockForWriting("fetch")
    defer { withExtendedLifetime(_lock) {} }
    let remote = try remoteConfig(remoteName ?? defaultRemote())
    let r = remote.name
    if imageStoreSettings(remote: r) != nil { return try fetchWithImageStore(remote, options: options) }
    let watched = ["refs/remotes/\(r)/", "refs/tags/", "refs/annot/remotes/\(r)/"]
    let before = try snapshot(watched)
    var out = FetchOutcome(remote: r)
    let advertised: (refs: [RemoteRef], defaultBranch: String?) = advertise || isLabelsOnly
      ? try transfer(remote) { try git.listRemote(r, callbacks: options.callbacks) } : ([], nil)
    out.remoteDefaultBranch = advertised.defaultBranch.map { $0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0 }
    out.remoteBranches = advertised.refs.map(\.name).filter { $0.hasPrefix("refs/heads/") }.map { String($0.dropFirst(11)) }
    if isLabelsOnly {
      let specs = ["+refs/annot/labels/*:refs/annot/remotes/\(r)/labels/*"]
      let stats = try transfer(remote) { try fetchRefs(remote, git, specs, options.callbacks, "fetch (labels only)", verify: verifyIncoming(remote: r)) }
      (out.receivedObjects, out.receivedBytes) = (stats.receivedObjects, stats.receivedBytes)
      out.notes = try rebuildFromMirrors(remote: r, advertised: advertised.refs)
    } else {
      let specs = remote.fetchRefspecs + ["refs/tags/*:refs/tags/*"]
      let stats = try transfer(remote) {
        try git.fetch(r, refspecs: specs, callbacks: options.callbacks, reflogMessage: "fetch \(r)", verify: verifyIncoming(remote: r))
      }
      (out.receivedObjects, out.receivedBytes) = (stats.receivedObjects, stats.receivedBytes)
      try learnMirrors(prefix: "refs/annot/remotes/\(r)/labels/", before: before)
      try unionShards(remote: r)
    }
    let after = try snapshot(watched)
    for (name, id) in after.sorted(by: { $0.key < $1.key }) where before[name] != id {
      out.updated.append(RefChange(name: name, old: before[name], new: id))
      if name.hasPrefix("refs/remotes/") { indexCommitQuietly(id) }
    }
    return out
  }

  /// Fetches exactly what `specs` name: over the network through libgit2, from a local path by
  /// packing the wanted objects directly (libgit2's local transport sends every ref).
  /// `verify` sees the ref updates before any ref moves (IncomingCheck.swift).
  func fetchRefs(_ remote: RemoteConfig, _ into: GitRepository, _ specs: [String], _ callbacks: TransferCallbacks, _ message: String,
                 verify: (([(ref: String, id: ObjectID)]) throws -> Void)? = nil) throws -> FetchStats {
    if let path = GitRepository.localPath(ofURL: remote.url) {
      return try into.fetchLocal(from: path, refspecs: specs, callbacks: callbacks, reflogMessage: message, verify: verify)
    }
    return try into.fetch(remote.url, refspecs: specs, callbacks: callbacks, reflogMessage: message, verify: verify)
  }

  // MARK: Pull

  /// `annot pull [REMOTE [BRANCH]]`: fetch, then the semantic merge of the remote-tracking
  /// branch into the current branch (conflicts are recorded exactly as `annot merge` does).
  public func pull(_ remoteName: String? = nil, branch: String? = nil, merge mergeOptions: MergeOptions = .init(),
                   options: FetchOptions = .init()) throws -> (fetch: FetchOutcome, merge: MergeResult) {
    guard let current = try currentBranch() else { throw RemoteError.detachedHead }
    let r = try remoteName ?? defaultRemote()
    let b = branch ?? git.config("branch.\(current).merge").map { $0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0 } ?? current
    let fetched = try fetch(r, options: options)
    let tracking = "refs/remotes/\(r)/\(b)"
    guard let theirs = try git.reference(tracking) else { throw RemoteError.noSuchRemoteBranch(remote: r, branch: b) }
    if try headCommit() == nil {
      // An unborn branch simply starts at theirs, as git does.
      let _lock = try lockForWriting("pull")
      defer { withExtendedLifetime(_lock) {} }
      try git.updateReference("refs/heads/\(current)", to: theirs, expected: .some(nil), message: "pull: from \(r)/\(b)")
      recordLabelsMirrorQuietly(theirs)
      indexCommitQuietly(theirs)
      return (fetched, .fastForward(theirs))
    }
    var o = mergeOptions
    if o.message == nil { o.message = "Merge branch '\(b)' of \(try remoteConfig(r).url)" }
    return (fetched, try merge(tracking, options: o))
  }

  // MARK: Push

  public struct PushOptions: Sendable {
    public var force = false
    public var tags = false
    public var callbacks = TransferCallbacks()
    public init() {}
  }

  public struct PushOutcome: Sendable {
    public var remote: String
    public var branch: String
    /// Refs the remote accepted (branch, labels mirror, shards, tags).
    public var updated: [String] = []
    /// The remote already had this commit on that branch.
    public var upToDate = false
    public var old: ObjectID?
    public var new: ObjectID
  }

  /// Shards that changed on both sides and must be united before pushing.
  struct ShardsDiverged: Error { var names: [String] }

  /// `annot push [REMOTE [BRANCH]]`: the branch, its labels mirror, the image shards that
  /// changed, and with `tags` the tags. Refuses a non-fast-forward unless `force`.
  public func push(_ remoteName: String? = nil, branch: String? = nil, options: PushOptions = .init()) throws -> PushOutcome {
    let _lock = try lockForWriting("push")
    defer { withExtendedLifetime(_lock) {} }
    let remote = try remoteConfig(remoteName ?? defaultRemote())
    let r = remote.name
    guard let b = try branch ?? currentBranch() else { throw RemoteError.detachedHead }
    guard let local = try git.reference("refs/heads/\(b)") else {
      throw try git.head() == .branch("refs/heads/\(b)") ? AnnotError.unbornBranch(b) : AnnotError.noSuchBranch(b)
    }
    if let s = imageStoreSettings(remote: r) { return try pushWithImageStore(remote, branch: b, local: local, settings: s, options: options) }
    // Reach the remote before building anything locally: an unreachable remote changes nothing.
    _ = try transfer(remote) { try git.listRemote(r, callbacks: options.callbacks, forPush: true) }
    // libgit2 1.5 reads its big-file threshold (no delta search above it) from
    // pack.deltaCacheSize; without a limit it tries to delta every image against ten others,
    // which is most of the cost of a push. Images are already compressed: skip them.
    if git.config("pack.deltacachesize") == nil { try git.setConfig("pack.deltaCacheSize", "64k") }
    var map = MirrorMap(self)
    let mirror = try labelsMirror(of: local, map: &map)
    try git.updateReference(Self.labelsRefPrefix + b, to: mirror, message: "push: labels mirror")
    var outcome = PushOutcome(remote: r, branch: b, new: local)
    let force = options.force
    let localTags = options.tags ? try git.references(prefix: "refs/tags/") : []
    // Tag refs resolve to commits in `references`; push what the ref itself names.
    let tagTargets = try localTags.map { t in (t.name, try git.resolveObject(t.name).id) }
    // `specs` runs inside the push, which holds this handle's lock: read through a second handle.
    let probe = try GitRepository.open(gitDir: gitDir)
    func specs(_ adv: [RemoteRef]) throws -> [String] {
      let git = probe
      var byName: [String: ObjectID] = [:]
      for a in adv { byName[a.name] = a.id }
      let remoteTip = byName["refs/heads/\(b)"]
      outcome.old = remoteTip
      if !force, let rt = remoteTip, rt != local {
        guard git.exists(rt), try git.isAncestor(rt, of: local) else { throw RemoteError.rejected }
      }
      outcome.upToDate = remoteTip == local
      let plus = force ? "+" : ""
      var out = ["\(plus)refs/heads/\(b):refs/heads/\(b)"]
      // The mirror is derived from the branch; the branch check above is the authority.
      if byName[Self.labelsRefPrefix + b] != mirror { out.append("+\(Self.labelsRefPrefix)\(b):\(Self.labelsRefPrefix)\(b)") }
      var diverged: [String] = []
      for (name, id) in try git.references(prefix: Self.shardRefPrefix) {
        let theirs = byName[name]
        if theirs == id { continue }
        if let theirs, try !(git.exists(theirs) && git.isAncestor(theirs, of: id)) { diverged.append(name); continue }
        out.append("\(name):\(name)")
      }
      if !diverged.isEmpty { throw ShardsDiverged(names: diverged) }
      for (name, id) in tagTargets where byName[name] != id { out.append("\(plus)\(name):\(name)") }
      return out
    }
    var pushed: [PushedRef]
    do {
      pushed = try transfer(remote) { try git.push(r, refspecs: specs, callbacks: options.callbacks) }
    } catch let d as ShardsDiverged {
      // Someone else added images to the same shards: unite them (trees only), then push again.
      let fetchSpecs = d.names.map { "+\($0):refs/annot/remotes/\(r)/images/\($0.dropFirst(Self.shardRefPrefix.count))" }
      _ = try transfer(remote) { try fetchRefs(remote, git, fetchSpecs, options.callbacks, "push: fetch image shards", verify: verifyIncoming(remote: r)) }
      try unionShards(remote: r)
      pushed = try transfer(remote) { try git.push(r, refspecs: specs, callbacks: options.callbacks) }
    }
    for p in pushed {
      if let why = p.rejection {
        if p.name == "refs/heads/\(b)" && (why.contains("fast-forward") || why.contains("fetch first")) { throw RemoteError.rejected }
        throw RemoteError.rejectedByServer(ref: p.name, reason: why)
      }
      outcome.updated.append(p.name)
    }
    if git.config("branch.\(b).remote") == nil {
      try git.setConfig("branch.\(b).remote", r)
      try git.setConfig("branch.\(b).merge", "refs/heads/\(b)")
    }
    return outcome
  }

  // MARK: Labels mirror

  /// real commit → labels commit, cached in `.annot/annot/labels-map` (derived data: deleting
  /// it only makes the next lookup recompute).
  struct MirrorMap {
    let repo: Repository
    var loaded: [ObjectID: ObjectID]?
    /// Known pairs consulted before the file is read (the branch's current mirror).
    var seed: [ObjectID: ObjectID] = [:]
    var pending: [(ObjectID, ObjectID)] = []
    init(_ repo: Repository) { self.repo = repo }
    var file: String { repo.stateDir + "/labels-map" }

    mutating func get(_ real: ObjectID) -> ObjectID? {
      if let m = seed[real] { return m }
      if loaded == nil {
        var m: [ObjectID: ObjectID] = [:]
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
          for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let a = ObjectID(hex: String(parts[0])), let b = ObjectID(hex: String(parts[1])) { m[a] = b }
          }
        }
        loaded = m
      }
      return loaded![real]
    }

    mutating func record(_ real: ObjectID, _ mirror: ObjectID) {
      if loaded?[real] == mirror { return }
      loaded?[real] = mirror
      seed[real] = mirror
      pending.append((real, mirror))
    }

    /// Appends what was learned (one write; a torn line is skipped on reading).
    mutating func save() {
      guard !pending.isEmpty else { return }
      let text = pending.map { "\($0.0.hex) \($0.1.hex)\n" }.joined()
      if let h = FileHandle(forWritingAtPath: file) {
        h.seekToEndOfFile(); h.write(Data(text.utf8)); try? h.close()
      } else {
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
      }
      pending = []
    }
  }

  /// Splits a raw commit into header lines (continuation lines kept with their field) and message.
  static func splitCommit(_ raw: [UInt8]) -> (header: [String], message: ArraySlice<UInt8>) {
    var i = 0
    while i + 1 < raw.count, !(raw[i] == 0x0A && raw[i + 1] == 0x0A) { i += 1 }
    let head = String(decoding: raw[0..<min(i, raw.count)], as: UTF8.self)
    var lines: [String] = []
    for l in head.split(separator: "\n", omittingEmptySubsequences: false) {
      if l.hasPrefix(" "), !lines.isEmpty { lines[lines.count - 1] += "\n" + l } else { lines.append(String(l)) }
    }
    return (lines, raw[min(i + 2, raw.count)...])
  }

  static func header(_ lines: [String], _ field: String) -> String? {
    lines.first { $0.hasPrefix(field + " ") }.map { String($0.dropFirst(field.count + 1)) }
  }

  /// Assembles a commit from a tree, parents, the remaining header fields and the message.
  static func assemble(tree: ObjectID, parents: [ObjectID], rest: [String], message: ArraySlice<UInt8>) -> [UInt8] {
    var head = "tree \(tree.hex)\n" + parents.map { "parent \($0.hex)\n" }.joined()
    for l in rest { head += l + "\n" }
    return Array(head.utf8) + [0x0A] + message
  }

  /// The real commit a labels commit mirrors (its `annot-real` header).
  func mirroredCommit(_ mirror: ObjectID) throws -> ObjectID? {
    Self.header(Self.splitCommit(try git.rawObject(mirror)).header, Self.mirrorHeader).flatMap(ObjectID.init(hex:))
  }

  /// The labels commit of `commit`: the same tree with every `images/` blob replaced by a
  /// gitlink to it, parents the mirrors of the real parents, the same author, committer and
  /// message, plus an `annot-real` header. Deterministic, so every clone computes the same id.
  /// Each commit costs one tree diff against its first parent (what changed), and new image
  /// blobs are added to their shards.
  func labelsMirror(of commit: ObjectID, map: inout MirrorMap, fresh: Bool = false) throws -> ObjectID {
    defer { map.save() }
    // A commit just made has no mirror yet: skip the lookup that would read the cache file.
    if !fresh, let m = map.get(commit) { return m }
    // Unknown commits, parents before children (iterative: histories can be long).
    var order: [ObjectID] = []
    var seen = Set<ObjectID>()
    var stack: [(ObjectID, Bool)] = [(commit, false)]
    while let (c, expanded) = stack.popLast() {
      if expanded { order.append(c); continue }
      if seen.contains(c) || ((c != commit || !fresh) && map.get(c) != nil) { continue }
      seen.insert(c)
      stack.append((c, true))
      for p in try git.commit(c).parents where !seen.contains(p) && map.get(p) == nil { stack.append((p, false)) }
    }
    var newImages = Set<ObjectID>()
    for c in order {
      let info = try git.commit(c)
      var edits: [RawTreeEdit] = []
      var base: ObjectID?
      if let p = info.parents.first, let pm = map.get(p) {
        base = try git.commit(pm).tree
        for ch in try git.diffTrees(try git.commit(p).tree, info.tree) {
          edits.append(Self.mirrorEdit(ch.path, ch.newBlob))
          if ch.path.hasPrefix("images/"), let n = ch.newBlob { newImages.insert(n) }
        }
      } else {
        for (path, id) in try git.leafEntries(under: info.tree) {
          edits.append(Self.mirrorEdit(path, id))
          if path.hasPrefix("images/") { newImages.insert(id) }
        }
      }
      let tree = try git.editTree(base, edits)
      let (lines, message) = Self.splitCommit(try git.rawObject(c))
      var rest: [String] = []
      for l in lines where !l.hasPrefix("tree ") && !l.hasPrefix("parent ") {
        rest.append(l)
        if l.hasPrefix("committer ") { rest.append("\(Self.mirrorHeader) \(c.hex)") }
      }
      let parents = try info.parents.map { p -> ObjectID in
        guard let m = map.get(p) else { throw AnnotError.other("labels mirror: parent \(p.hex) of \(c.hex) has no mirror") }
        return m
      }
      let m = try git.writeRawCommit(Self.assemble(tree: tree, parents: parents, rest: rest, message: message))
      map.record(c, m)
    }
    try addToShards(newImages)
    return map.get(commit)!
  }

  static func mirrorEdit(_ path: String, _ id: ObjectID?) -> RawTreeEdit {
    guard let id else { return .remove(path: path) }
    return path.hasPrefix("images/") ? .gitlink(path: path, id: id) : .blob(path: path, id: id)
  }

  /// The hook `commit` and `merge` call: keeps `refs/annot/labels/<branch>` and the image shards
  /// up to date. It never fails the command: `push` recomputes whatever is missing.
  func recordLabelsMirrorQuietly(_ commit: ObjectID) {
    // For measuring the hook's cost only (Scripts/bench-remote.sh); push catches up anyway.
    if ProcessInfo.processInfo.environment["ANNOT_NO_LABELS_MIRROR"] != nil { return }
    // Without a remote nobody can fetch the mirror yet: the first push builds it, so a local-only
    // repository pays nothing (the root commit of a large import would pay for all 256 shards).
    guard let remotes = try? git.remoteConfigs(), !remotes.isEmpty else { return }
    guard case .branch(let ref)? = try? git.head(), ref.hasPrefix("refs/heads/") else { return }
    let branch = String(ref.dropFirst(11))
    var map = MirrorMap(self)
    // The common case: the branch's mirror is the mirror of this commit's first parent.
    if let current = try? git.reference(Self.labelsRefPrefix + branch), let real = try? mirroredCommit(current) {
      map.seed[real] = current
    }
    guard let m = try? labelsMirror(of: commit, map: &map, fresh: true) else { return }
    try? git.updateReference(Self.labelsRefPrefix + branch, to: m, message: "annot: labels mirror")
  }

  /// Records real → mirror for mirrors fetched from a remote (walks only the new ones).
  func learnMirrors(prefix: String, before: [String: ObjectID]) throws {
    var map = MirrorMap(self)
    defer { map.save() }
    for (name, tip) in try git.references(prefix: prefix) where before[name] != tip {
      let hidden = before[name].map { [$0] } ?? []
      for m in try git.walk(from: [tip], hiding: hidden) {
        if let real = try mirroredCommit(m) { map.record(real, m) }
      }
    }
  }

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
      let edits = try ids.sorted { $0.hex < $1.hex }.filter { id in try tree.map { try git.entry(tree: $0, path: id.hex) == nil } ?? true }
        .map { RawTreeEdit.blob(path: $0.hex, id: $0) }
      if edits.isEmpty { continue }
      let newTree = try git.editTree(tree, edits)
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
      let added = try git.diffTrees(ourTree, theirTree).compactMap { c in c.oldBlob == nil ? c.newBlob.map { RawTreeEdit.blob(path: c.path, id: $0) } : nil }
      let tree = try git.editTree(ourTree, added, allowMissing: true)
      let c = try git.createCommit(tree: tree, parents: [ours, theirs], message: "annot image shard \(name.suffix(2))\n",
                                   author: Self.shardSignature, committer: Self.shardSignature)
      try git.updateReference(ref, to: c, message: "fetch: image shard union")
    }
  }

  // MARK: Labels-only clones

  /// Rebuilds the real commits of every fetched labels mirror (their trees with gitlinks turned
  /// back into blob entries, whose bytes stay on the remote), checks each against the id it
  /// claims and the branch tips the remote advertises, and points `refs/remotes/R/*` at them.
  func rebuildFromMirrors(remote r: String, advertised: [RemoteRef]) throws -> [String] {
    var notes: [String] = []
    var adv: [String: ObjectID] = [:]
    for a in advertised { adv[a.name] = a.id }
    var map = MirrorMap(self)
    defer { map.save() }
    let prefix = "refs/annot/remotes/\(r)/labels/"
    for (name, tip) in try git.references(prefix: prefix) {
      let branch = String(name.dropFirst(prefix.count))
      let real = try rebuild(mirror: tip, map: &map)
      guard adv["refs/heads/\(branch)"] == real else {
        notes.append("branch '\(branch)': the remote's labels mirror is not its branch tip (push it from a full clone); skipped")
        continue
      }
      try git.updateReference("refs/remotes/\(r)/\(branch)", to: real, message: "fetch (labels only)")
    }
    // Lightweight tags on rebuilt commits come along; annotated tag objects need a full fetch.
    for a in advertised where a.name.hasPrefix("refs/tags/") && !a.name.hasSuffix("^{}") {
      if try git.reference(a.name) == nil, git.exists(a.id), (try? git.commit(a.id)) != nil {
        try git.updateReference(a.name, to: a.id, message: "fetch (labels only)")
      }
    }
    return notes
  }

  func rebuild(mirror tip: ObjectID, map: inout MirrorMap) throws -> ObjectID {
    // Mirrors whose real commit is not here yet, parents first.
    var order: [ObjectID] = []
    var seen = Set<ObjectID>()
    var stack: [(ObjectID, Bool)] = [(tip, false)]
    func missing(_ m: ObjectID) throws -> Bool { try mirroredCommit(m).map { !git.exists($0) } ?? true }
    while let (m, expanded) = stack.popLast() {
      if expanded { order.append(m); continue }
      if seen.contains(m) { continue }
      seen.insert(m)
      guard try missing(m) else { continue }
      stack.append((m, true))
      for p in try git.commit(m).parents where !seen.contains(p) { stack.append((p, false)) }
    }
    for m in order {
      let info = try git.commit(m)
      let (lines, message) = Self.splitCommit(try git.rawObject(m))
      guard let claimed = Self.header(lines, Self.mirrorHeader).flatMap(ObjectID.init(hex:)) else {
        throw AnnotError.other("\(m.hex) is not a labels mirror (no \(Self.mirrorHeader) header)")
      }
      let realParents = try info.parents.map { p -> ObjectID in
        guard let rp = try mirroredCommit(p) else { throw AnnotError.other("\(p.hex) is not a labels mirror") }
        return rp
      }
      var edits: [RawTreeEdit] = []
      var base: ObjectID?
      func realEdit(_ path: String, _ id: ObjectID?) -> RawTreeEdit { id.map { .blob(path: path, id: $0) } ?? .remove(path: path) }
      if let mp = info.parents.first, let rp = realParents.first {
        base = try git.commit(rp).tree
        for ch in try git.diffTrees(try git.commit(mp).tree, info.tree) { edits.append(realEdit(ch.path, ch.newBlob)) }
      } else {
        for (path, id) in try git.leafEntries(under: info.tree) { edits.append(realEdit(path, id)) }
      }
      let tree = try git.editTree(base, edits, allowMissing: true)
      let rest = lines.filter { !$0.hasPrefix("tree ") && !$0.hasPrefix("parent ") && !$0.hasPrefix(Self.mirrorHeader + " ") }
      let real = try git.writeRawCommit(Self.assemble(tree: tree, parents: realParents, rest: rest, message: message))
      guard real == claimed else { throw RemoteError.mirrorMismatch(mirror: m.hex, claimed: claimed.hex, rebuilt: real.hex) }
      map.record(real, m)
    }
    guard let real = try mirroredCommit(tip) else { throw AnnotError.other("\(tip.hex) is not a labels mirror") }
    map.record(real, tip)
    return real
  }

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
    let tmp = stateDir + "/tmp/images-\(getpid())"
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
