import CGit2
import AnnotModel
import Foundation

// Remotes through libgit2: configured remotes, listing a remote's refs, fetch and push with
// credentials (GitRepository+Credentials.swift) and progress.
// Transports are libgit2's own (local paths, file://, git://, ssh:// via libssh2, https://).

/// A remote as configured in the repository (`remote.<name>.*`).
public struct RemoteConfig: Sendable, Hashable {
  public var name: String
  public var url: String
  public var pushURL: String?
  public var fetchRefspecs: [String]
}

/// One reference a remote advertises.
public struct RemoteRef: Sendable, Hashable {
  public var name: String
  public var id: ObjectID
  /// For a symbolic ref the server describes (HEAD), what it points at.
  public var symrefTarget: String?
}

/// A progress report during a transfer.
public struct TransferProgress: Sendable {
  public enum Phase: String, Sendable { case receiving = "Receiving objects", resolving = "Resolving deltas", writing = "Writing objects" }
  public var phase: Phase
  public var done: Int
  public var total: Int
  public var bytes: Int
}

/// What a fetch transferred.
public struct FetchStats: Sendable {
  public var receivedObjects: Int
  public var receivedBytes: Int
  /// Objects the server sent that were already present locally.
  public var localObjects: Int
}

/// The server's verdict on one pushed reference.
public struct PushedRef: Sendable, Hashable {
  public var name: String
  /// nil when accepted; otherwise the server's reason ("non-fast-forward", "rejected", ...).
  public var rejection: String?
}

/// How a transfer reports progress and finds credentials. The caller (the CLI) says whether
/// a prompt is possible and hands in the environment: the Store reads neither the terminal nor
/// the process environment itself.
public struct TransferCallbacks: Sendable {
  public var progress: (@Sendable (TransferProgress) -> Void)?
  /// Whether `git credential fill` may prompt on the terminal (the CLI: only when stdin is one).
  public var allowPrompt: Bool
  /// The environment credentials come from (ANNOT_TOKEN, GIT_TOKEN) and `git credential` runs in.
  public var environment: [String: String]
  public init(progress: (@Sendable (TransferProgress) -> Void)? = nil, allowPrompt: Bool = false, environment: [String: String] = [:]) {
    self.progress = progress
    self.allowPrompt = allowPrompt
    self.environment = environment
  }
}

extension GitRepository {
  // MARK: Configured remotes

  /// The configured remotes, sorted by name.
  public func remoteConfigs() throws -> [RemoteConfig] {
    try sync {
      var names = git_strarray()
      try check("git_remote_list", git_remote_list(&names, raw))
      defer { git_strarray_dispose(&names) }
      var out: [RemoteConfig] = []
      for i in 0..<names.count {
        guard let n = names.strings[i] else { continue }
        var r: OpaquePointer?
        try check("git_remote_lookup", git_remote_lookup(&r, raw, n))
        defer { git_remote_free(r) }
        var specs = git_strarray()
        try check("git_remote_get_fetch_refspecs", git_remote_get_fetch_refspecs(&specs, r))
        defer { git_strarray_dispose(&specs) }
        let fetch = (0..<specs.count).compactMap { specs.strings[$0].map { String(cString: $0) } }
        out.append(RemoteConfig(name: String(cString: n), url: git_remote_url(r).map { String(cString: $0) } ?? "",
                                pushURL: git_remote_pushurl(r).map { String(cString: $0) }, fetchRefspecs: fetch))
      }
      return out.sorted { $0.name < $1.name }
    }
  }

  /// Adds a remote whose first fetch refspec is `fetchRefspecs[0]` and the rest are added after.
  public func addRemote(name: String, url: String, fetchRefspecs: [String]) throws {
    try sync {
      var valid: Int32 = 0
      try check("git_remote_name_is_valid", git_remote_name_is_valid(&valid, name))
      guard valid == 1 else { throw GitError(operation: "git_remote_create", code: GIT_EINVALIDSPEC.rawValue, message: "'\(name)' is not a valid remote name") }
      var r: OpaquePointer?
      try check("git_remote_create_with_fetchspec", git_remote_create_with_fetchspec(&r, raw, name, url, fetchRefspecs.first))
      git_remote_free(r)
      for spec in fetchRefspecs.dropFirst() { try check("git_remote_add_fetch", git_remote_add_fetch(raw, name, spec)) }
    }
  }

