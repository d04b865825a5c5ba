import Foundation
import AnnotModel
import AnnotStore

// Remote configuration and the ref layout every remote operation shares. Design: Docs/REMOTES.md.

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
}
