import Foundation
import Testing
import AnnotTestSupport

/// End-to-end tests of the git-like core: they drive the built `annot` binary and check every
/// repository with the real git.
@Suite struct CoreCommandsTests {
  func fsck(_ repo: URL) throws {
    let r = try TestSupport.git(["--git-dir", ".annot", "fsck", "--strict", "--no-dangling"], in: repo)
    #expect(r.status == 0, "git fsck failed: \(r.stdout)\(r.stderr)")
    #expect(!r.stdout.contains("error") && !r.stderr.contains("error"))
  }

  func newRepo() throws -> URL {
    let dir = try TestSupport.tempDir("core")
    let r = try TestSupport.annot(["init", "repo"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    return dir.appendingPathComponent("repo")
  }

  @Test func addCommitLogShowAndPlainGitReadsIt() throws {
    let repo = try newRepo()
    try TestSupport.write(TestSupport.png(width: 40, height: 30, seed: 1), to: repo.appendingPathComponent("images/train/a.png"))
    try TestSupport.write(TestSupport.png(width: 20, height: 10, seed: 2), to: repo.appendingPathComponent("images/train/b.png"))
    let dry = try TestSupport.annot(["add", "--dry-run", "images"], in: repo)
    #expect(dry.status == 0)
    #expect(try TestSupport.annot(["status", "--json"], in: repo).stdout.contains(#""images_added":[]"#))
    #expect(try TestSupport.annot(["add", "images"], in: repo).status == 0)
    let status = try TestSupport.annot(["status", "--json"], in: repo)
    #expect(status.stdout.contains(#""images_added":["train/a.png","train/b.png"]"#))
    let c = try TestSupport.annot(["commit", "-m", "first round"], in: repo)
    #expect(c.status == 0, "\(c.stderr)")
    #expect(c.stdout.hasPrefix("[main (root-commit) "))
    let log = try TestSupport.annot(["log", "--oneline"], in: repo)
    #expect(log.stdout.hasSuffix(" first round\n"))
    let show = try TestSupport.annot(["show", "HEAD:images/train/a.png", "--json"], in: repo)
    #expect(show.stdout == #"{"annotations":[],"image":{"height":30,"media_type":"image/png","path":"train/a.png","width":40},"version":1}"# + "\n")
    let gitLog = try TestSupport.git(["--git-dir", ".annot", "log", "--stat", "--format=%s"], in: repo)
    #expect(gitLog.stdout.contains("first round"))
    #expect(gitLog.stdout.contains("labels/train/a.png.json"))
    // Plain git sees the image bytes untouched.
    let blob = try TestSupport.git(["--git-dir", ".annot", "cat-file", "-p", "HEAD:images/train/b.png"], in: repo)
    #expect(Array(blob.stdout.utf8).count > 0)
    let hash = try TestSupport.git(["hash-object", "images/train/b.png"], in: repo).stdout
    let stored = try TestSupport.git(["--git-dir", ".annot", "rev-parse", "HEAD:images/train/b.png"], in: repo).stdout
    #expect(hash == stored)
    try fsck(repo)
    // Nothing staged: commit refuses and changes nothing.
    let again = try TestSupport.annot(["commit", "-m", "x"], in: repo)
    #expect(again.status != 0)
    #expect(again.stderr.contains("nothing to commit"))
  }

  @Test func branchesSwitchTagRmMvReset() throws {
    let repo = try newRepo()
    for i in 0..<4 { try TestSupport.write(TestSupport.png(width: 16, height: 16, seed: i), to: repo.appendingPathComponent("images/img\(i).png")) }
    #expect(try TestSupport.annot(["add", "images"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "one"], in: repo).status == 0)
    #expect(try TestSupport.annot(["branch", "round-2"], in: repo).status == 0)
    #expect(try TestSupport.annot(["switch", "round-2"], in: repo).status == 0)
    #expect(try TestSupport.annot(["tag", "v1"], in: repo).status == 0)
    #expect(try TestSupport.annot(["rm", "images/img3.png"], in: repo).status == 0)
    #expect(try TestSupport.annot(["mv", "images/img0.png", "images/renamed.png"], in: repo).status == 0)
    let st = try TestSupport.annot(["status", "--json"], in: repo).stdout
    #expect(st.contains(#""images_added":["renamed.png"]"#))
    #expect(st.contains(#""images_removed":["img0.png","img3.png"]"#))
    #expect(try TestSupport.annot(["commit", "-m", "two"], in: repo).status == 0)
    let moved = try TestSupport.annot(["show", "HEAD:images/renamed.png", "--json"], in: repo).stdout
    #expect(moved.contains(#""path":"renamed.png""#))
    let branches = try TestSupport.annot(["branch", "--json"], in: repo).stdout
    #expect(branches.contains(#""current":true,"name":"round-2""#))
    // Deleting the current branch is refused.
    #expect(try TestSupport.annot(["branch", "-d", "round-2"], in: repo).status != 0)
    #expect(try TestSupport.annot(["reset", "--hard", "HEAD~1"], in: repo).status == 0)
    let log = try TestSupport.annot(["log", "--oneline"], in: repo).stdout
    #expect(log.split(separator: "\n").count == 1)
    #expect(try TestSupport.annot(["status", "--json"], in: repo).stdout.contains(#""images_added":[]"#))
    // The reflog records the reset, as git's does.
    let reflog = try TestSupport.git(["--git-dir", ".annot", "reflog", "show", "round-2"], in: repo).stdout
    #expect(reflog.contains("reset: moving to HEAD~1"))
    #expect(try TestSupport.annot(["log", "v1", "--oneline"], in: repo).stdout.contains("one"))
    // Soft reset keeps the stage.
    #expect(try TestSupport.annot(["rm", "images/img1.png"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "three"], in: repo).status == 0)
    #expect(try TestSupport.annot(["reset", "--soft", "HEAD~1"], in: repo).status == 0)
    #expect(try TestSupport.annot(["status", "--json"], in: repo).stdout.contains(#""images_removed":["img1.png"]"#))
    try fsck(repo)
    // A clone by plain git works.
    let parent = repo.deletingLastPathComponent()
    let clone = try TestSupport.git(["clone", "-q", repo.appendingPathComponent(".annot").path, "plain-clone"], in: parent)
    #expect(clone.status == 0, "\(clone.stderr)")
  }

  @Test func badInputFailsWithOneLineAndChangesNothing() throws {
    let repo = try newRepo()
    try TestSupport.write(TestSupport.png(width: 8, height: 8), to: repo.appendingPathComponent("images/a.png"))
    #expect(try TestSupport.annot(["add", "images"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "one"], in: repo).status == 0)
    let before = try TestSupport.git(["--git-dir", ".annot", "count-objects", "-v"], in: repo).stdout
    let stageBefore = FileManager.default.fileExists(atPath: repo.appendingPathComponent(".annot/annot/STAGE").path)

    func expectFailure(_ args: [String], _ needle: String) throws {
      let r = try TestSupport.annot(args, in: repo)
      #expect(r.status != 0, "\(args) should fail")
      #expect(r.stderr.contains(needle), "\(args): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(args): not one line: \(r.stderr)")
    }
    try expectFailure(["log", "nope"], "unknown revision 'nope'")
    try expectFailure(["show", "deadbeef"], "unknown revision")
    try expectFailure(["add", "/etc/passwd"], "outside the repository")
    try expectFailure(["add", "../x"], "outside the repository")
    try expectFailure(["rm", "images/missing.png"], "did not match")
    // A truncated image is refused, naming the file.
    try TestSupport.write([0x89, 0x50, 0x4E, 0x47], to: repo.appendingPathComponent("images/broken.png"))
    try expectFailure(["add", "images/broken.png"], "images/broken.png")
    // A malformed label document names the file and the place.
    try TestSupport.write(#"{"version":1,"image":{"path":"a.png","width":8,"height":8,"media_type":"image/png"},"annotations":[{"id":"x","label":"car","kind":"box","bbox":[1,2,3]}]}"#, to: repo.appendingPathComponent("labels/a.png.json"))
    try expectFailure(["add", "labels/a.png.json"], "labels/a.png.json: annotations[0].bbox")
    try TestSupport.write("{ nope", to: repo.appendingPathComponent("labels/a.png.json"))
    try expectFailure(["add", "labels/a.png.json"], "line 1, column 3")
    // A file name that is not UTF-8 is reported, not skipped.
    var raw = Array(repo.appendingPathComponent("images").path.utf8) + Array("/bad".utf8) + [0xFF] + Array(".png".utf8) + [0]
    let fd = raw.withUnsafeMutableBufferPointer { p in p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_CREAT | O_WRONLY, 0o644) } }
    #expect(fd >= 0)
    close(fd)
    try expectFailure(["add", "images"], "file name is not valid UTF-8")
    raw.withUnsafeMutableBufferPointer { p in _ = p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { unlink($0) } }
    #expect(try TestSupport.git(["--git-dir", ".annot", "count-objects", "-v"], in: repo).stdout == before)
    #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent(".annot/annot/STAGE").path) == stageBefore)
    let outside = try TestSupport.tempDir("outside")
    let r = try TestSupport.annot(["status"], in: outside)
    #expect(r.status != 0 && r.stderr.contains("not an annot repository"))
  }

  @Test func secondWriterWaitsThenNamesTheHolder() throws {
    let repo = try newRepo()
    // Hold the lock from this process with flock, as another annot would.
    let path = repo.appendingPathComponent(".annot/annot/lock").path
    _ = FileManager.default.createFile(atPath: path, contents: Data("pid 4242: annot import\n".utf8))
    let fd = open(path, O_RDWR)
    defer { close(fd) }
    #expect(flock(fd, LOCK_EX) == 0)
    try TestSupport.write(TestSupport.png(width: 8, height: 8), to: repo.appendingPathComponent("images/a.png"))
    let r = try TestSupport.annot(["add", "images"], in: repo)
    #expect(r.status != 0)
    #expect(r.stderr.contains("another annot process is writing this repository (pid 4242: annot import)"))
    flock(fd, LOCK_UN)
    #expect(try TestSupport.annot(["add", "images"], in: repo).status == 0)
  }

  /// A kill at any moment leaves a repository git accepts and annot opens, with every
  /// committed commit intact.
  @Test(arguments: [50, 150, 300, 600])
  func killDuringImportLosesNothingCommitted(_ delayMs: Int) throws {
    let dir = try TestSupport.tempDir("kill")
    let data = dir.appendingPathComponent("data")
    let coco = try TestSupport.cocoDataset(in: data, count: 150, width: 200, height: 200)
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let repo = dir.appendingPathComponent("repo")
    try TestSupport.write(TestSupport.png(width: 8, height: 8), to: repo.appendingPathComponent("images/first.png"))
    #expect(try TestSupport.annot(["add", "images"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "kept"], in: repo).status == 0)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: TestSupport.annotBinary)
    p.arguments = ["import", "coco", coco.path, "--images", data.appendingPathComponent("images").path]
    p.currentDirectoryURL = repo
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    usleep(useconds_t(delayMs * 1000))
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    try fsck(repo)
    #expect(try TestSupport.annot(["log", "--oneline"], in: repo).stdout.contains("kept"))
    #expect(try TestSupport.annot(["status"], in: repo).status == 0)
    // The interrupted import can simply be run again.
    let again = try TestSupport.annot(["import", "coco", coco.path, "--images", data.appendingPathComponent("images").path], in: repo)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try TestSupport.annot(["commit", "-m", "after"], in: repo).status == 0)
    try fsck(repo)
  }

