import Foundation
import AnnotModel
import AnnotStore

// `annot gc`: removes what killed or refused commands left behind (temporary packs, stage and
// merge temporaries, stale fetch temporaries), then prunes unreachable objects and repacks.
//
// Why pruning and repacking call `git gc` rather than libgit2: libgit2 1.5 has a packbuilder but
// no prune, no reflog expiry and no notion of git's grace rules (an unreachable object younger
// than gc.pruneExpire is kept, together with everything it reaches, so that a concurrent writer's
// fresh objects survive). Re-implementing those rules is where a mistake deletes data; git is their
// reference implementation, and a repository annot writes is a git repository. Without git on
// PATH, gc still removes temporaries and reports that objects were not pruned.

extension Repository {
  public struct GCOptions: Sendable {
    /// git's `--prune` date: unreachable objects older than this are deleted (`now` for all).
    /// nil: git's default (`gc.pruneExpire`, two weeks).
    public var prune: String?
    /// Temporaries younger than this (seconds) are kept; `prune == "now"` makes it 0.
    public var temporaryGrace: TimeInterval = 3600
    public init() {}
  }

  public struct GCOutcome: Sendable {
    /// Paths (relative to .annot) of removed temporaries.
    public var removedTemporaries: [String] = []
    /// Whether git pruned and repacked (false when git is not installed or the clone is labels-only).
    public var repacked = false
    public var objectsBefore = 0
    public var objectsAfter = 0
    /// Why objects were not pruned and repacked, when they were not.
    public var skippedBecause: String?
    /// Stale entries dropped from the labels mirror map.
    public var droppedMirrorEntries = 0
  }

  /// Refs gc creates for the duration of `git gc` so that annot's own roots, which are files,
  /// not refs (the stage tree, MERGE_HEAD, ORIG_STAGE), are not pruned. A killed gc leaves them
  /// (harmless: they name commits); the next gc removes them first.
  static let gcKeepPrefix = "refs/annot/keep/"

