import CGit2
import AnnotModel
import Foundation

// Remotes through libgit2: configured remotes, listing a remote's refs, fetch and push with
// credentials and progress, plus the raw-object and tree primitives the labels mirror needs.
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

/// How a transfer reports progress and finds credentials.
public struct TransferCallbacks: Sendable {
  public var progress: (@Sendable (TransferProgress) -> Void)?
  /// Whether `git credential fill` may prompt on the terminal (only when stdin is one).
  public var allowPrompt: Bool
  public init(progress: (@Sendable (TransferProgress) -> Void)? = nil, allowPrompt: Bool = isatty(0) == 1) {
    self.progress = progress
    self.allowPrompt = allowPrompt
  }
}

/// Errors of remote operations that are not plain libgit2 failures.
public enum RemoteTransferError: Error, Sendable, CustomStringConvertible {
  /// Every credential source was tried and refused.
  case authentication(url: String)
  public var description: String {
    switch self {
    case .authentication(let url):
      "authentication failed for \(url): load a key into ssh-agent, set ANNOT_TOKEN (or GIT_TOKEN), or configure a git credential helper"
    }
  }
}

/// State shared with libgit2's C callbacks through their payload pointer.
final class RemoteCallbackContext: @unchecked Sendable {
  let callbacks: TransferCallbacks
  var triedAgent = false
  var triedToken = false
  var triedHelper = false
  var triedUsername = false
  var failedAuthURL: String?
  /// Credentials from `git credential fill`, to approve or reject afterwards as git does.
  var helperCredential: [String: String]?
  var pushed: [PushedRef] = []
  init(_ callbacks: TransferCallbacks) { self.callbacks = callbacks }

  static func from(_ payload: UnsafeMutableRawPointer?) -> RemoteCallbackContext {
    Unmanaged<RemoteCallbackContext>.fromOpaque(payload!).takeUnretainedValue()
  }

  /// Fills a `git_remote_callbacks` whose payload is this context (kept alive by the caller).
  func install(_ cb: inout git_remote_callbacks) {
    cb.payload = Unmanaged.passUnretained(self).toOpaque()
    cb.credentials = { out, url, userFromURL, allowed, payload in
      RemoteCallbackContext.from(payload).credential(out, url.map { String(cString: $0) } ?? "", userFromURL.map { String(cString: $0) }, allowed)
    }
    cb.transfer_progress = { stats, payload in
      guard let s = stats?.pointee, let report = RemoteCallbackContext.from(payload).callbacks.progress else { return 0 }
      if s.total_deltas > 0 && s.received_objects == s.total_objects {
        report(TransferProgress(phase: .resolving, done: Int(s.indexed_deltas), total: Int(s.total_deltas), bytes: s.received_bytes))
      } else {
        report(TransferProgress(phase: .receiving, done: Int(s.received_objects), total: Int(s.total_objects), bytes: s.received_bytes))
      }
      return 0
    }
    cb.push_transfer_progress = { current, total, bytes, payload in
      RemoteCallbackContext.from(payload).callbacks.progress?(TransferProgress(phase: .writing, done: Int(current), total: Int(total), bytes: bytes))
      return 0
    }
    cb.push_update_reference = { ref, status, payload in
      let ctx = RemoteCallbackContext.from(payload)
      ctx.pushed.append(PushedRef(name: ref.map { String(cString: $0) } ?? "", rejection: status.map { String(cString: $0) }))
      return 0
    }
  }

  /// Offers each credential source once: ssh-agent, a token from the environment, git's helper.
  func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, _ url: String, _ userFromURL: String?, _ allowed: UInt32) -> Int32 {
    if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0, !triedUsername {
      triedUsername = true
      return git_credential_username_new(out, userFromURL ?? "git")
    }
    if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0, !triedAgent {
      triedAgent = true
      return git_credential_ssh_key_from_agent(out, userFromURL ?? "git")
    }
    if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
      let env = ProcessInfo.processInfo.environment
      if !triedToken, let token = env["ANNOT_TOKEN"] ?? env["GIT_TOKEN"], !token.isEmpty {
        triedToken = true
        // Hosts ignore the user name for tokens but require one.
        return git_credential_userpass_plaintext_new(out, userFromURL ?? "x-access-token", token)
      }
      if !triedHelper {
        triedHelper = true
        if let filled = GitCredentialHelper.fill(url: url, user: userFromURL, allowPrompt: callbacks.allowPrompt),
           let user = filled["username"], let pass = filled["password"] {
          helperCredential = filled
          return git_credential_userpass_plaintext_new(out, user, pass)
        }
      }
    }
    failedAuthURL = url
    git_error_set_str(Int32(GIT_ERROR_NET.rawValue), RemoteTransferError.authentication(url: url).description)
    return GIT_EAUTH.rawValue
  }

  /// Tells git's credential helper whether the credentials it gave worked.
  func settleHelper(success: Bool) {
    guard let c = helperCredential else { return }
    GitCredentialHelper.run(success ? "approve" : "reject", c, allowPrompt: false)
  }
}

