import Foundation
import Testing
import AnnotTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Remotes end to end: the built binary against a bare repository on disk and against a real
/// `git daemon` on 127.0.0.1, checked with plain git.
@Suite(.serialized) struct RemoteTests {
  // MARK: Helpers

  /// A port nobody listens on right now (bind to 0, read it back, close).
  static func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
  }

  /// A `git daemon` serving `base` (read and write) until `stop()`.
  final class GitDaemon {
    let process = Process()
    let port: Int
    init(base: URL) throws {
      port = RemoteTests.freePort()
      // The daemon itself, not the `git` wrapper, so that stopping it stops it.
      let execPath = try TestSupport.git(["--exec-path"], in: base).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      process.executableURL = URL(fileURLWithPath: execPath + "/git-daemon")
      process.arguments = ["--export-all", "--enable=receive-pack", "--base-path=\(base.path)", "--port=\(port)",
                           "--listen=127.0.0.1", "--reuseaddr", base.path]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      // Ready when it answers.
      for _ in 0..<100 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        close(fd)
        if rc == 0 { return }
        usleep(50_000)
      }
      stop()
      throw CocoaError(.fileNoSuchFile)
    }
    func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name)" }
    func stop() {
      guard process.isRunning else { return }
      process.terminate()
      for _ in 0..<40 where process.isRunning { usleep(50_000) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
    }
  }

  /// A workspace: `data/` with round-1 images, `server.git` (bare), helpers to run annot in a dir.
  struct Workspace {
    let dir: URL
    let data: URL
    let images: String
    init(images count: Int = 4) throws {
      dir = try TestSupport.tempDir("remote")
      data = dir.appendingPathComponent("data")
      _ = try TestSupport.cocoDataset(in: data, count: count, name: "r1.json")
      images = data.appendingPathComponent("images").path
      #expect(try TestSupport.git(["init", "-q", "--bare", "-b", "main", "server.git"], in: dir).status == 0)
    }
    func at(_ name: String) -> URL { dir.appendingPathComponent(name) }
    @discardableResult
    func annot(_ repo: String, _ args: [String]) throws -> TestSupport.Result { try TestSupport.annot(args, in: at(repo)) }
    func git(_ repo: String, _ args: [String]) throws -> String { try TestSupport.git(args, in: at(repo)).stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
    /// A repository `name` with round 1 committed.
    func seeded(_ name: String) throws {
      #expect(try TestSupport.annot(["init", name], in: dir).status == 0)
      let imp = try annot(name, ["import", "coco", data.appendingPathComponent("r1.json").path, "--images", images])
      #expect(imp.status == 0, "\(imp.stderr)")
      #expect(try annot(name, ["commit", "-m", "round 1"]).status == 0)
    }
    /// Imports a variant of round 1 (moved boxes / relabels) and commits it.
    func commitRound(_ repo: String, _ file: String, moved: Set<Int> = [], relabel: [Int: Int] = [:], message: String) throws {
      let f = try TestSupport.cocoDataset(in: data, count: 4, moved: moved, dx: 3, relabel: relabel, name: file)
      let imp = try annot(repo, ["import", "coco", f.path, "--images", images])
      #expect(imp.status == 0, "\(imp.stderr)")
      let c = try annot(repo, ["commit", "-m", message])
      #expect(c.status == 0, "\(c.stderr)")
    }
    func fsck(_ gitDir: String) throws {
      let r = try TestSupport.git(["--git-dir", gitDir, "fsck", "--strict", "--no-dangling"], in: dir)
      #expect(r.status == 0 && !r.stdout.contains("error") && !r.stderr.contains("error"), "fsck \(gitDir): \(r.stdout)\(r.stderr)")
    }
  }

  // MARK: Tests

  @Test func remoteAddListRemove() throws {
    let w = try Workspace(images: 1)
    try w.seeded("a")
    #expect(try w.annot("a", ["remote", "add", "origin", "../server.git"]).status == 0)
    #expect(try w.annot("a", ["remote", "add", "backup", "git://example.invalid/x.git"]).status == 0)
    let again = try w.annot("a", ["remote", "add", "origin", "/elsewhere"])
    #expect(again.status != 0 && again.stderr.contains("a remote named 'origin' already exists"))
    #expect(try w.annot("a", ["remote"]).stdout == "backup\norigin\n")
    let server = w.at("server.git").standardizedFileURL.path
    #expect(try w.annot("a", ["remote", "list", "-v"]).stdout ==
            "backup\tgit://example.invalid/x.git (fetch)\nbackup\tgit://example.invalid/x.git (push)\norigin\t\(server) (fetch)\norigin\t\(server) (push)\n")
    let json = try w.annot("a", ["remote", "list", "--json"]).stdout
    #expect(json.contains(#"{"fetch":["+refs/heads/*:refs/remotes/origin/*","+refs/annot/labels/*:refs/annot/remotes/origin/labels/*","+refs/annot/images/*:refs/annot/remotes/origin/images/*"],"name":"origin","push_url":"\#(server)","url":"\#(server)"}"#), "\(json)")
    // Plain git reads the same configuration.
    #expect(try w.git("a", ["--git-dir", ".annot", "config", "--get-all", "remote.origin.fetch"]).split(separator: "\n").count == 3)
    #expect(try w.annot("a", ["remote", "remove", "backup"]).status == 0)
    #expect(try w.annot("a", ["remote"]).stdout == "origin\n")
    let missing = try w.annot("a", ["remote", "remove", "backup"])
    #expect(missing.status != 0 && missing.stderr.contains("no remote named 'backup'"))
  }

  /// Clone, push, fetch, pull with a semantic merge, a refused non-fast-forward, over `url`.
  func roundTrip(_ w: Workspace, url: String) throws {
    try w.seeded("a")
    #expect(try w.annot("a", ["remote", "add", "origin", url]).status == 0)
    let first = try w.annot("a", ["push", "origin", "main"])
    #expect(first.status == 0, "\(first.stderr)")
    let head = try w.git("a", ["--git-dir", ".annot", "rev-parse", "main"])
    #expect(try w.git("server.git", ["rev-parse", "main"]) == head)
    // The labels mirror and the image shards travel with the branch.
    let serverRefs = try w.git("server.git", ["for-each-ref", "--format=%(refname)"]).split(separator: "\n").map(String.init)
    #expect(serverRefs.contains("refs/annot/labels/main"))
    #expect(serverRefs.filter { $0.hasPrefix("refs/annot/images/") }.count == Set(try w.git("a", ["--git-dir", ".annot", "ls-tree", "-r", "--format=%(objectname)", "main", "images"]).split(separator: "\n").map { $0.prefix(2) }).count)
    try w.fsck(w.at("server.git").path)

    let cloneURL = url.contains("://") ? url : w.at("server.git").path
    let clone = try TestSupport.annot(["clone", cloneURL, "b"], in: w.dir)
    #expect(clone.status == 0, "\(clone.stderr)")
    #expect(try w.git("b", ["--git-dir", ".annot", "rev-parse", "main"]) == head)
    #expect(try w.annot("b", ["status"]).stdout == "On branch main\n\nnothing to commit\n")
    #expect(try w.git("b", ["--git-dir", ".annot", "config", "remote.origin.url"]) == (url.contains("://") ? url : w.at("server.git").standardizedFileURL.path))
    #expect(try w.git("b", ["--git-dir", ".annot", "config", "branch.main.merge"]) == "refs/heads/main")

    // B relabels annotations 1 and 3 (car → bike) and pushes; A moves annotation 3 and cannot push.
    try w.commitRound("b", "b.json", relabel: [1: 3, 3: 3], message: "relabel")
    #expect(try w.annot("b", ["push"]).status == 0)
    try w.commitRound("a", "a.json", moved: [3], message: "move")
    let refused = try w.annot("a", ["push"])
    #expect(refused.status != 0)
    #expect(refused.stderr == "Error: rejected: the remote has commits you do not have; run 'annot pull' first, or push --force\n")
    #expect(try w.git("server.git", ["rev-parse", "main"]) == w.git("b", ["--git-dir", ".annot", "rev-parse", "main"]))

    let pull = try w.annot("a", ["pull"])
    #expect(pull.status == 0, "\(pull.stdout)\(pull.stderr)")
    #expect(pull.stdout.contains("Merge made commit"))
    let img0 = try w.annot("a", ["show", "HEAD:images/img_0.png", "--json"]).stdout
    #expect(img0.contains(#""label":"bike""#), "\(img0)")
    let img1 = try w.annot("a", ["show", "HEAD:images/img_1.png", "--json"]).stdout
    // One side moved annotation 3, the other relabeled it: both apply.
    #expect(img1.contains(#""bbox":[7,6,16,12]"#) && img1.contains(#""label":"bike""#), "\(img1)")
    #expect(try w.git("a", ["--git-dir", ".annot", "log", "-1", "--format=%P"]).split(separator: " ").count == 2)
    #expect(try w.annot("a", ["push"]).status == 0)
    let fetched = try w.annot("b", ["fetch"])
    #expect(fetched.status == 0 && fetched.stdout.contains("origin/main"), "\(fetched.stdout)\(fetched.stderr)")
    let ff = try w.annot("b", ["pull"])
    #expect(ff.status == 0 && ff.stdout.contains("Fast-forward"), "\(ff.stdout)\(ff.stderr)")
    let merged = try w.git("a", ["--git-dir", ".annot", "rev-parse", "main"])
    #expect(try w.git("b", ["--git-dir", ".annot", "rev-parse", "main"]) == merged)
    #expect(try w.git("server.git", ["rev-parse", "main"]) == merged)
    // Every repository's labels mirror maps to the same commit (mirrors are deterministic).
    let mirror = try w.git("server.git", ["rev-parse", "refs/annot/labels/main"])
    #expect(try w.git("a", ["--git-dir", ".annot", "rev-parse", "refs/annot/labels/main"]) == mirror)
    #expect(try w.git("b", ["--git-dir", ".annot", "rev-parse", "refs/annot/labels/main"]) == mirror)
    try w.fsck(w.at("server.git").path)
    try w.fsck(w.at("b/.annot").path)

    // A plain git clone of what annot pushed is a normal repository.
    #expect(try TestSupport.git(["clone", "-q", w.at("server.git").path, "plain"], in: w.dir).status == 0)
    try w.fsck(w.at("plain/.git").path)
    #expect(try w.git("plain", ["show", "HEAD:labels/img_0.png.json"]).contains(#""label":"bike""#))
    // A bare git clone placed at Y/.annot is an annot repository.
    #expect(try TestSupport.git(["clone", "-q", "--bare", w.at("server.git").path, "y/.annot"], in: w.dir).status == 0)
    #expect(try w.annot("y", ["status"]).stdout.hasPrefix("On branch main"))
    #expect(try w.annot("y", ["log", "--oneline"]).stdout.split(separator: "\n").count == 4)
  }

  @Test func bareRepositoryOnDisk() throws {
    let w = try Workspace()
    try roundTrip(w, url: "../server.git")
  }

  @Test func gitDaemonOnLoopback() throws {
    let w = try Workspace()
    let daemon = try GitDaemon(base: w.dir)
    defer { daemon.stop() }
    try roundTrip(w, url: daemon.url("server.git"))

    // Conflicting relabels through the daemon: pull stops like 'annot merge', exit 1.
    try w.commitRound("a", "c1.json", moved: [3], relabel: [1: 3, 3: 3, 5: 2], message: "person")
    #expect(try w.annot("a", ["push"]).status == 0)
    try w.commitRound("b", "c2.json", moved: [3], relabel: [1: 3, 3: 3, 5: 3], message: "bike")
    let conflicted = try w.annot("b", ["pull"])
    #expect(conflicted.status == 1, "\(conflicted.stdout)\(conflicted.stderr)")
    #expect(conflicted.stdout.contains("CONFLICT"))
    let status = try w.annot("b", ["status", "--json"]).stdout
    #expect(status.components(separatedBy: #""kind":"modify/modify""#).count - 1 == 1, "\(status)")

    // A repository plain git pushed (no labels mirror) clones with annot, and annot pushes
    // the mirror afterwards.
    #expect(try TestSupport.git(["init", "-q", "--bare", "-b", "main", "gitpushed.git"], in: w.dir).status == 0)
    #expect(try TestSupport.git(["--git-dir", "plain/.git", "push", "-q", daemon.url("gitpushed.git"), "main"], in: w.dir).status == 0)
    let viaGit = try TestSupport.annot(["clone", daemon.url("gitpushed.git"), "z"], in: w.dir)
    #expect(viaGit.status == 0, "\(viaGit.stderr)")
    #expect(try w.annot("z", ["show", "HEAD:images/img_0.png", "--json"]).stdout.contains(#""label":"bike""#))
    try w.commitRound("z", "z.json", moved: [3], relabel: [1: 3, 3: 3, 7: 3], message: "from z")
    #expect(try w.annot("z", ["push"]).status == 0)
    #expect(try w.git("gitpushed.git", ["rev-parse", "refs/annot/labels/main"]).count == 40)
    try w.fsck(w.at("gitpushed.git").path)

    // Labels only, over git://: no image bytes until asked.
    let lo = try TestSupport.annot(["clone", "--labels-only", daemon.url("gitpushed.git"), "lo"], in: w.dir)
    #expect(lo.status == 0, "\(lo.stderr)")
    try labelsOnlyChecks(w, repo: "lo", full: "z", moved: [3], relabel: [1: 3, 3: 3, 7: 3])
  }

  /// What a labels-only clone can and cannot do, compared with the full repository `full`.
  /// `moved`/`relabel` describe the current labels, so the side round changes only annotation 4.
  func labelsOnlyChecks(_ w: Workspace, repo: String, full: String, moved: Set<Int>, relabel: [Int: Int]) throws {
    let head = try w.git(full, ["--git-dir", ".annot", "rev-parse", "main"])
    #expect(try w.git(repo, ["--git-dir", ".annot", "rev-parse", "main"]) == head)
    let blob = try w.git(full, ["--git-dir", ".annot", "rev-parse", "main:images/img_2.png"])
    #expect(try TestSupport.git(["--git-dir", ".annot", "cat-file", "-e", blob], in: w.at(repo)).status != 0)
    #expect(try w.annot(repo, ["show", "HEAD:images/img_2.png", "--json"]).stdout == w.annot(full, ["show", "HEAD:images/img_2.png", "--json"]).stdout)
    #expect(try w.annot(repo, ["log", "--oneline"]).stdout == w.annot(full, ["log", "--oneline"]).stdout)
    let needs = try w.annot(repo, ["cat-image", "HEAD:images/img_2.png"])
    #expect(needs.status != 0)
    #expect(needs.stderr.hasPrefix("Error: images not fetched: run 'annot fetch --images'"), "\(needs.stderr)")
    let export = try w.annot(repo, ["export", "HEAD", "--format", "coco", "--to", w.at("lo-export").path])
    #expect(export.status != 0 && export.stderr.contains("images not fetched"), "\(export.stderr)")
    #expect(!FileManager.default.fileExists(atPath: w.at("lo-export").path))
    // Queries and diffs need no image bytes.
    #expect(try w.annot(repo, ["query", "label == \"car\"", "--count"]).stdout == w.annot(full, ["query", "label == \"car\"", "--count"]).stdout)
    // Labels work: branch, relabel, merge, push — without the image bytes.
    #expect(try w.annot(repo, ["switch", "-c", "side"]).status == 0)
    var side = relabel
    side[4] = 1
    try w.commitRound(repo, "lo-side-\(full).json", moved: moved, relabel: side, message: "side")
    #expect(try w.annot(repo, ["switch", "main"]).status == 0)
    let m = try w.annot(repo, ["merge", "side"])
    #expect(m.status == 0 && m.stdout.contains("Fast-forward"), "\(m.stdout)\(m.stderr)")
    let pushed = try w.annot(repo, ["push"])
    #expect(pushed.status == 0, "push failed: \(pushed.stderr) \(pushed.stdout)")
    let afterPull = try w.annot(full, ["pull"])
    #expect(afterPull.status == 0 && afterPull.stdout.contains("Fast-forward"), "\(afterPull.stdout)\(afterPull.stderr)")
    let img1 = try w.annot(full, ["show", "HEAD:images/img_1.png", "--json"]).stdout
    #expect(img1.contains(#""label":"car""#) && !img1.contains(#""label":"person""#), "\(img1)")
    try w.fsck(w.at(full + "/.annot").path)
    // Images on demand, byte for byte.
    let fetched = try w.annot(repo, ["fetch", "--images", "HEAD"])
    #expect(fetched.status == 0, "\(fetched.stderr)")
    let out = w.at("img2.png")
    #expect(try w.annot(repo, ["cat-image", "HEAD:images/img_2.png", "-o", out.path]).status == 0)
    #expect(try Data(contentsOf: out) == Data(contentsOf: URL(fileURLWithPath: w.images + "/img_2.png")))
    #expect(try TestSupport.git(["--git-dir", ".annot", "cat-file", "-e", blob], in: w.at(repo)).status == 0)
  }

  @Test func labelsOnlyCloneFromDisk() throws {
    let w = try Workspace(images: 4)
    try w.seeded("a")
    #expect(try w.annot("a", ["remote", "add", "origin", "../server.git"]).status == 0)
    #expect(try w.annot("a", ["push"]).status == 0)
    let lo = try TestSupport.annot(["clone", "--labels-only", w.at("server.git").path, "lo"], in: w.dir)
    #expect(lo.status == 0, "\(lo.stderr)")
    // Only the labels side travelled: no object of the size of an image.
    let sizes = try w.git("lo", ["--git-dir", ".annot", "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"])
    #expect(!sizes.split(separator: "\n").contains { $0.hasPrefix("blob ") && Int($0.split(separator: " ")[1])! > 5000 }, "\(sizes)")
    try labelsOnlyChecks(w, repo: "lo", full: "a", moved: [], relabel: [:])
  }

  @Test func labelsOnlyCloneAddsAnImageToASharedShardAndPushes() throws {
    let w = try Workspace(images: 4)
    try w.seeded("a")
    #expect(try w.annot("a", ["remote", "add", "origin", "../server.git"]).status == 0)
    #expect(try w.annot("a", ["push"]).status == 0)
    #expect(try TestSupport.annot(["clone", "--labels-only", w.at("server.git").path, "lo"], in: w.dir).status == 0)
    // An image whose blob falls in a shard the remote already has: the push must unite them.
    let existing = try w.git("a", ["--git-dir", ".annot", "ls-tree", "-r", "--format=%(objectname)", "main", "images"]).split(separator: "\n").map(String.init)
    let prefixes = Set(existing.map { String($0.prefix(2)) })
    let file = w.at("lo/images/new.png")
    var blob = ""
    for seed in 100..<5000 {
      try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: seed), to: file)
      blob = try w.git("lo", ["hash-object", "images/new.png"])
      if prefixes.contains(String(blob.prefix(2))) { break }
    }
    let shard = "refs/annot/images/" + blob.prefix(2)
    let sibling = existing.first { $0.hasPrefix(blob.prefix(2)) }!
    #expect(try w.annot("lo", ["add", "images/new.png"]).status == 0)
    #expect(try w.annot("lo", ["commit", "-m", "new image"]).status == 0)
    let pushed = try w.annot("lo", ["push"])
    #expect(pushed.status == 0, "push failed: \(pushed.stderr) \(pushed.stdout)")
    let names = try w.git("server.git", ["ls-tree", "--name-only", shard]).split(separator: "\n").map(String.init)
    #expect(names.contains(blob) && names.contains(sibling), "\(names)")
    try w.fsck(w.at("server.git").path)
    // The full repository gets the image; a second labels-only clone fetches every image.
    #expect(try w.annot("a", ["pull"]).stdout.contains("Fast-forward"))
    #expect(try w.annot("a", ["cat-image", "images/new.png", "-o", w.at("out.png").path]).status == 0)
    #expect(try Data(contentsOf: w.at("out.png")) == Data(contentsOf: file))
    #expect(try TestSupport.annot(["clone", "--labels-only", w.at("server.git").path, "lo2"], in: w.dir).status == 0)
    let all = try w.annot("lo2", ["fetch", "--images"])
    #expect(all.status == 0 && all.stdout == "Fetched 5 images (\(all.stdout.split(separator: "(")[1].split(separator: " ")[0]) bytes).\n", "\(all.stdout)\(all.stderr)")
    // Complete again: plain git finds every object, and the rebuilt commits are the originals.
    try w.fsck(w.at("lo2/.annot").path)
    #expect(try w.git("lo2", ["--git-dir", ".annot", "config", "annot.labelsonly"]) == "false")
    #expect(try w.git("lo2", ["--git-dir", ".annot", "rev-parse", "main"]) == w.git("a", ["--git-dir", ".annot", "rev-parse", "main"]))
  }

  @Test func unreachableRemoteFailsCleanlyAndChangesNothing() throws {
    let w = try Workspace(images: 1)
    let port = Self.freePort()
    let clone = try TestSupport.annot(["clone", "git://127.0.0.1:\(port)/none.git", "c"], in: w.dir)
    #expect(clone.status != 0)
    let lines = clone.stderr.split(separator: "\n")
    #expect(lines.last?.hasPrefix("Error: cannot reach remote 'origin' (git://127.0.0.1:\(port)/none.git): ") == true, "\(clone.stderr)")
    #expect(!FileManager.default.fileExists(atPath: w.at("c").path))

    try w.seeded("a")
    #expect(try w.annot("a", ["remote", "add", "origin", "git://127.0.0.1:\(port)/none.git"]).status == 0)
    let before = try w.git("a", ["--git-dir", ".annot", "for-each-ref"])
    for cmd in [["fetch"], ["pull"], ["push"]] {
      let r = try w.annot("a", cmd)
      #expect(r.status != 0)
      #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("cannot reach remote 'origin'"), "\(cmd): \(r.stderr)")
    }
    // push may refresh the branch's labels mirror locally; nothing else moves.
    #expect(try w.git("a", ["--git-dir", ".annot", "for-each-ref"]) == before)
    #expect(try w.annot("a", ["status"]).stdout == "On branch main\n\nnothing to commit\n")
    let noRemote = try w.annot("a", ["fetch", "nowhere"])
    #expect(noRemote.status != 0 && noRemote.stderr.contains("unknown remote 'nowhere'"))
  }
}