  /// Removes a remote's configuration and its remote-tracking refs (`refs/remotes/<name>/*`).
  public func deleteRemote(_ name: String) throws {
    for (ref, _) in try references(prefix: "refs/remotes/\(name)/") { try deleteReference(ref) }
    try sync {
      // libgit2 1.5 cannot delete a remote with several fetch refspecs ("entry is not unique
      // due to being a multivar"): drop them first.
      var cfg: OpaquePointer?
      try check("git_repository_config", git_repository_config(&cfg, raw))
      defer { git_config_free(cfg) }
      let rc = git_config_delete_multivar(cfg, "remote.\(name).fetch", ".*")
      if rc != GIT_ENOTFOUND.rawValue { try check("git_config_delete_multivar", rc) }
      try check("git_remote_delete", git_remote_delete(raw, name))
    }
  }

  // MARK: Transfers

  /// Looks up the remote `nameOrURL` (a configured name, else an anonymous remote for that URL).
  func withRemote<T>(_ nameOrURL: String, _ body: (OpaquePointer?) throws -> T) throws -> T {
    var r: OpaquePointer?
    let rc = git_remote_lookup(&r, raw, nameOrURL)
    if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue {
      try check("git_remote_create_anonymous", git_remote_create_anonymous(&r, raw, nameOrURL))
    } else {
      try check("git_remote_lookup", rc)
    }
    defer { git_remote_free(r) }
    return try body(r)
  }

  /// Connects to a remote and returns what it advertises, and the branch its HEAD names.
  public func listRemote(_ nameOrURL: String, callbacks: TransferCallbacks = .init(), forPush: Bool = false) throws -> (refs: [RemoteRef], defaultBranch: String?) {
    try sync {
      try withRemote(nameOrURL) { r in
        let ctx = RemoteCallbackContext(callbacks)
        var cb = git_remote_callbacks()
        try check("git_remote_init_callbacks", git_remote_init_callbacks(&cb, UInt32(GIT_REMOTE_CALLBACKS_VERSION)))
        ctx.install(&cb)
        _ = try withExtendedLifetime(ctx) {
          try check("git_remote_connect", git_remote_connect(r, forPush ? GIT_DIRECTION_PUSH : GIT_DIRECTION_FETCH, &cb, nil, nil))
        }
        defer { git_remote_disconnect(r) }
        let refs = try advertisedRefs(r)
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        let branch: String? = git_remote_default_branch(&buf, r) == 0 ? String(cString: buf.ptr) : nil
        return (refs, branch)
      }
    }
  }

  /// The refs a connected remote advertises.
  private func advertisedRefs(_ r: OpaquePointer?) throws -> [RemoteRef] {
    var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
    var n = 0
    try check("git_remote_ls", git_remote_ls(&heads, &n, r))
    return (0..<n).compactMap { i -> RemoteRef? in
      guard let h = heads?[i]?.pointee else { return nil }
      return RemoteRef(name: String(cString: h.name), id: ObjectID(h.oid), symrefTarget: h.symref_target.map { String(cString: $0) })
    }
  }

  /// Fetches `refspecs` (each `[+]src:dst`) from a remote, updating the destination refs.
  /// Only objects the repository lacks are transferred (libgit2 negotiates with every local ref).
  /// No tags are followed beyond what the refspecs name.
  ///
  /// `verify` sees every ref update the fetch would make, after the objects arrived and before
  /// any ref moves; throwing from it leaves every ref as it was (the received objects stay
  /// unreachable until `annot gc` prunes them).
  public func fetch(_ nameOrURL: String, refspecs: [String], callbacks: TransferCallbacks = .init(), reflogMessage: String,
                    verify: (([(ref: String, id: ObjectID)]) throws -> Void)? = nil) throws -> FetchStats {
    try sync {
      try withRemote(nameOrURL) { r in
        let ctx = RemoteCallbackContext(callbacks)
        var opts = git_fetch_options()
        try check("git_fetch_options_init", git_fetch_options_init(&opts, UInt32(GIT_FETCH_OPTIONS_VERSION)))
        ctx.install(&opts.callbacks)
        opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        opts.prune = GIT_FETCH_NO_PRUNE
        opts.update_fetchhead = 0
        let cstrs = refspecs.map { strdup($0) }
        defer { cstrs.forEach { free($0) } }
        var ptrs: [UnsafeMutablePointer<CChar>?] = cstrs
        // git_remote_fetch is download + disconnect + update_tips; split, so that `verify` runs
        // between the objects arriving and the refs moving.
        let rc = ptrs.withUnsafeMutableBufferPointer { buf -> Int32 in
          var arr = git_strarray(strings: buf.baseAddress, count: refspecs.count)
          return withExtendedLifetime(ctx) { git_remote_download(r, &arr, &opts) }
        }
        ctx.settleHelper(success: rc == 0)
        try check("git_remote_download", rc)
        let updates = verify == nil ? [] : try Self.refUpdates(advertised: advertisedRefs(r).map { ($0.name, $0.id) }, refspecs: refspecs)
        git_remote_disconnect(r)
        if let verify {
          // `verify` reads objects through this handle, whose lock this call holds; the remote
          // object `r` stays private to this call meanwhile.
          lock.unlock()
          defer { lock.lock() }
          try verify(updates)
        }
        try withExtendedLifetime(ctx) {
          try check("git_remote_update_tips", git_remote_update_tips(r, &opts.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, reflogMessage))
        }
        let s = git_remote_stats(r)!.pointee
        return FetchStats(receivedObjects: Int(s.received_objects), receivedBytes: s.received_bytes, localObjects: Int(s.local_objects))
      }
    }
  }