  public func gc(options: GCOptions = .init()) throws -> GCOutcome {
    let _lock = try lockForWriting("gc")
    defer { withExtendedLifetime(_lock) {} }
    var out = GCOutcome()
    let grace = options.prune == "now" ? 0 : options.temporaryGrace
    out.removedTemporaries = removeStaleTemporaries(olderThan: grace)
    for (name, _) in (try? git.directReferences()) ?? [] where name.hasPrefix(Self.gcKeepPrefix) { try? git.deleteReference(name) }
    // git's repack needs every object; a labels-only clone lacks the image blobs (REMOTES.md).
    guard !isLabelsOnly, let gitPath = Self.findGit() else { out.skippedBecause = isLabelsOnly ? "labels-only clone" : "git not found on PATH"; return out }
    out.objectsBefore = Self.countObjects(gitDir)
    // The stage, the other side of a merge and the stage before it are roots too.
    var keep: [(String, ObjectID)] = []
    if let s = try? String(contentsOfFile: stageFile, encoding: .utf8), let id = ObjectID(hex: s.trimmingCharacters(in: .whitespacesAndNewlines)) { keep.append(("stage", id)) }
    if let m = try pendingMergeHead() { keep.append(("merge-head", m)) }
    if let s = try? String(contentsOfFile: origHeadFile, encoding: .utf8), let id = ObjectID(hex: s.trimmingCharacters(in: .whitespacesAndNewlines)) { keep.append(("orig-stage", id)) }
    for (n, id) in keep where git.exists(id) {
      // Trees are wrapped in a parentless commit, so every ref names a commit (fsck and readers
      // assume so) even if gc is killed before it removes these refs.
      let target = git.objectKind(id) == .tree
        ? try git.createCommit(tree: id, parents: [], message: "annot gc: keep \(n)\n", author: Self.shardSignature, committer: Self.shardSignature)
        : id
      try git.updateReference(Self.gcKeepPrefix + n, to: target, message: "gc: keep")
    }
    defer { for (n, _) in keep { try? git.deleteReference(Self.gcKeepPrefix + n) } }
    var args = ["--git-dir", gitDir, "gc", "--quiet"]
    if let p = options.prune { args.append("--prune=\(p)") }
    var env = ProcessInfo.processInfo.environment
    for k in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"] { env[k] = nil }
    // git runs in annot's process group and holds the writer lock (ChildProcess): a kill of the
    // group stops it too, and a kill of annot alone leaves the lock held until git has finished.
    let run = try ChildProcess.run(gitPath, args, environment: env, holding: _lock)
    guard run.exitStatus == 0 else {
      let status = run.signal.map { "killed by signal \($0)" } ?? "exit \(run.exitStatus ?? -1)"
      let text = String(decoding: run.standardError, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? status
      throw AnnotError.other("git gc failed: \(DisplayText.quoted(text))")
    }
    try git.refreshObjects()
    out.repacked = true
    out.objectsAfter = Self.countObjects(gitDir)
    out.droppedMirrorEntries = pruneMirrorMap()
    return out
  }

  /// Removes temporaries no live command owns (the caller holds the writer lock, and every
  /// command that makes them holds it too), older than `grace` seconds:
  /// `annot/tmp/*` (packs of a killed import, fetch --images scratch repositories),
  /// `annot/*.tmp-PID` (atomic-write temporaries of STAGE, CONFLICTS.json, …),
  /// `objects/pack/tmp_*` and `pack_git2_*` (packs a killed fetch was writing), `.tmp-*` (a killed
  /// repack's packs), `objects/incoming-*`, git's `*.lock` files (in the git directory, `refs/`,
  /// `logs/`, `objects/info/`), and packs without an index (a repack or fetch killed between its
  /// two renames).
  func removeStaleTemporaries(olderThan grace: TimeInterval) -> [String] {
    let fm = FileManager.default
    let now = Date()
    var removed: [String] = []
    func old(_ path: String) -> Bool {
      guard let attrs = try? fm.attributesOfItem(atPath: path), let m = attrs[.modificationDate] as? Date else { return false }
      return now.timeIntervalSince(m) >= grace
    }
    func sweep(_ dir: String, _ matches: (String) -> Bool) {
      for name in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() where matches(name) {
        let path = dir + "/" + name
        if old(path), (try? fm.removeItem(atPath: path)) != nil { removed.append(String(path.dropFirst(gitDir.count + 1))) }
      }
    }
    sweep(layout.tmp) { _ in true }
    sweep(layout.dir) { $0.contains(".tmp-") }
    sweep(gitDir + "/objects/pack") { $0.hasPrefix("tmp_") || $0.hasPrefix("pack_git2_") || $0.hasPrefix(".tmp-") }
    sweep(gitDir + "/objects") { $0.hasPrefix("incoming-") }
    // Lock files of git and libgit2 that no live process holds: a kill inside git gc's
    // pack-refs or reflog expiry leaves packed-refs.lock or refs/…/NAME.lock, after which every
    // git gc fails ("Unable to create '…/packed-refs.lock': File exists") and libgit2 cannot
    // update or delete that ref. Every annot writer holds the writer lock, and so does every git
    // annot starts (ChildProcess), and the caller holds it now.
    sweep(gitDir) { $0.hasSuffix(".lock") }
    for sub in ["refs", "logs", "objects/info"] {
      let root = gitDir + "/" + sub
      let found = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".lock") }
      for rel in found.sorted() {
        let path = root + "/" + rel
        if old(path), (try? fm.removeItem(atPath: path)) != nil { removed.append(String(path.dropFirst(gitDir.count + 1))) }
      }
    }
    // A pack whose index never arrived: git and libgit2 rename the .pack before the .idx, so a
    // repack or fetch killed between the two leaves one (git fsck: "index not opened"). Nothing
    // reads it (every reader goes through an .idx), and its objects are still in the old packs.
    let packDir = gitDir + "/objects/pack"
    let names = Set((try? fm.contentsOfDirectory(atPath: packDir)) ?? [])
    sweep(packDir) { n in
      guard n.hasPrefix("pack-"), n.hasSuffix(".pack") || n.hasSuffix(".rev") else { return false }
      return !names.contains(String(n.dropLast(n.hasSuffix(".pack") ? 5 : 4)) + ".idx")
    }
    return removed
  }

  /// Drops labels-map entries whose mirror commit gc pruned (the map is derived data).
  func pruneMirrorMap() -> Int {
    let file = layout.labelsMap
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return 0 }
    var kept: [Substring] = []
    var dropped = 0
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ")
      if parts.count == 2, let m = ObjectID(hex: String(parts[1])), git.exists(m) { kept.append(line) } else { dropped += 1 }
    }
    if dropped > 0 { try? writeAtomically(file, Array((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8)) }
    return dropped
  }

  static func findGit() -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: dir + "/git") { return dir + "/git" }
    return nil
  }

  /// Loose objects plus objects in packs (from the .idx headers), for the report.
  static func countObjects(_ gitDir: String) -> Int {
    let fm = FileManager.default
    var n = 0
    for d in (try? fm.contentsOfDirectory(atPath: gitDir + "/objects")) ?? [] where d.count == 2 {
      n += ((try? fm.contentsOfDirectory(atPath: gitDir + "/objects/" + d)) ?? []).count
    }
    for f in (try? fm.contentsOfDirectory(atPath: gitDir + "/objects/pack")) ?? [] where f.hasSuffix(".idx") {
      // Version 2 index: magic, version, 256-entry fan-out; the last fan-out entry is the count.
      guard let h = FileHandle(forReadingAtPath: gitDir + "/objects/pack/" + f) else { continue }
      defer { try? h.close() }
      guard let bytes = try? h.read(upToCount: 8 + 256 * 4), bytes.count == 8 + 256 * 4 else { continue }
      let b = [UInt8](bytes.suffix(4))
      n += Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
    }
    return n
  }
}
