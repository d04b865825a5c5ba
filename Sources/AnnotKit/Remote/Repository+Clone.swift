import Foundation
import AnnotModel
import AnnotStore

extension Repository {
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
      if let head = try repo.headCommit() { repo.refMoved(to: head, .other) }
      withExtendedLifetime(_lock) {}
      try StagedDirectory.finish(staging, at: root, kind: "clone", only: directoryName)
      return CloneOutcome(repository: try Repository.discover(from: root.path), branch: branch, fetch: fetched)
    } catch {
      StagedDirectory.abandon(staging)
      throw error
    }
  }
}
