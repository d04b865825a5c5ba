import Foundation
import Testing
import AnnotTestSupport

/// Golden files: every command's text and `--json` output and its error lines, run by the built
/// binary on one deterministic fixture repository (fixed author and dates, see
/// `TestSupport.run`), one file per command under `Snapshots/`. The temp directory is replaced
/// by `$TMP`. A change in output shows up as a diff of these files: run with
/// `ANNOT_UPDATE_SNAPSHOTS=1` to rewrite them and review the diff before committing.
@Suite(.serialized) struct SnapshotTests {
  /// One recorded run: the command line, then stdout, stderr and the exit status.
  struct Recorder {
    let root: URL
    var files: [String: String] = [:]
    var order: [String] = []

    func scrub(_ s: String) -> String {
      // The temp root may be reached through a symlink (/tmp vs /private/tmp on macOS).
      var out = s.replacingOccurrences(of: root.path, with: "$TMP")
      out = out.replacingOccurrences(of: root.resolvingSymlinksInPath().path, with: "$TMP")
      // The size of a pack received from a remote depends on libgit2's threaded delta search,
      // so it is the one number that varies between runs.
      out = out.replacingOccurrences(of: #"objects, [0-9]+ bytes\)"#, with: "objects, N bytes)", options: .regularExpression)
      return out
    }

    @discardableResult
    mutating func run(_ file: String, _ args: [String], in dir: String = "repo", env: [String: String] = [:]) throws -> TestSupport.Result {
      let cwd = dir.isEmpty ? root : root.appendingPathComponent(dir)
      let r = try TestSupport.annot(args, in: cwd, env: env)
      record(file, "$ (\(dir.isEmpty ? "." : dir)) annot \(args.map(scrub).joined(separator: " "))", r)
      return r
    }

    mutating func record(_ file: String, _ title: String, _ r: TestSupport.Result) {
      var text = title + "\n"
      if !r.stdout.isEmpty { text += "--- stdout\n" + scrub(r.stdout) + (r.stdout.hasSuffix("\n") ? "" : "\n[no newline]\n") }
      if !r.stderr.isEmpty { text += "--- stderr\n" + scrub(r.stderr) + (r.stderr.hasSuffix("\n") ? "" : "\n[no newline]\n") }
      text += "--- exit \(r.status)\n\n"
      if files[file] == nil { order.append(file) }
      files[file, default: ""] += text
    }

    /// Appends a note (a file listing, a digest) to a snapshot file.
    mutating func note(_ file: String, _ text: String) {
      if files[file] == nil { order.append(file) }
      files[file, default: ""] += scrub(text) + "\n\n"
    }
  }

  static let snapshotDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  /// Lists the files under `dir` with their sizes and SHA-256 (via `sha256sum`), sorted.
  static func listing(_ dir: URL) throws -> String {
    let fm = FileManager.default
    var lines: [String] = []
    let base = dir.resolvingSymlinksInPath().path
    if let e = fm.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) {
      for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
        let rel = String(url.resolvingSymlinksInPath().path.dropFirst(base.count + 1))
        let sum = try TestSupport.run("/usr/bin/sha256sum", [url.path], in: dir).stdout.prefix(64)
        let size = (try? fm.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        lines.append("\(rel) \(size) \(sum)")
      }
    }
    return lines.sorted().joined(separator: "\n")
  }

  /// "SIZE SHA-256" of one file, or "missing".
  static func digest(_ url: URL) throws -> String {
    guard let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int else { return "missing" }
    let sum = try TestSupport.run("/usr/bin/sha256sum", [url.path], in: url.deletingLastPathComponent()).stdout.prefix(64)
    return "\(size) \(sum)"
  }