  /// Pushes `refspecs` and reports the server's verdict per ref. `advertised` receives the
  /// remote's refs after connecting and before uploading, and may throw to stop the push
  /// (annot checks fast-forwards itself so that it can say what to do).
  public func push(_ nameOrURL: String, refspecs: ([RemoteRef]) throws -> [String],
                   callbacks: TransferCallbacks = .init()) throws -> [PushedRef] {
    try sync {
      try withRemote(nameOrURL) { r in
        let ctx = RemoteCallbackContext(callbacks)
        var opts = git_push_options()
        try check("git_push_options_init", git_push_options_init(&opts, UInt32(GIT_PUSH_OPTIONS_VERSION)))
        ctx.install(&opts.callbacks)
        return try withExtendedLifetime(ctx) {
          let rc = git_remote_connect(r, GIT_DIRECTION_PUSH, &opts.callbacks, nil, nil)
          if rc != 0 { ctx.settleHelper(success: false) }
          try check("git_remote_connect", rc)
          defer { git_remote_disconnect(r) }
          let refs = try advertisedRefs(r)
          let specs = try refspecs(refs)
          if specs.isEmpty { return [] }
          let cstrs = specs.map { strdup($0) }
          defer { cstrs.forEach { free($0) } }
          var ptrs: [UnsafeMutablePointer<CChar>?] = cstrs
          try ptrs.withUnsafeMutableBufferPointer { buf in
            var arr = git_strarray(strings: buf.baseAddress, count: specs.count)
            try check("git_remote_upload", git_remote_upload(r, &arr, &opts))
          }
          // Moves refs/remotes/<name>/* (and other fetch-refspec targets) to what was accepted.
          try check("git_remote_update_tips", git_remote_update_tips(r, &opts.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, "push"))
          ctx.settleHelper(success: true)
          return ctx.pushed
        }
      }
    }
  }

  /// The local directory a remote URL names (a path or file://), or nil for a network URL.
  public static func localPath(ofURL url: String) -> String? {
    if url.hasPrefix("file://") { return URL(string: url)?.path ?? String(url.dropFirst(7)) }
    if url.contains("://") { return nil }
    // scp-like host:path is a network remote; a local path with a colon before any slash is rare.
    if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") { return nil }
    return url
  }

