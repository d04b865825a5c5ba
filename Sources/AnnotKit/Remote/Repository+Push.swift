import Foundation
import AnnotModel
import AnnotStore

extension Repository {
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
}