  @Test func everyCommandMatchesItsSnapshot() throws {
    let root = try TestSupport.tempDir("snap")
    defer { try? FileManager.default.removeItem(at: root) }
    var s = Recorder(root: root)
    let data = root.appendingPathComponent("data")
    let images = data.appendingPathComponent("images").path
    let r1 = try TestSupport.cocoDataset(in: data, count: 4, name: "r1.json")
    let moved = try TestSupport.cocoDataset(in: data, count: 4, moved: [1, 3], dx: 4, name: "moved.json")
    let relabeled = try TestSupport.cocoDataset(in: data, count: 4, relabel: [1: 3, 5: 2], name: "relabel.json")
    let clash = try TestSupport.cocoDataset(in: data, count: 4, relabel: [1: 2], name: "clash.json")
    try TestSupport.write("not json", to: data.appendingPathComponent("broken.json"))

    // init
    try s.run("init", ["init", "repo"], in: "")
    try s.run("init", ["init", "repo"], in: "")
    try s.run("init", ["status"], in: "")
    // The version names the commit built from: only its shape is pinned.
    var version = try TestSupport.annot(["--version"], in: root)
    version.stdout = version.stdout.replacingOccurrences(of: #"\(.*\)"#, with: "(COMMIT)", options: .regularExpression)
    s.record("init", "$ (.) annot --version", version)
    try s.run("init", ["frobnicate"], in: "")

    // import, status, commit
    try s.run("import", ["import", "coco", r1.path, "--images", images])
    try s.run("import", ["import", "coco", data.appendingPathComponent("broken.json").path, "--images", images])
    try s.run("import", ["import", "nosuchformat", r1.path])
    try s.run("import", ["import", "coco", root.appendingPathComponent("missing.json").path])
    try s.run("status", ["status"])
    try s.run("status", ["status", "--json"])
    try s.run("commit", ["commit", "-m", "round 1"])
    try s.run("commit", ["commit", "-m", "nothing"])
    try s.run("status", ["status"])
    try s.run("status", ["status", "--json"])

    // add, rm, mv on files in the working directory
    try TestSupport.write(TestSupport.png(width: 20, height: 10, seed: 9), to: root.appendingPathComponent("repo/images/extra/new.png"))
    try s.run("add", ["add", "--dry-run", "images"])
    try s.run("add", ["add", "images"])
    try s.run("add", ["add", "images/nothere.png"])
    try s.run("mv", ["mv", "images/extra/new.png", "images/extra/renamed.png"])
    try s.run("mv", ["mv", "images/nothere.png", "images/x.png"])
    try s.run("status", ["status"])
    try s.run("commit", ["commit", "-m", "add one image", "--author", "Other Person <other@example.com>"])
    try s.run("rm", ["rm", "images/extra/renamed.png"])
    try s.run("rm", ["rm", "images/nothere.png"])
    try s.run("commit", ["commit", "-m", "drop it again"])
    try s.run("commit", ["commit", "--amend", "-m", "drop the extra image"])

    // branches, rounds
    try s.run("branch", ["branch", "moved"])
    try s.run("branch", ["branch", "relabel"])
    try s.run("branch", ["branch", "moved"])
    try s.run("branch", ["branch"])
    try s.run("branch", ["branch", "--verbose"])
    try s.run("branch", ["branch", "--json"])
    try s.run("switch", ["switch", "moved"])
    try s.run("switch", ["switch", "nosuch"])
    try s.run("import", ["import", "coco", moved.path, "--images", images])
    try s.run("commit", ["commit", "-m", "move two boxes"])
    try s.run("checkout", ["checkout", "relabel"])
    try s.run("import", ["import", "coco", relabeled.path, "--images", images])
    try s.run("commit", ["commit", "-m", "relabel two boxes"])
    try s.run("switch", ["switch", "-c", "clash", "main"])
    try s.run("import", ["import", "coco", clash.path, "--images", images])
    try s.run("commit", ["commit", "-m", "clashing relabel"])
    try s.run("checkout", ["checkout", "-b", "scratch"])
    try s.run("switch", ["switch", "main"])
    try s.run("branch", ["branch", "-d", "scratch"])
    try s.run("branch", ["branch", "-d", "main"])

    // tags
    try s.run("tag", ["tag", "v1"])
    try s.run("tag", ["tag", "-m", "annotated round", "v1-annotated", "main"])
    try s.run("tag", ["tag", "v1"])
    try s.run("tag", ["tag"])
    try s.run("tag", ["tag", "--json"])
    try s.run("tag", ["tag", "-d", "v1-annotated"])

    // log, show, diff, blame on the rounds
    try s.run("log", ["log"])
    try s.run("log", ["log", "--oneline", "--graph", "--decorate", "--all"])
    try s.run("log", ["log", "--oneline", "--decorate"])
    try s.run("log", ["log", "--json"])
    try s.run("log", ["log", "-n1", "--patch", "moved"])
    try s.run("log", ["log", "--format=%h %an %s", "--date=iso", "moved"])
    try s.run("log", ["log", "--oneline", "moved", "--", "images/img_0.png"])
    try s.run("log", ["log", "nosuchrev"])
    try s.run("show", ["show"])
    try s.run("show", ["show", "moved"])
    try s.run("show", ["show", "--json", "moved"])
    try s.run("show", ["show", "moved:images/img_0.png"])
    try s.run("show", ["show", "--json", "moved:images/img_0.png"])
    try s.run("show", ["show", "moved:images/nothere.png"])
    try s.run("show", ["show", "--format=%H %s", "relabel"])
    try s.run("diff", ["diff", "main", "moved"])
    try s.run("diff", ["diff", "main", "relabel"])
    try s.run("diff", ["diff", "--stat", "main", "relabel"])
    try s.run("diff", ["diff", "--json", "main", "relabel"])
    try s.run("diff", ["diff", "--json", "main", "moved"])
    try s.run("diff", ["diff", "main", "moved", "--", "images/img_1.png"])
    try s.run("diff", ["diff", "main", "nosuchrev"])
    try s.run("diff", ["diff", "--help"])
    try s.run("blame", ["blame", "--rev", "moved", "images/img_0.png"])
    try s.run("blame", ["blame", "--json", "--rev", "moved", "images/img_0.png"])
    try s.run("blame", ["blame", "images/nothere.png"])

    // query, sql, stats, validate, reindex, split
    try s.run("query", ["query", "label == car"])
    try s.run("query", ["query", "label == car", "--count"])
    try s.run("query", ["query", "label == bike", "--rev", "relabel", "--json"])
    try s.run("query", ["query", "label == person", "--images"])
    try s.run("query", ["query", "label == car", "--csv-output", "--limit", "3"])
    try s.run("query", ["query", "label ==== car"])
    try s.run("sql", ["sql", "select label, count(*) from annotations group by label order by label"])
    try s.run("sql", ["sql", "select path, width, height from images order by path", "--json"])
    try s.run("sql", ["sql", "delete from images"])
    try s.run("sql", ["sql", "select nosuchcolumn from images"])
    try s.run("stats", ["stats"])
    try s.run("stats", ["stats", "relabel", "--json"])
    try s.run("validate", ["validate"])
    try s.run("validate", ["validate", "--json"])
    try s.run("reindex", ["reindex"])
    try s.run("formats", ["formats"])
    try s.run("formats", ["formats", "--json"])

    // merge, resolve, cherry-pick, revert
    try s.run("merge", ["merge", "moved"])
    try s.run("merge", ["merge", "relabel"])
    try s.run("merge", ["merge", "clash"])
    try s.run("status", ["status"])
    try s.run("status", ["status", "--json"])
    try s.run("review", ["review", root.appendingPathComponent("review-conflict.html").path])
    s.note("review", "review-conflict.html: " + (try Self.digest(root.appendingPathComponent("review-conflict.html"))))
    try s.run("commit", ["commit", "-m", "too early"])
    try s.run("resolve", ["resolve", "images/img_0.png", "--annotation", "999=ours"])
    try s.run("resolve", ["resolve", "images/img_0.png", "--theirs"])
    try s.run("merge", ["merge", "--continue"])
    try s.run("log", ["log", "--oneline", "--graph"])
    try s.run("cherry-pick", ["cherry-pick", "nosuchrev"])
    try s.run("revert", ["revert", "HEAD~1"])
    try s.run("revert", ["revert", "HEAD"])
    try s.run("merge", ["merge", "--abort"])
    try s.run("revert", ["revert", "moved"])
    try s.run("cherry-pick", ["cherry-pick", "moved"])
    try s.run("cherry-pick", ["cherry-pick", "-X", "theirs", "clash"])
    try s.run("merge", ["merge", "--abort"])
    try s.run("log", ["log", "--oneline"])

    // merge --abort, -X
    try s.run("switch", ["switch", "-c", "abort-demo", "relabel"])
    try s.run("merge", ["merge", "clash"])
    try s.run("merge", ["merge", "--abort"])
    try s.run("merge", ["merge", "-X", "theirs", "clash"])
    try s.run("switch", ["switch", "main"])

    // split, review of the stage
    try s.run("split", ["split", "--ratios", "50,25,25", "--seed", "7"])
    try s.run("split", ["split", "--ratios", "abc"])
    try s.run("status", ["status"])
    try s.run("review", ["review", root.appendingPathComponent("review-stage.html").path])
    s.note("review", "review-stage.html: " + (try Self.digest(root.appendingPathComponent("review-stage.html"))))
    try s.run("commit", ["commit", "-m", "assign splits"])
    try s.run("stats", ["stats"])

    // reset
    try s.run("reset", ["reset", "--soft", "HEAD~1"])
    try s.run("status", ["status"])
    try s.run("reset", ["reset", "--hard", "HEAD"])
    try s.run("reset", ["reset", "--hard", "nosuchrev"])
    try s.run("reset", ["reset", "--mixed"])

    // export and verify
    for format in ["coco", "yolo", "voc", "cvat", "labelme", "labelstudio", "annot"] {
      let to = root.appendingPathComponent("export-\(format)")
      try s.run("export", ["export", "main", "--format", format, "--to", to.path])
      s.note("export", "files of export-\(format):\n" + (try Self.listing(to)))
      try s.run("verify", ["verify", to.path])
    }
    try s.run("export", ["export", "main", "--format", "coco", "--to", root.appendingPathComponent("export-json").path, "--json", "--where", "label == car"])
    try s.run("export", ["export", "main", "--format", "coco", "--to", root.appendingPathComponent("export-coco").path])
    try s.run("export", ["export", "main", "--format", "nosuch", "--to", root.appendingPathComponent("export-x").path])
    try s.run("verify", ["verify", "--json", root.appendingPathComponent("export-coco").path])
    try TestSupport.write("tampered", to: root.appendingPathComponent("export-yolo/data.yaml"))
    try s.run("verify", ["verify", root.appendingPathComponent("export-yolo").path])
    try s.run("verify", ["verify", root.appendingPathComponent("nothing-here").path])

    // remotes: a bare repository on disk
    #expect(try TestSupport.git(["init", "--bare", "-q", "origin.git"], in: root).status == 0)
    try s.run("remote", ["remote", "add", "origin", root.appendingPathComponent("origin.git").path])
    try s.run("remote", ["remote", "add", "origin", root.appendingPathComponent("origin.git").path])
    try s.run("remote", ["remote"])
    try s.run("remote", ["remote", "-v"])
    try s.run("remote", ["remote", "add", "other", "/nowhere/at/all"])
    try s.run("remote", ["remote", "remove", "other"])
    try s.run("remote", ["remote", "remove", "other"])
    try s.run("push", ["push", "origin", "main"])
    try s.run("push", ["push", "origin", "moved"])
    try s.run("push", ["push", "--tags", "origin", "main"])
    try s.run("push", ["push", "nosuchremote", "main"])
    try s.run("clone", ["clone", root.appendingPathComponent("origin.git").path, "copy"], in: "")
    try s.run("clone", ["clone", "--labels-only", root.appendingPathComponent("origin.git").path, "thin"], in: "")
    try s.run("clone", ["clone", root.appendingPathComponent("origin.git").path, "copy"], in: "")
    try s.run("clone", ["clone", root.appendingPathComponent("nosuch.git").path, "none"], in: "")
    try s.run("log", ["log", "--oneline", "--decorate"], in: "copy")
    try s.run("cat-image", ["cat-image", "HEAD:images/img_0.png", "--output", root.appendingPathComponent("img0.png").path], in: "thin")
    try s.run("cat-image", ["cat-image", "HEAD:images/nothere.png"], in: "copy")
    try s.run("fetch", ["fetch", "--images"], in: "thin")
    try s.run("cat-image", ["cat-image", "HEAD:images/img_0.png", "--output", root.appendingPathComponent("img0.png").path], in: "thin")
    s.note("cat-image", "img0.png: " + (try Self.digest(root.appendingPathComponent("img0.png"))))
    // A new commit upstream, then fetch and pull in the clone.
    try s.run("switch", ["switch", "moved"])
    try s.run("split", ["split", "--seed", "3"])
    try s.run("commit", ["commit", "-m", "splits on moved"])
    try s.run("push", ["push"])
    try s.run("push", ["push", "origin", "moved"])
    try s.run("fetch", ["fetch"], in: "copy")
    try s.run("fetch", ["fetch", "--json", "origin"], in: "copy")
    try s.run("fetch", ["fetch", "nosuchremote"], in: "copy")
    // A pull that merges would write the remote's temp path into the merge message (and so
    // into the commit id): pull fast-forwards only.
    try s.run("switch", ["switch", "main"])
    try s.run("rm", ["rm", "images/img_3.png"])
    try s.run("commit", ["commit", "-m", "drop img_3 upstream"])
    try s.run("push", ["push", "origin", "main"])
    try s.run("pull", ["pull", "origin", "main"], in: "copy")
    try s.run("pull", ["pull"], in: "copy")
    try s.run("pull", ["pull", "nosuchremote"], in: "copy")
    try s.run("log", ["log", "--oneline", "--graph", "--decorate", "--all"], in: "copy")

    // fsck
    try s.run("fsck", ["fsck"])
    try s.run("fsck", ["fsck"], in: "copy")
    try s.run("fsck", ["fsck"], in: "thin")

    // -C and global options
    try s.run("init", ["-C", "repo", "status"], in: "")
    try s.run("init", ["-C", "nowhere", "status"], in: "")
    try s.run("init", ["--no-pager", "log", "--oneline", "-n", "2"])

    try check(s)
  }

  func check(_ s: Recorder) throws {
    let update = ProcessInfo.processInfo.environment["ANNOT_UPDATE_SNAPSHOTS"] == "1"
    let fm = FileManager.default
    try fm.createDirectory(at: Self.snapshotDir, withIntermediateDirectories: true)
    var mismatched: [String] = []
    for name in s.order {
      let url = Self.snapshotDir.appendingPathComponent("\(name).txt")
      let text = s.files[name]!
      if update {
        try Data(text.utf8).write(to: url)
        continue
      }
      let old = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
      if old != text {
        mismatched.append(name)
        try? Data(text.utf8).write(to: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("snapshot-\(name).txt"))
      }
    }
    if !update {
      // A snapshot file nobody writes any more is stale.
      let known = Set(s.order.map { "\($0).txt" })
      let onDisk = (try? fm.contentsOfDirectory(atPath: Self.snapshotDir.path)) ?? []
      let stale = onDisk.filter { $0.hasSuffix(".txt") && !known.contains($0) }
      #expect(stale.isEmpty, "stale snapshot files: \(stale)")
    }
    #expect(mismatched.isEmpty, "output differs from Snapshots/ for: \(mismatched.joined(separator: ", ")); the new output is in \(NSTemporaryDirectory())snapshot-<name>.txt; rerun with ANNOT_UPDATE_SNAPSHOTS=1 to accept and review the diff")
  }
}
