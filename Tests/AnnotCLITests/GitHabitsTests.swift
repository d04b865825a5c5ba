import Foundation
import Testing
import AnnotTestSupport

/// The habits git users bring, checked against git itself where git can read the repository:
/// `log --graph/--format/--oneline`, `branch -v`, `switch -c NEW START`, `diff --exit-code/--quiet`,
/// `commit` without `-m`, `-q`, and export progress.
@Suite struct GitHabitsTests {
  func annot(_ repo: URL, _ args: [String], env: [String: String] = [:]) throws -> TestSupport.Result {
    let r = try TestSupport.annot(args, in: repo, env: env)
    #expect(r.status == 0, "annot \(args.joined(separator: " ")): \(r.stderr)")
    return r
  }

  func git(_ repo: URL, _ args: [String]) throws -> String {
    let r = try TestSupport.git(["--git-dir", ".annot"] + args, in: repo)
    #expect(r.status == 0, "git \(args.joined(separator: " ")): \(r.stderr)")
    return r.stdout
  }

  /// git pads graph-only lines with spaces; annot does not.
  func trimmed(_ s: String) -> String {
    s.split(separator: "\n", omittingEmptySubsequences: false).map { l in
      var l = String(l)
      while l.last == " " { l.removeLast() }
      return l
    }.joined(separator: "\n")
  }

