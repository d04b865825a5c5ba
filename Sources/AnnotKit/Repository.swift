import Foundation
import AnnotModel
import AnnotStore

/// An annot repository: a bare git repository at `<root>/.annot` plus annot's state under
/// `.annot/annot/` (the stage tree id, merge state, lock, index). See Docs/ARCHITECTURE.md.
public final class Repository: @unchecked Sendable {
  /// The directory the user created with `annot init`.
  public let root: URL
  let git: GitRepository
  public var gitDir: String { git.gitDir }

  public static let directoryName = ".annot"

  /// Whether moving the current branch also updates its labels mirror (`refMoved`). The CLI
  /// turns it off for ANNOT_NO_LABELS_MIRROR, which Scripts/bench-remote.sh sets to measure the
  /// hook's cost; push catches up anyway.
  public var deriveLabelsMirror = true

  /// The environment author, committer and dates come from (GIT_AUTHOR_NAME, GIT_COMMITTER_DATE,
  /// HOME for ~/.gitconfig). The Kit never reads the process environment: the CLI hands it in.
  public var environment: [String: String] = [:]

  /// Where the Kit says something the user should know while an operation goes on (a damaged
  /// index being rebuilt). The Kit never writes to stderr: the CLI decides where it goes.
  public var notice: @Sendable (String) -> Void = { _ in }

  /// Every path under `.annot/annot/`.
  public let layout: StateLayout

  init(root: URL, git: GitRepository) {
    self.root = root
    self.git = git
    layout = StateLayout(gitDir: git.gitDir)
    git.scratchDirectory = layout.tmp
  }

  /// Creates a repository in `path` (made if missing).
  public static func initialize(at path: String) throws -> Repository {
    let root = URL(fileURLWithPath: path).standardizedFileURL
    let gitDir = root.appendingPathComponent(directoryName).path
    if FileManager.default.fileExists(atPath: gitDir) { throw AnnotError.alreadyARepository(root.path) }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let git = try GitRepository.initBare(at: gitDir)
    try FileManager.default.createDirectory(atPath: StateLayout(gitDir: gitDir).tmp, withIntermediateDirectories: true)
    try git.setConfig("annot.version", "1")
    // Label documents are small text; let git's own gc delta-compress them, not the images.
    try git.setConfig("pack.window", "10")
    return Repository(root: root, git: git)
  }

  /// Finds the repository containing `path` (walking up like git), or throws `notARepository`.
  public static func discover(from path: String) throws -> Repository {
    var dir = URL(fileURLWithPath: path).standardizedFileURL
    while true {
      let candidate = dir.appendingPathComponent(directoryName)
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue,
         FileManager.default.fileExists(atPath: candidate.appendingPathComponent("HEAD").path) {
        return Repository(root: dir, git: try GitRepository.open(gitDir: candidate.path))
      }
      let parent = dir.deletingLastPathComponent()
      if parent.path == dir.path { throw AnnotError.notARepository(path) }
      dir = parent
    }
  }

  /// Takes the writer lock for the rest of the calling scope.
  public func lockForWriting(_ command: String) throws -> RepositoryLock {
    try RepositoryLock(path: layout.lock, command: command)
  }

  // MARK: - HEAD, branches, stage

  /// The current branch's ref name, or nil when HEAD is detached.
  public func currentBranchRef() throws -> String? {
    if case .branch(let b) = try git.head() { return b }
    return nil
  }

  /// The commit HEAD points at, or nil on an unborn branch.
  public func headCommit() throws -> ObjectID? {
    switch try git.head() {
    case .branch(let ref): return try git.reference(ref)
    case .detached(let id): return id
    }
  }

  public func headTree() throws -> ObjectID? {
    guard let c = try headCommit() else { return nil }
    return try git.commit(c).tree
  }

  var stageFile: String { layout.stage }

  /// The staged tree: what `commit` would record. Same as HEAD's tree when nothing is staged.
  public func stageTree() throws -> ObjectID {
    if let s = try? String(contentsOfFile: stageFile, encoding: .utf8),
       let id = ObjectID(hex: s.trimmingCharacters(in: .whitespacesAndNewlines)) {
      return id
    }
    return try headTree() ?? git.emptyTree()
  }

  /// Records `tree` as the stage, atomically (write a temporary file, then rename).
  public func setStage(_ tree: ObjectID) throws {
    if let head = try headTree(), head == tree {
      try? FileManager.default.removeItem(atPath: stageFile)
      return
    }
    try writeAtomically(stageFile, Array((tree.hex + "\n").utf8))
  }

  func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
    let tmp = path + ".tmp-\(getpid())"
    try Data(bytes).write(to: URL(fileURLWithPath: tmp))
    guard rename(tmp, path) == 0 else {
      unlink(tmp)
      throw AnnotError.other("cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }

  // MARK: - Reading trees

  /// Resolves a revision expression to a commit, with a user-facing error.
  public func resolveCommit(_ spec: String) throws -> ObjectID {
    do { return try git.resolveCommit(spec) } catch { throw AnnotError.unknownRevision(spec) }
  }

  /// The tree of a revision; the special name `:stage` (or `STAGE`) is the staged tree.
  public func tree(of spec: String) throws -> ObjectID {
    if spec == ":stage" || spec == "STAGE" { return try stageTree() }
    return try git.commit(resolveCommit(spec)).tree
  }

  /// The dataset manifest in `tree` (an empty schema if the tree has none).
  public func manifest(in tree: ObjectID) throws -> DatasetManifest {
    guard let e = try git.entry(tree: tree, path: DatasetPath.manifestEntry) else { return DatasetManifest() }
    do { return try DatasetManifest.decode(git.blob(e.id)) } catch let error as DocumentError {
      throw AnnotError.invalidFile(file: DatasetPath.manifestEntry, place: error.place, message: error.message)
    }
  }

  /// The label document of the image at dataset path `path` in `tree`, or nil.
  public func document(in tree: ObjectID, path: String) throws -> LabelDocument? {
    guard let e = try git.entry(tree: tree, path: DatasetPath.labelEntry(path)) else { return nil }
    return try decodeDocument(e.id, path: DatasetPath.labelEntry(path))
  }

  public func decodeDocument(_ blob: ObjectID, path: String) throws -> LabelDocument {
    do { return try LabelDocument.decode(git.blob(blob)) } catch let error as DocumentError {
      throw AnnotError.invalidFile(file: path, place: error.place, message: error.message)
    }
  }

  /// Dataset paths of every image in `tree`, sorted.
  public func imagePaths(in tree: ObjectID) throws -> [String] {
    guard let images = try git.entry(tree: tree, path: "images"), images.isTree else { return [] }
    return try git.leafEntries(under: images.id).map(\.path).sorted()
  }

  /// Every (image path, image blob, label blob) of `tree`, sorted by path.
  public func entries(in tree: ObjectID) throws -> [(path: String, image: ObjectID?, labels: ObjectID?)] {
    var byPath: [String: (ObjectID?, ObjectID?)] = [:]
    if let images = try git.entry(tree: tree, path: "images"), images.isTree {
      for (p, id) in try git.leafEntries(under: images.id) { byPath[p, default: (nil, nil)].0 = id }
    }
    if let labels = try git.entry(tree: tree, path: "labels"), labels.isTree {
      for (p, id) in try git.leafEntries(under: labels.id) where p.hasSuffix(".json") {
        byPath[String(p.dropLast(5)), default: (nil, nil)].1 = id
      }
    }
    return byPath.keys.sorted().map { (path: $0, image: byPath[$0]!.0, labels: byPath[$0]!.1) }
  }
}
