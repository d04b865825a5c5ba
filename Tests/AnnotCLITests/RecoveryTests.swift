import Foundation
import Testing
import AnnotTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Recovery: what killed or refused commands leave behind never blocks the next command, and
/// `annot gc` removes it. Kills are real `kill -9`s of the built binary.
@Suite(.serialized) struct RecoveryTests {
  func repo(_ label: String, images: Int = 40) throws -> (dir: URL, repo: URL) {
    let dir = try TestSupport.tempDir(label)
    let json = try TestSupport.cocoDataset(in: dir.appendingPathComponent("data"), count: images)
    let repo = dir.appendingPathComponent("repo")
    #expect(try TestSupport.annot(["init", repo.path], in: dir).status == 0)
    #expect(try TestSupport.annot(["import", "coco", json.path, "--images", dir.appendingPathComponent("data/images").path], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "one"], in: repo).status == 0)
    return (dir, repo)
  }

  /// Starts annot with `args` in `cwd`, waits until `ready()` or the process ends, then kill -9.
  /// Returns whether the kill landed while it ran.
  func killWhen(_ args: [String], in cwd: URL, ready: () -> Bool) throws -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: TestSupport.annotBinary)
    p.arguments = args
    p.currentDirectoryURL = cwd
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    var landed = false
    for _ in 0..<4000 where p.isRunning {
      if ready() { kill(p.processIdentifier, SIGKILL); landed = true; break }
      usleep(500)
    }
    p.waitUntilExit()
    return landed && p.terminationReason == .uncaughtSignal
  }

  func siblings(_ dir: URL, _ marker: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.contains(marker) }
  }

  @Test func aKilledExportLeavesNothingThatBlocksItsRetry() throws {
    let (dir, repo) = try repo("recover-export", images: 300)
    let out = dir.appendingPathComponent("out")
    let killed = try killWhen(["export", "HEAD", "--format", "coco", "--to", out.path], in: repo) {
      !siblings(dir, ".annot-export-").isEmpty
    }
    // Killed or not (a fast machine may finish first), the target is absent or a whole export.
    if FileManager.default.fileExists(atPath: out.path) {
      #expect(try TestSupport.annot(["verify", out.path], in: repo).status == 0)
    }
    if killed { #expect(!FileManager.default.fileExists(atPath: out.path)) }
    let retry = try TestSupport.annot(["export", "HEAD", "--format", "coco", "--to", out.path], in: repo)
    #expect(retry.status == 0, "\(retry.stderr)")
    #expect(try TestSupport.annot(["verify", out.path], in: repo).status == 0)
    #expect(siblings(dir, ".annot-export-").isEmpty, "\(siblings(dir, ".annot-export-"))")
    // Re-export over the earlier export replaces it; a refused one leaves it as it was.
    let before = try FileManager.default.subpathsOfDirectory(atPath: out.path).sorted()
    let refused = try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--to", out.path, "--strict"], in: repo)
    if refused.status != 0 {
      #expect(try FileManager.default.subpathsOfDirectory(atPath: out.path).sorted() == before)
      #expect(try TestSupport.annot(["verify", out.path], in: repo).status == 0)
    }
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--to", out.path], in: repo).status == 0)
    #expect(try TestSupport.annot(["verify", out.path], in: repo).status == 0)
    #expect(siblings(dir, ".annot-export-").isEmpty)
  }

  @Test func aKilledCloneLeavesNothingBehind() throws {
    let (dir, repo) = try repo("recover-clone", images: 300)
    let target = dir.appendingPathComponent("copy")
    _ = try killWhen(["clone", repo.path, target.path], in: dir) { !siblings(dir, ".annot-clone-").isEmpty }
    // Either a whole clone or nothing at the target.
    if FileManager.default.fileExists(atPath: target.path) {
      #expect(try TestSupport.annot(["fsck"], in: target).status == 0)
      try FileManager.default.removeItem(at: target)
    }
    let retry = try TestSupport.annot(["clone", repo.path, target.path], in: dir)
    #expect(retry.status == 0, "\(retry.stderr)")
    #expect(try TestSupport.annot(["log", "--oneline"], in: target).stdout.contains("one"))
    #expect(siblings(dir, ".annot-clone-").isEmpty, "\(siblings(dir, ".annot-clone-"))")
    // Into an existing empty directory (the user's current directory, say): it stays.
    let empty = dir.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    #expect(try TestSupport.annot(["clone", repo.path, "."], in: empty).status == 0)
    #expect(try TestSupport.annot(["status"], in: empty).status == 0)
  }

  @Test func gcRemovesAKilledImportsTemporariesThatEverythingElseIgnores() throws {
    let (dir, repo) = try repo("recover-gc")
    let tmp = repo.appendingPathComponent(".annot/annot/tmp")
    // What a kill -9 in the middle of an import leaves: a half-written pack, and a stage temporary.
    try TestSupport.write(Array("PACK\0\0\0\u{2}".utf8) + [UInt8](repeating: 7, count: 4096), to: tmp.appendingPathComponent("pack-images-12345.pack"))
    try TestSupport.write("deadbeef", to: repo.appendingPathComponent(".annot/annot/STAGE.tmp-12345"))
    // And what a repack or fetch killed between renaming its .pack and its .idx leaves: a pack alone.
    let packs = repo.appendingPathComponent(".annot/objects/pack")
    let somePack = try #require(try FileManager.default.contentsOfDirectory(atPath: packs.path).first { $0.hasSuffix(".pack") })
    let orphan = packs.appendingPathComponent("pack-0123456789abcdef0123456789abcdef01234567.pack")
    try FileManager.default.copyItem(at: packs.appendingPathComponent(somePack), to: orphan)
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: orphan.path)
    let fresh = tmp.appendingPathComponent("pack-docs-99999.pack")
    try TestSupport.write("fresh", to: fresh)
    let old = Date().addingTimeInterval(-7200)
    for f in [tmp.appendingPathComponent("pack-images-12345.pack"), repo.appendingPathComponent(".annot/annot/STAGE.tmp-12345")] {
      try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: f.path)
    }
    // Everything else ignores them.
    for args in [["status"], ["log"], ["fsck"], ["validate"]] {
      let r = try TestSupport.annot(args, in: repo)
      #expect(r.status == 0, "\(args): \(r.stdout)\(r.stderr)")
    }
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 9), to: repo.appendingPathComponent("images/new.png"))
    #expect(try TestSupport.annot(["add", "images/new.png"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "two"], in: repo).status == 0)
    // gc removes the old ones, keeps the fresh one (it may belong to a running command).
    let gc = try TestSupport.annot(["gc"], in: repo)
    #expect(gc.status == 0, "\(gc.stderr)")
    #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("pack-images-12345.pack").path))
    #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent(".annot/annot/STAGE.tmp-12345").path))
    #expect(FileManager.default.fileExists(atPath: fresh.path))
    #expect(!FileManager.default.fileExists(atPath: orphan.path))
    #expect(try TestSupport.annot(["gc", "--prune=now"], in: repo).status == 0)
    #expect(!FileManager.default.fileExists(atPath: fresh.path))
    let fsck = try TestSupport.git(["--git-dir", repo.appendingPathComponent(".annot").path, "fsck", "--strict"], in: dir)
    #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    #expect(try TestSupport.annot(["fsck"], in: repo).status == 0)
    #expect(try TestSupport.annot(["log", "--oneline"], in: repo).stdout.split(separator: "\n").count == 2)
  }

  /// What a kill inside `git gc` leaves besides packs: git's lock files (pack-refs holds
  /// packed-refs.lock, reflog expiry holds refs/…/NAME.lock) and an index whose pack it had just
  /// deleted. A stale packed-refs.lock makes every later `git gc` fail and a stale ref lock blocks
  /// commits, so gc removes the ones older than the grace period.
  @Test func gcRemovesTheLockFilesAKilledGitGCLeaves() throws {
    let (dir, repo) = try repo("recover-gc-locks", images: 4)
    let git = repo.appendingPathComponent(".annot")
    let packs = git.appendingPathComponent("objects/pack")
    let someIndex = try #require(try FileManager.default.contentsOfDirectory(atPath: packs.path).first { $0.hasSuffix(".idx") })
    let orphanIndex = packs.appendingPathComponent("pack-89abcdef0123456789abcdef0123456789abcdef.idx")
    try FileManager.default.copyItem(at: packs.appendingPathComponent(someIndex), to: orphanIndex)
    let locks = ["packed-refs.lock", "refs/heads/main.lock", "logs/refs/heads/main.lock", "objects/info/commit-graph.lock"].map { git.appendingPathComponent($0) }
    for f in locks + [orphanIndex] {
      try FileManager.default.createDirectory(at: f.deletingLastPathComponent(), withIntermediateDirectories: true)
      if !FileManager.default.fileExists(atPath: f.path) { try TestSupport.write("", to: f) }
      try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: f.path)
    }
    // The stale ref lock blocks a commit until gc removes it.
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 21), to: repo.appendingPathComponent("images/late.png"))
    #expect(try TestSupport.annot(["add", "images/late.png"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "blocked"], in: repo).status != 0)
    let gc = try TestSupport.annot(["gc"], in: repo)
    #expect(gc.status == 0, "\(gc.stderr)")
    for f in locks + [orphanIndex] { #expect(!FileManager.default.fileExists(atPath: f.path), "\(f.path)") }
    let commit = try TestSupport.annot(["commit", "-m", "two"], in: repo)
    #expect(commit.status == 0, "\(commit.stderr)")
    let fsck = try TestSupport.git(["--git-dir", git.path, "fsck", "--strict"], in: dir)
    #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    #expect(try TestSupport.annot(["fsck"], in: repo).status == 0)
  }

  /// `annot gc` runs `git gc` as a child. The child dies with annot's process group (a `kill -9`
  /// of the group, Ctrl-C in a terminal), and while it lives it holds the writer lock, also
  /// after annot alone is killed. Before, Foundation's `Process` gave git a process group of its
  /// own: a group kill left `git gc` repacking and pruning with the lock released, beside the
  /// next writer and the crash harness's `git fsck` (which then saw "packfile … index not
  /// opened" as git deleted the old packs under it). A stand-in `git` that sleeps.
  @Test func aKilledGCTakesGitWithItOrKeepsTheLockUntilGitEnds() throws {
    let (dir, repo) = try repo("recover-gc-child", images: 2)
    let bin = dir.appendingPathComponent("fake-bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    try TestSupport.write("#!/bin/sh\necho $$ > \"$ANNOT_TEST_GIT_PID.tmp\" && mv \"$ANNOT_TEST_GIT_PID.tmp\" \"$ANNOT_TEST_GIT_PID\"\nexec sleep 60\n", to: bin.appendingPathComponent("git"))
    chmod(bin.appendingPathComponent("git").path, 0o755)
    var started: [pid_t] = []
    defer { for pid in started { kill(pid, SIGKILL) } }
    func startGC(_ label: String) throws -> (Process, pid_t) {
      let pidFile = dir.appendingPathComponent("git-\(label).pid")
      let p = Process()
      p.executableURL = URL(fileURLWithPath: TestSupport.annotBinary)
      p.arguments = ["gc"]
      p.currentDirectoryURL = repo
      var env = ProcessInfo.processInfo.environment
      env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
      env["ANNOT_TEST_GIT_PID"] = pidFile.path
      p.environment = env
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()   // Foundation makes annot the leader of a process group of its own
      var pid: pid_t?
      for _ in 0..<3000 where pid == nil && p.isRunning {
        pid = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if pid == nil { usleep(10_000) }
      }
      let gitPid = try #require(pid, "the stand-in git did not start")
      started.append(gitPid)
      return (p, gitPid)
    }
    func alive(_ pid: pid_t) -> Bool {
      guard kill(pid, 0) == 0 else { return false }
      let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
      return !(stat.split(separator: ")").last.map { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Z") } ?? false)
    }
    func waitForExit(_ pid: pid_t) -> Bool {
      for _ in 0..<500 where alive(pid) { usleep(10_000) }
      return !alive(pid)
    }

    // kill -9 of annot's process group: git goes with it, and the next writer gets the lock.
    let (first, firstGit) = try startGC("group")
    kill(-first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    #expect(waitForExit(firstGit), "git gc outlived a kill of annot's process group")
    let next = try TestSupport.annot(["tag", "after-group-kill"], in: repo)
    #expect(next.status == 0, "\(next.stderr)")

    // kill -9 of annot alone: git goes on, holding the writer lock until it ends.
    let (second, secondGit) = try startGC("alone")
    kill(second.processIdentifier, SIGKILL)
    second.waitUntilExit()
    #expect(alive(secondGit))
    let blocked = try TestSupport.annot(["tag", "while-git-runs"], in: repo)
    #expect(blocked.status != 0 && blocked.stderr.contains("another annot process"), "\(blocked.status) \(blocked.stderr)")
    kill(secondGit, SIGKILL)
    #expect(waitForExit(secondGit))
    let free = try TestSupport.annot(["tag", "after-git-ended"], in: repo)
    #expect(free.status == 0, "\(free.stderr)")
  }

  @Test func gcKeepsTheStageAndPrunesWhatNothingReaches() throws {
    let (dir, repo) = try repo("recover-gc-stage")
    // A staged, uncommitted image: reachable only from annot/STAGE.
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 11), to: repo.appendingPathComponent("images/staged.png"))
    #expect(try TestSupport.annot(["add", "images/staged.png"], in: repo).status == 0)
    let statusBefore = try TestSupport.annot(["status"], in: repo).stdout
    // An unreachable blob written by plain git.
    let junk = try TestSupport.run("/bin/bash", ["-c", "echo junk | git --git-dir .annot hash-object -w --stdin"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(try TestSupport.annot(["gc", "--prune=now"], in: repo).status == 0)
    #expect(try TestSupport.git(["--git-dir", ".annot", "cat-file", "-e", junk], in: repo).status != 0)
    #expect(try TestSupport.annot(["status"], in: repo).stdout == statusBefore)
    #expect(try TestSupport.annot(["commit", "-m", "staged"], in: repo).status == 0)
    #expect(try TestSupport.annot(["fsck"], in: repo).status == 0)
    #expect(try TestSupport.git(["--git-dir", repo.appendingPathComponent(".annot").path, "fsck", "--strict"], in: dir).status == 0)
    #expect(try TestSupport.git(["--git-dir", ".annot", "for-each-ref", "refs/annot/keep/"], in: repo).stdout.isEmpty)
  }

  @Test func fsckChecksRefsAndNoticesFilesThatAreNotRefs() throws {
    let (_, repo) = try repo("recover-refs", images: 2)
    #expect(try TestSupport.annot(["fsck"], in: repo).status == 0)
    let refs = repo.appendingPathComponent(".annot/refs/heads")
    // What an export into .annot/refs/heads/x would have written, a ref to a missing object,
    // and a ref to a blob.
    try TestSupport.write(#"{"images":[]}"#, to: refs.appendingPathComponent("x/annotations.json"))
    try TestSupport.write(TestSupport.png(width: 2, height: 2), to: refs.appendingPathComponent("x/images/a.png"))
    try TestSupport.write("1111111111111111111111111111111111111111\n", to: refs.appendingPathComponent("gone"))
    let blob = try TestSupport.run("/bin/bash", ["-c", "echo hi | git --git-dir .annot hash-object -w --stdin"], in: repo).stdout
    try TestSupport.write(blob, to: refs.appendingPathComponent("blob"))
    let r = try TestSupport.annot(["fsck"], in: repo)
    #expect(r.status != 0)
    for e in ["refs/heads/x/annotations.json: holds", "refs/heads/x/images/a.png: not a ref", "refs/heads/gone: points at 1111111111111111111111111111111111111111, which is missing",
              "refs/heads/blob: points at a blob"] {
      #expect(r.stdout.contains(e), "missing \(e) in \(r.stdout)\(r.stderr)")
    }
    // HEAD naming something that is not a branch.
    for f in ["x", "gone", "blob"] { try FileManager.default.removeItem(at: refs.appendingPathComponent(f)) }
    try TestSupport.write("ref: refs/tags/../../x\n", to: repo.appendingPathComponent(".annot/HEAD"))
    #expect(try TestSupport.annot(["fsck"], in: repo).stdout.contains("HEAD: names"))
  }
}