  /// base ← m1 ← merge side (with side: s1 ← s2) ← merge other (with other: o1 from m1),
  /// plus tags v1 (light) and v2 (annotated) and branch zz on "merge side".
  func history() throws -> URL {
    let dir = try TestSupport.tempDir("habits")
    try TestSupport.annot(["init", "-q", "repo"], in: dir)
    let repo = dir.appendingPathComponent("repo")
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 1), to: repo.appendingPathComponent("images/a.png"))
    for args in [["add", "-q", "images"], ["commit", "-q", "-m", "base"], ["switch", "-q", "-c", "side"],
                 ["commit", "-q", "--allow-empty", "-m", "s1"], ["commit", "-q", "--allow-empty", "-m", "s2\n\nwith a body\nof two lines"],
                 ["switch", "-q", "main"], ["commit", "-q", "--allow-empty", "-m", "m1"], ["merge", "-q", "side", "-m", "merge side"],
                 ["switch", "-q", "-c", "other", "HEAD~1"], ["commit", "-q", "--allow-empty", "-m", "o1"], ["switch", "-q", "main"],
                 ["merge", "-q", "--no-ff", "other", "-m", "merge other"], ["tag", "v1", "HEAD~1"], ["tag", "-m", "annotated", "v2", "HEAD~1"],
                 ["branch", "zz", "HEAD~1"]] {
      let r = try annot(repo, args)
      #expect(r.stdout.isEmpty, "annot \(args.joined(separator: " ")) printed \(r.stdout.debugDescription) despite -q")
    }
    return repo
  }

  @Test func logGraphMatchesGit() throws {
    let repo = try history()
    for format in ["%h %s", "%h%d %s"] {
      let mine = try annot(repo, ["log", "--graph", "--format=\(format)"]).stdout
      let theirs = try git(repo, ["log", "--graph", "--format=\(format)"])
      #expect(mine == trimmed(theirs), "annot:\n\(mine)\ngit:\n\(theirs)")
    }
    let oneline = try annot(repo, ["log", "--graph", "--oneline", "side"]).stdout
    #expect(oneline == trimmed(try git(repo, ["log", "--graph", "--oneline", "side"])))
    let limited = try annot(repo, ["log", "--graph", "--format=%s", "-n", "3"]).stdout
    #expect(limited == trimmed(try git(repo, ["log", "--graph", "--format=%s", "-n", "3"])), "\(limited)")
    let medium = try annot(repo, ["log", "--graph"]).stdout
    #expect(medium == trimmed(try git(repo, ["log", "--graph"])), "\(medium)")
  }

  @Test func logFormatPlaceholdersMatchGit() throws {
    let repo = try history()
    for format in ["%H %h %T %t", "%P|%p", "%an <%ae> %ad %at", "%cn <%ce> %cd %ct", "%s", "%b", "%B", "%d|%D", "%h%n%s%%",
                   "format:%h %s", "tformat:%h", "medium", "short", "full", "oneline", "%x %Q unknown"] {
      // Linear history (side), so the order cannot differ on equal commit times.
      let mine = try annot(repo, ["log", "side", "--format=\(format)"]).stdout
      let theirs = try git(repo, ["log", "side", "--format=\(format)"])
      #expect(mine == theirs, "--format=\(format)\nannot:\n\(mine)\ngit:\n\(theirs)")
    }
    for date in ["iso", "iso-strict", "short", "unix", "rfc", "raw", "default"] {
      let mine = try annot(repo, ["log", "-1", "--date=\(date)", "--format=%ad"]).stdout
      #expect(mine == (try git(repo, ["log", "-1", "--date=\(date)", "--format=%ad"])), "--date=\(date): \(mine)")
    }
    #expect(try annot(repo, ["log", "--oneline", "side"]).stdout == (try git(repo, ["log", "--oneline", "side"])))
    // Across merges with equal commit times, the order is git's too.
    for args in [["log", "--format=%h %s"], ["log", "--oneline", "-n", "4"], ["log", "-3"], ["log", "--format=%s", "other"]] {
      let mine = try annot(repo, args).stdout
      #expect(mine == (try git(repo, args)), "annot \(args.joined(separator: " ")):\n\(mine)")
    }
    #expect(try annot(repo, ["log", "--pretty=%s", "-2", "side"]).stdout == "s2\ns1\n")
    #expect(try annot(repo, ["show", "--format=%h %s", "HEAD"]).stdout.hasPrefix(try git(repo, ["log", "-1", "--format=%h %s"])))
  }

  /// `-q` leaves stdout (and stderr) empty on the commands that write.
  @Test func quietWritingCommands() throws {
    let repo = try history()
    let dir = repo.deletingLastPathComponent()
    let coco = try TestSupport.cocoDataset(in: dir.appendingPathComponent("data"), count: 3)
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 4), to: repo.appendingPathComponent("images/c.png"))
    let commands: [[String]] = [
      ["import", "-q", "coco", coco.path, "--images", dir.appendingPathComponent("data/images").path],
      ["add", "-q", "images/c.png"], ["mv", "-q", "images/c.png", "images/d.png"], ["rm", "-q", "images/d.png"],
      ["split", "-q"], ["commit", "-q", "-m", "quiet"], ["reindex", "-q"],
      ["export", "-q", "HEAD", "--format", "coco", "--to", dir.appendingPathComponent("out").path],
      ["branch", "-q", "-d", "zz"], ["tag", "-q", "-d", "v1"], ["reset", "-q", "--soft", "HEAD"], ["checkout", "-q", "side"],
      ["cherry-pick", "-q", "main"], ["revert", "-q", "HEAD"], ["switch", "-q", "main"],
    ]
    for args in commands {
      let r = try TestSupport.annot(args, in: repo)
      #expect(r.status == 0, "annot \(args.joined(separator: " ")): \(r.stderr)")
      #expect(r.stdout.isEmpty && r.stderr.isEmpty, "annot \(args.joined(separator: " ")) printed \(r.stdout.debugDescription) \(r.stderr.debugDescription)")
    }
    let clone = try TestSupport.annot(["clone", "-q", repo.path, dir.appendingPathComponent("copy").path], in: dir)
    #expect(clone.status == 0 && clone.stdout.isEmpty && clone.stderr.isEmpty, "\(clone)")
    let copy = dir.appendingPathComponent("copy")
    for args in [["fetch", "-q"], ["pull", "-q"], ["push", "-q", "origin", "main"]] {
      let r = try TestSupport.annot(args, in: copy)
      #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "annot \(args.joined(separator: " ")): \(r)")
    }
    try fsck(repo)
  }

  @Test func branchVerboseMatchesGit() throws {
    let repo = try history()
    #expect(try annot(repo, ["branch", "-v"]).stdout == (try git(repo, ["branch", "-v"])))
    #expect(try annot(repo, ["branch", "--verbose", "--json"]).stdout.contains(#""subject":"merge other""#))
  }

  @Test func switchCreateAtStartPoint() throws {
    let repo = try history()
    let target = try git(repo, ["rev-parse", "side~1"])
    #expect(try annot(repo, ["switch", "-c", "fix", "side~1"]).stdout == "Switched to a new branch 'fix'\n")
    #expect(try git(repo, ["rev-parse", "refs/heads/fix"]) == target)
    #expect(try git(repo, ["symbolic-ref", "HEAD"]) == "refs/heads/fix\n")
    #expect(try annot(repo, ["checkout", "-b", "fix2", "v1"]).status == 0)
    #expect(try git(repo, ["rev-parse", "refs/heads/fix2"]) == (try git(repo, ["rev-parse", "v1^{commit}"])))
    // A start point without -c is refused; so is a name that exists or a bad start.
    let noC = try TestSupport.annot(["switch", "fix", "HEAD"], in: repo)
    #expect(noC.status != 0 && noC.stderr.contains("needs -c"))
    let bad = try TestSupport.annot(["switch", "-c", "new", "no-such-rev"], in: repo)
    #expect(bad.status != 0 && bad.stderr.contains("no-such-rev"))
    #expect(try TestSupport.git(["--git-dir", ".annot", "show-ref", "--verify", "--quiet", "refs/heads/new"], in: repo).status == 1)
    // Staged work moves to a new branch made at HEAD (git switch -c), and blocks one made elsewhere.
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 9), to: repo.appendingPathComponent("images/b.png"))
    _ = try annot(repo, ["add", "images/b.png"])
    let elsewhere = try TestSupport.annot(["switch", "-c", "elsewhere", "side~1"], in: repo)
    #expect(elsewhere.status != 0)
    _ = try annot(repo, ["switch", "-c", "carry"])
    #expect(try annot(repo, ["status", "--json"]).stdout.contains(#""images_added":["b.png"]"#))
    #expect(try annot(repo, ["status", "--json"]).stdout.contains(#""branch":"carry""#))
    try fsck(repo)
  }

  @Test func diffExitCodeAndQuiet() throws {
    let repo = try history()
    let same = try TestSupport.annot(["diff", "--exit-code", "side~1", "side"], in: repo)
    #expect(same.status == 0 && same.stdout.isEmpty)
    let quietSame = try TestSupport.annot(["diff", "--quiet", "HEAD~1", "HEAD"], in: repo)
    #expect(quietSame.status == 0 && quietSame.stdout.isEmpty)
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 9), to: repo.appendingPathComponent("images/b.png"))
    _ = try annot(repo, ["add", "images/b.png"])
    let staged = try TestSupport.annot(["diff", "--exit-code"], in: repo)
    #expect(staged.status == 1 && staged.stdout.contains("b.png"), "\(staged)")
    let quiet = try TestSupport.annot(["diff", "--quiet"], in: repo)
    #expect(quiet.status == 1 && quiet.stdout.isEmpty && quiet.stderr.isEmpty)
    let stat = try TestSupport.annot(["diff", "--stat", "--exit-code"], in: repo)
    #expect(stat.status == 1 && !stat.stdout.isEmpty)
    #expect(try TestSupport.annot(["diff"], in: repo).status == 0, "without --exit-code, changes are not an error")
  }

  func fsck(_ repo: URL) throws {
    let r = try TestSupport.git(["--git-dir", ".annot", "fsck", "--strict", "--no-dangling"], in: repo)
    #expect(r.status == 0, "git fsck: \(r.stdout)\(r.stderr)")
  }

  /// An empty HOME, so the user's core.editor cannot win over the variables under test.
  let home = FileManager.default.temporaryDirectory.appendingPathComponent("annot-editor-home").path

  /// An editor (`sh SCRIPT`) whose script saves the template it was given and writes `message`.
  func editor(_ dir: URL, name: String, message: String, status: Int = 0) throws -> String {
    let path = dir.appendingPathComponent(name).path
    let script = "cp \"$1\" \"\(path).seen\"\nprintf '%s' '\(message)' > \"$1\"\nexit \(status)\n"
    try TestSupport.write(script, to: URL(fileURLWithPath: path))
    // Run through sh: exec'ing a script this process just wrote can fail with ETXTBSY while
    // another test's child still holds the write descriptor.
    return path
  }

  @Test func commitWithoutMessageOpensTheEditor() throws {
    let repo = try history()
    let tools = try TestSupport.tempDir("editors")
    let good = try editor(tools, name: "good", message: "Relabel b\n\n# a comment line\nBody   \n\n\n# more\n")
    let wrong = try editor(tools, name: "wrong", message: "wrong editor\n")
    try TestSupport.write(TestSupport.png(width: 8, height: 8, seed: 9), to: repo.appendingPathComponent("images/b.png"))
    _ = try annot(repo, ["add", "images/b.png"])

    // Nothing is written when the message is empty, or the editor fails.
    let head = try git(repo, ["rev-parse", "HEAD"])
    let empty = try editor(tools, name: "empty", message: "# only comments\n\n   \n")
    let e = try TestSupport.annot(["commit"], in: repo, env: ["EDITOR": "sh " + empty, "GIT_EDITOR": "", "VISUAL": "", "ANNOT_EDITOR": "", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"])
    #expect(e.status != 0 && e.stderr.contains("empty commit message"), "\(e)")
    let failing = try editor(tools, name: "failing", message: "fine\n", status: 3)
    let f = try TestSupport.annot(["commit"], in: repo, env: ["EDITOR": "sh " + failing, "GIT_EDITOR": "", "VISUAL": "", "ANNOT_EDITOR": "", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"])
    #expect(f.status != 0 && f.stderr.contains("problem with the editor"), "\(f)")
    #expect(try git(repo, ["rev-parse", "HEAD"]) == head)

    // GIT_EDITOR before VISUAL before EDITOR (VISUAL counts on a terminal that is not dumb).
    let c = try TestSupport.annot(["commit"], in: repo, env: ["GIT_EDITOR": "sh " + good, "VISUAL": "sh " + wrong, "EDITOR": "sh " + wrong, "TERM": "xterm", "ANNOT_EDITOR": "", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"])
    #expect(c.status == 0, "\(c.stderr)")
    #expect(c.stdout.hasSuffix("] Relabel b\n"))
    #expect(try git(repo, ["log", "-1", "--format=%B"]) == "Relabel b\n\nBody\n\n")
    let template = try String(contentsOfFile: good + ".seen", encoding: .utf8)
    #expect(template.contains("# Please enter the commit message"))
    #expect(template.contains("# On branch main"))
    #expect(template.contains("new image:  images/b.png"), "\(template)")

    // VISUAL before EDITOR; --amend starts from the old message.
    let amend = try editor(tools, name: "amend", message: "Relabel b, amended\n")
    _ = try annot(repo, ["commit", "--amend"], env: ["VISUAL": "sh " + amend, "EDITOR": "sh " + wrong, "TERM": "xterm", "GIT_EDITOR": "", "ANNOT_EDITOR": "", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"])
    #expect(try git(repo, ["log", "-1", "--format=%s"]) == "Relabel b, amended\n")
    #expect(try String(contentsOfFile: amend + ".seen", encoding: .utf8).hasPrefix("Relabel b\n\nBody\n"))
    // Nothing staged: refused before any editor opens.
    let nothing = try TestSupport.annot(["commit"], in: repo, env: ["EDITOR": "sh " + wrong, "GIT_EDITOR": "", "VISUAL": "", "ANNOT_EDITOR": "", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"])
    #expect(nothing.status != 0)
    #expect(!FileManager.default.fileExists(atPath: wrong + ".seen"))
    try fsck(repo)
  }

  /// The editor is in the terminal's foreground: it can read the keyboard (a background
  /// process would be stopped by SIGTTIN).
  @Test func editorReadsTheTerminal() throws {
    let repo = try history()
    let tools = try TestSupport.tempDir("editors")
    let path = tools.appendingPathComponent("ttyeditor").path
    try TestSupport.write("printf 'message: '\nread line < /dev/tty\necho \"$line\" > \"$1\"\n", to: URL(fileURLWithPath: path))
    _ = try annot(repo, ["switch", "-c", "typed"])
    let t = try PseudoTerminal(TestSupport.annotBinary, ["commit", "--allow-empty"], in: repo, env: ["EDITOR": "sh " + path, "GIT_EDITOR": "", "VISUAL": "", "ANNOT_EDITOR": "", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"])
    defer { t.terminate() }
    #expect(t.waitFor("message: ", timeout: 30), "\(t.output) stopped: \(t.stoppedProcesses())")
    #expect(t.stoppedProcesses().isEmpty)
    t.send("typed on the keyboard\r")
    #expect(t.waitForExit(timeout: 20) == 0, "\(t.output)")
    #expect(try git(repo, ["log", "-1", "--format=%s"]) == "typed on the keyboard\n")
  }

  /// Export, import and clone draw progress on a terminal only, and not with -q.
  @Test func progressOnTerminalOnly() throws {
    let dir = try TestSupport.tempDir("progress")
    try TestSupport.annot(["init", "repo"], in: dir)
    let repo = dir.appendingPathComponent("repo")
    let coco = try TestSupport.cocoDataset(in: dir.appendingPathComponent("data"), count: 5)
    let images = dir.appendingPathComponent("data/images").path
    let imp = try PseudoTerminal(TestSupport.annotBinary, ["import", "coco", coco.path, "--images", images], in: repo)
    #expect(imp.waitForExit(timeout: 30) == 0)
    #expect(imp.output.contains("Importing: 100% (5/5)"), "\(imp.output)")
    _ = try annot(repo, ["commit", "-q", "-m", "five"])

    let exp = try PseudoTerminal(TestSupport.annotBinary, ["export", "HEAD", "--format", "coco", "--to", dir.appendingPathComponent("out1").path], in: repo)
    #expect(exp.waitForExit(timeout: 30) == 0)
    #expect(exp.output.contains("Exporting: 100% (5/5)"), "\(exp.output)")
    #expect(exp.output.contains("exported 5 images"))

    let quiet = try PseudoTerminal(TestSupport.annotBinary, ["export", "-q", "HEAD", "--format", "coco", "--to", dir.appendingPathComponent("out2").path], in: repo)
    #expect(quiet.waitForExit(timeout: 30) == 0)
    #expect(!quiet.output.contains("Exporting"), "\(quiet.output)")
    #expect(!quiet.output.contains("exported"))

    let piped = try annot(repo, ["export", "HEAD", "--format", "yolo", "--to", dir.appendingPathComponent("out3").path])
    #expect(!piped.stderr.contains("Exporting"))
    #expect(piped.stdout.contains("exported 5 images"))
    #expect(try annot(repo, ["verify", dir.appendingPathComponent("out2").path]).stdout.hasPrefix("ok"))
  }
}
