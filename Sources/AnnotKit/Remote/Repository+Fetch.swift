import Foundation
import AnnotModel
import AnnotStore

extension Repository {
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
      if name.hasPrefix("refs/remotes/") { refMoved(to: id, .other) }
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
      refMoved(to: theirs)
      return (fetched, .fastForward(theirs))
    }
    var o = mergeOptions
    if o.message == nil { o.message = "Merge branch '\(b)' of \(try remoteConfig(r).url)" }
    return (fetched, try merge(tracking, options: o))
  }
}