  /// Fetches `refspecs` from the repository at the local path `source`, sending exactly the
  /// objects reachable from the matching refs that are not reachable from this repository's
  /// refs, as one pack. This is what git's upload-pack does; libgit2's local transport would
  /// send every ref of the source, which a labels-only fetch must avoid.
  /// `verify` runs as in `fetch`, before any ref moves.
  public func fetchLocal(from source: String, refspecs: [String], callbacks: TransferCallbacks = .init(), reflogMessage: String,
                         verify: (([(ref: String, id: ObjectID)]) throws -> Void)? = nil) throws -> FetchStats {
    _ = libgit2Initialised
    var src: OpaquePointer?
    try check("git_repository_open_ext", git_repository_open_ext(&src, source, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil))
    defer { git_repository_free(src) }
    // Which source refs go where.
    var updates: [(dst: String, id: ObjectID)] = []
    var iter: OpaquePointer?
    try check("git_reference_iterator_new", git_reference_iterator_new(&iter, src))
    var names: [String] = []
    var ref: OpaquePointer?
    while git_reference_next(&ref, iter) == 0 {
      if git_reference_type(ref) == GIT_REFERENCE_DIRECT { names.append(String(cString: git_reference_name(ref))) }
      git_reference_free(ref)
    }
    git_reference_iterator_free(iter)
    for spec in refspecs {
      var rs: OpaquePointer?
      try check("git_refspec_parse", git_refspec_parse(&rs, spec, 1))
      defer { git_refspec_free(rs) }
      for n in names.sorted() where git_refspec_src_matches(rs, n) == 1 {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try check("git_refspec_transform", git_refspec_transform(&buf, rs, n))
        var oid = git_oid()
        try check("git_reference_name_to_id", git_reference_name_to_id(&oid, src, n))
        updates.append((String(cString: buf.ptr), ObjectID(oid)))
      }
    }
    let haves = try sync { () throws -> [ObjectID] in
      var out: [ObjectID] = []
      var it: OpaquePointer?
      try check("git_reference_iterator_new", git_reference_iterator_new(&it, raw))
      defer { git_reference_iterator_free(it) }
      var r: OpaquePointer?
      while git_reference_next(&r, it) == 0 {
        if git_reference_type(r) == GIT_REFERENCE_DIRECT, let t = git_reference_target(r) { out.append(ObjectID(t)) }
        git_reference_free(r)
      }
      return out
    }
    var pb: OpaquePointer?
    try check("git_packbuilder_new", git_packbuilder_new(&pb, src))
    defer { git_packbuilder_free(pb) }
    var walk: OpaquePointer?
    try check("git_revwalk_new", git_revwalk_new(&walk, src))
    defer { git_revwalk_free(walk) }
    var pushed = false
    for u in Set(updates.map(\.id)) where !exists(u) {
      var oid = u.git
      var obj: OpaquePointer?
      try check("git_object_lookup", git_object_lookup(&obj, src, &oid, GIT_OBJECT_ANY))
      let isCommit = git_object_type(obj) == GIT_OBJECT_COMMIT
      git_object_free(obj)
      if isCommit { try check("git_revwalk_push", git_revwalk_push(walk, &oid)); pushed = true }
      else { try check("git_packbuilder_insert_recur", git_packbuilder_insert_recur(pb, &oid, nil)) }
    }
    for h in haves {
      var oid = h.git
      // Only commits the source also has can hide anything there.
      var obj: OpaquePointer?
      guard git_object_lookup(&obj, src, &oid, GIT_OBJECT_COMMIT) == 0 else { git_error_clear(); continue }
      git_object_free(obj)
      _ = git_revwalk_hide(walk, &oid)
    }
    if pushed { try check("git_packbuilder_insert_walk", git_packbuilder_insert_walk(pb, walk)) }
    var stats = FetchStats(receivedObjects: git_packbuilder_object_count(pb), receivedBytes: 0, localObjects: 0)
    if stats.receivedObjects > 0 {
      let ctx = RemoteCallbackContext(callbacks)
      var cb = git_remote_callbacks()
      ctx.install(&cb)
      _ = try withExtendedLifetime(ctx) {
        try check("git_packbuilder_write", git_packbuilder_write(pb, gitDir + "/objects/pack", 0, cb.transfer_progress, cb.payload))
      }
      if let name = git_packbuilder_name(pb) {
        let pack = gitDir + "/objects/pack/pack-" + String(cString: name) + ".pack"
        stats.receivedBytes = ((try? FileManager.default.attributesOfItem(atPath: pack))?[.size] as? Int) ?? 0
      }
      try refreshObjects()
    }
    try verify?(updates.map { (ref: $0.dst, id: $0.id) })
    for u in updates { try updateReference(u.dst, to: u.id, message: reflogMessage) }
    return stats
  }

  /// The (destination ref, object) pairs that fetching `refspecs` from refs `advertised` moves,
  /// as libgit2's update_tips computes them (peeled `^{}` entries are not refs).
  static func refUpdates(advertised: [(name: String, id: ObjectID)], refspecs: [String]) throws -> [(ref: String, id: ObjectID)] {
    var out: [(ref: String, id: ObjectID)] = []
    for spec in refspecs {
      var rs: OpaquePointer?
      try check("git_refspec_parse", git_refspec_parse(&rs, spec, 1))
      defer { git_refspec_free(rs) }
      for a in advertised where !a.name.hasSuffix("^{}") && git_refspec_src_matches(rs, a.name) == 1 {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try check("git_refspec_transform", git_refspec_transform(&buf, rs, a.name))
        out.append((String(cString: buf.ptr), a.id))
      }
    }
    return out
  }
}