/// `git credential fill|approve|reject`: the user's configured helpers, as git itself uses them.
enum GitCredentialHelper {
  static func fill(url: String, user: String?, allowPrompt: Bool) -> [String: String]? {
    guard let u = URLComponents(string: url), let scheme = u.scheme, let host = u.host else { return nil }
    var fields = ["protocol": scheme, "host": u.port.map { "\(host):\($0)" } ?? host]
    if !u.path.isEmpty { fields["path"] = String(u.path.drop { $0 == "/" }) }
    if let user { fields["username"] = user }
    return run("fill", fields, allowPrompt: allowPrompt)
  }

  @discardableResult
  static func run(_ verb: String, _ fields: [String: String], allowPrompt: Bool) -> [String: String]? {
    guard let git = ["/usr/bin/git", "/usr/local/bin/git"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: git)
    p.arguments = ["credential", verb]
    var env = ProcessInfo.processInfo.environment
    if !allowPrompt { env["GIT_TERMINAL_PROMPT"] = "0"; env["GIT_ASKPASS"] = "/bin/false"; env["SSH_ASKPASS"] = "/bin/false" }
    p.environment = env
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    let text = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined() + "\n"
    input.fileHandleForWriting.write(Data(text.utf8))
    try? input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { return nil }
    var out: [String: String] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      if let eq = line.firstIndex(of: "=") { out[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
    }
    return out
  }
}

/// An edit for `editTree`: a blob, a gitlink (a tree entry naming an object that need not exist
/// locally, mode 160000), or a removal.
public enum RawTreeEdit: Sendable, Hashable {
  case blob(path: String, id: ObjectID)
  case gitlink(path: String, id: ObjectID)
  case remove(path: String)
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

  // MARK: Raw objects and trees for the labels mirror

  /// The raw bytes of an object (for commits: the header lines, a blank line, the message).
  public func rawObject(_ id: ObjectID) throws -> [UInt8] {
    try sync {
      var odb: OpaquePointer?
      try check("git_repository_odb", git_repository_odb(&odb, raw))
      defer { git_odb_free(odb) }
      var oid = id.git
      var obj: OpaquePointer?
      let rc = git_odb_read(&obj, odb, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(id.hex) }
      try check("git_odb_read", rc)
      defer { git_odb_object_free(obj) }
      let n = git_odb_object_size(obj)
      guard n > 0, let p = git_odb_object_data(obj) else { return [] }
      return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
  }

  /// Writes a commit object from its raw bytes (the caller built a valid header).
  public func writeRawCommit(_ bytes: [UInt8]) throws -> ObjectID {
    try sync {
      var odb: OpaquePointer?
      try check("git_repository_odb", git_repository_odb(&odb, raw))
      defer { git_odb_free(odb) }
      var out = git_oid()
      _ = try bytes.withUnsafeBytes { p in
        try check("git_odb_write", git_odb_write(&out, odb, p.baseAddress, p.count, GIT_OBJECT_COMMIT))
      }
      return ObjectID(out)
    }
  }

  /// Writes a tree from `base` with `edits` applied (only changed subtrees are written).
  /// With `allowMissing`, blob entries may name objects this repository does not hold
  /// (a labels-only clone rebuilding the real trees); libgit2 checks them otherwise.
  public func editTree(_ base: ObjectID?, _ edits: [RawTreeEdit], allowMissing: Bool = false) throws -> ObjectID {
    let baseID = base ?? Self.emptyTreeID
    if edits.isEmpty { return baseID }
    if baseID == Self.emptyTreeID { _ = try writeEmptyTree() }
    return try sync {
      var oid = baseID.git
      var baseline: OpaquePointer?
      try check("git_tree_lookup", git_tree_lookup(&baseline, raw, &oid))
      defer { git_tree_free(baseline) }
      let cpaths = edits.map { e -> UnsafeMutablePointer<CChar> in
        switch e { case .blob(let p, _), .gitlink(let p, _), .remove(let p): strdup(p)! }
      }
      defer { cpaths.forEach { free($0) } }
      var raws: [git_tree_update] = edits.enumerated().map { i, e in
        var u = git_tree_update()
        u.path = UnsafePointer(cpaths[i])
        switch e {
        case .blob(_, let id): u.action = GIT_TREE_UPDATE_UPSERT; u.id = id.git; u.filemode = GIT_FILEMODE_BLOB
        case .gitlink(_, let id): u.action = GIT_TREE_UPDATE_UPSERT; u.id = id.git; u.filemode = GIT_FILEMODE_COMMIT
        case .remove: u.action = GIT_TREE_UPDATE_REMOVE
        }
        return u
      }
      // The strictness switch is process-wide; annot is single-threaded around tree writes.
      if allowMissing { _ = cgit2_set_strict_object_creation(0) }
      defer { if allowMissing { _ = cgit2_set_strict_object_creation(1) } }
      var out = git_oid()
      try check("git_tree_create_updated", git_tree_create_updated(&out, raw, baseline, raws.count, &raws))
      return ObjectID(out)
    }
  }

  /// Every non-tree entry under `tree` (blobs and gitlinks), recursively, with their paths.
  public func leafEntries(under tree: ObjectID, prefix: String = "") throws -> [(path: String, id: ObjectID)] {
    var out: [(String, ObjectID)] = []
    func walk(_ t: ObjectID, _ p: String) throws {
      for e in try treeEntries(t) {
        let path = p.isEmpty ? e.name : p + "/" + e.name
        if e.isTree { try walk(e.id, path) } else { out.append((path, e.id)) }
      }
    }
    try walk(tree, prefix)
    return out
  }
}