  @Test func fsckVerifiesObjectsAndFindsAMissingOne() throws {
    let repo = try newRepo()
    try TestSupport.write(TestSupport.png(width: 8, height: 8), to: repo.appendingPathComponent("images/a.png"))
    #expect(try TestSupport.annot(["add", "images"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "one"], in: repo).status == 0)
    let ok = try TestSupport.annot(["fsck"], in: repo)
    #expect(ok.status == 0 && ok.stdout.hasPrefix("ok: "), "\(ok.stdout)")
    // The label document sits in the documents pack of the `add`: remove that pack and fsck must name it.
    let doc = try TestSupport.git(["--git-dir", ".annot", "rev-parse", "HEAD:labels/a.png.json"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let packDir = repo.appendingPathComponent(".annot/objects/pack")
    let idxs = try FileManager.default.contentsOfDirectory(atPath: packDir.path).filter { $0.hasSuffix(".idx") }
    let holding = try idxs.filter { idx in
      try TestSupport.git(["--git-dir", ".annot", "verify-pack", "-v", ".annot/objects/pack/" + idx], in: repo).stdout.contains(doc)
    }
    #expect(holding.count == 1)
    for idx in holding {
      try FileManager.default.removeItem(at: packDir.appendingPathComponent(idx))
      try FileManager.default.removeItem(at: packDir.appendingPathComponent(String(idx.dropLast(4)) + ".pack"))
    }
    let bad = try TestSupport.annot(["fsck"], in: repo)
    #expect(bad.status == 1)
    #expect(bad.stdout.contains("\(doc): missing or unreadable blob"), "\(bad.stdout)")
  }

  @Test func dashCAndUpwardDiscovery() throws {
    let repo = try newRepo()
    let sub = repo.appendingPathComponent("images/deep")
    try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
    #expect(try TestSupport.annot(["status"], in: sub).stdout.contains("On branch main"))
    let parent = repo.deletingLastPathComponent()
    #expect(try TestSupport.annot(["-C", "repo", "status"], in: parent).stdout.contains("On branch main"))
  }
}
