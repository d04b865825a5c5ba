import CGit2
import AnnotModel
import Foundation

/// A git repository opened through libgit2.
///
/// libgit2 repository handles are not thread-safe: every call goes through `lock`.
/// Code above AnnotStore never sees libgit2 types, only `ObjectID` and the value types here.
public final class GitRepository: @unchecked Sendable, ObjectReading {
  let raw: OpaquePointer
  let lock = NSLock()
  /// The git directory (for annot, `<root>/.annot`).
  public let gitDir: String
  /// Where writers may put temporary packs (same file system as the objects). Set once by
  /// the owner after opening; nil makes every tree a loose object.
  public nonisolated(unsafe) var scratchDirectory: String?

  private init(raw: OpaquePointer, gitDir: String) {
    self.raw = raw
    self.gitDir = gitDir
  }

  deinit { git_repository_free(raw) }

  func sync<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock(); defer { lock.unlock() }
    return try body()
  }

  /// Creates a bare repository at `path` with `main` as the initial branch and reflogs on.
  public static func initBare(at path: String) throws -> GitRepository {
    _ = libgit2Initialised
    var opts = git_repository_init_options()
    try check("git_repository_init_options_init", git_repository_init_options_init(&opts, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)))
    opts.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
    var out: OpaquePointer?
    try "main".withCString { head in
      opts.initial_head = head
      try check("git_repository_init_ext", git_repository_init_ext(&out, path, &opts))
    }
    let repo = GitRepository(raw: out!, gitDir: path)
    // Bare repositories do not keep reflogs by default; annot wants `annot reflog` and recovery.
    try repo.setConfig("core.logAllRefUpdates", "always")
    return repo
  }

  /// Opens the git directory at `path` (no discovery; AnnotKit finds `.annot`).
  public static func open(gitDir path: String) throws -> GitRepository {
    _ = libgit2Initialised
    var out: OpaquePointer?
    try check("git_repository_open_bare", git_repository_open_bare(&out, path))
    return GitRepository(raw: out!, gitDir: path)
  }

  // MARK: Config

  public func setConfig(_ key: String, _ value: String) throws {
    try sync {
      var cfg: OpaquePointer?
      try check("git_repository_config", git_repository_config(&cfg, raw))
      defer { git_config_free(cfg) }
      try check("git_config_set_string", git_config_set_string(cfg, key, value))
    }
  }

  public func config(_ key: String) -> String? {
    sync {
      var cfg: OpaquePointer?
      guard git_repository_config_snapshot(&cfg, raw) == 0 else { return nil }
      defer { git_config_free(cfg) }
      var out: UnsafePointer<CChar>?
      guard git_config_get_string(&out, cfg, key) == 0, let out else { return nil }
      return String(cString: out)
    }
  }

  // MARK: Blobs

  public func blob(_ id: ObjectID) throws -> [UInt8] {
    try sync {
      var oid = id.git
      var b: OpaquePointer?
      let rc = git_blob_lookup(&b, raw, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(id.hex) }
      try check("git_blob_lookup", rc)
      defer { git_blob_free(b) }
      let size = Int(git_blob_rawsize(b))
      guard size > 0, let p = git_blob_rawcontent(b) else { return [] }
      return Array(UnsafeRawBufferPointer(start: p, count: size))
    }
  }

  /// Size of an object without reading its content.
  public func objectSize(_ id: ObjectID) throws -> Int {
    try sync {
      var odb: OpaquePointer?
      try check("git_repository_odb", git_repository_odb(&odb, raw))
      defer { git_odb_free(odb) }
      var oid = id.git
      var len = 0
      var type = GIT_OBJECT_ANY
      try check("git_odb_read_header", git_odb_read_header(&len, &type, odb, &oid))
      return len
    }
  }

  /// Writes one blob as a loose object (small writes: documents, manifests).
  public func writeBlob(_ bytes: [UInt8]) throws -> ObjectID {
    try sync {
      var oid = git_oid()
      _ = try bytes.withUnsafeBytes { p in
        try check("git_blob_create_from_buffer", git_blob_create_from_buffer(&oid, raw, p.baseAddress, p.count))
      }
      return ObjectID(oid)
    }
  }

  /// Whether the object store has `id`. A miss normally rescans the object directories (another
  /// process or handle may have added a pack); bulk writers pass `refresh: false`.
  public func exists(_ id: ObjectID, refresh: Bool = true) -> Bool {
    sync {
      var odb: OpaquePointer?
      guard git_repository_odb(&odb, raw) == 0 else { return false }
      defer { git_odb_free(odb) }
      var oid = id.git
      return git_odb_exists_ext(odb, &oid, refresh ? 0 : UInt32(GIT_ODB_LOOKUP_NO_REFRESH.rawValue)) == 1
    }
  }

  /// Makes packs written behind libgit2's back visible.
  public func refreshObjects() throws {
    try sync {
      var odb: OpaquePointer?
      try check("git_repository_odb", git_repository_odb(&odb, raw))
      defer { git_odb_free(odb) }
      try check("git_odb_refresh", git_odb_refresh(odb))
    }
  }
}
