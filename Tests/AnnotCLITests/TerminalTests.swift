import Foundation
import Testing
import AnnotTestSupport

/// The paging commands on a real pseudo-terminal, with the real `less`: output arrives, nothing
/// is stopped by the kernel, `q` quits, a screenful quits by itself, and colours appear on a
/// terminal but not through a pipe. (Pipes, `PAGER=cat` and `--no-pager` alone never showed the
/// pager hanging in a process group of its own.)
@Suite(.serialized) struct TerminalTests {
  /// A repository with two rounds over 30 images (every box of round 2 moved) and 8 commits:
  /// `log` and `diff HEAD~7 HEAD` are longer than a 24-line screen, `diff --stat` is shorter.
  static func repository() throws -> URL {
    let dir = try TestSupport.tempDir("terminal")
    try TestSupport.annot(["init", "repo"], in: dir)
    let repo = dir.appendingPathComponent("repo")
    let data = dir.appendingPathComponent("data")
    let first = try TestSupport.cocoDataset(in: data, count: 30)
    for (args, what) in [(["import", "coco", first.path, "--images", data.appendingPathComponent("images").path], "import"),
                         (["commit", "-m", "round 1"], "commit")] {
      let r = try TestSupport.annot(args, in: repo)
      #expect(r.status == 0, "\(what): \(r.stderr)")
    }
    let second = try TestSupport.cocoDataset(in: data, count: 30, moved: Set(1...60), dx: 3, name: "round2.json")
    try TestSupport.annot(["import", "coco", second.path, "--images", data.appendingPathComponent("images").path], in: repo)
    try TestSupport.annot(["commit", "-m", "round 2: every box moved"], in: repo)
    for i in 3...8 { try TestSupport.annot(["commit", "--allow-empty", "-m", "review pass \(i)"], in: repo) }
    return repo
  }

  static let esc = "\u{1B}["

  /// Types `q` until the program exits (less drops typeahead while it handles an interrupt, so
  /// one key can be lost on a loaded machine); returns the exit status, nil after 20 s.
  func quit(_ t: PseudoTerminal) -> Int32? {
    for _ in 0..<4 {
      t.send("q")
      if let status = t.waitForExit(timeout: 5) { return status }
    }
    return nil
  }

  /// Runs `args` on a 24-line terminal and checks the pager is shown and waits for a key:
  /// the output arrives, nothing in the session is stopped, and `q` ends the command with 0.
  func expectPagedAndQuits(_ args: [String], in repo: URL, expecting text: String) throws {
    let t = try PseudoTerminal(TestSupport.annotBinary, args, in: repo)
    defer { t.terminate() }
    #expect(t.waitFor(text, timeout: 30), "annot \(args.joined(separator: " ")): nothing arrived on the terminal; stopped: \(t.stoppedProcesses()); shown: \(t.output.suffix(400))")
    // The pager now waits for a key: still running, and not stopped by the kernel.
    usleep(300_000)
    #expect(t.isRunning, "the pager quit without a key although the output is longer than the screen")
    #expect(t.stoppedProcesses().isEmpty, "stopped processes: \(t.stoppedProcesses())")
    #expect(t.output.contains(Self.esc), "no colour on a terminal")
    let status = quit(t)
    #expect(status == 0, "annot \(args.joined(separator: " ")) after 'q': status \(String(describing: status)), stopped: \(t.stoppedProcesses())")
  }

  @Test func logPagesAndQuitsOnQ() throws {
    let repo = try Self.repository()
    try expectPagedAndQuits(["log"], in: repo, expecting: "review pass 8")
  }

  @Test func logPatchGraphPagesAndQuitsOnQ() throws {
    let repo = try Self.repository()
    try expectPagedAndQuits(["log", "-p", "--graph"], in: repo, expecting: "review pass 8")
  }

  @Test func diffPagesAndQuitsOnQ() throws {
    let repo = try Self.repository()
    try expectPagedAndQuits(["diff", "HEAD~7", "HEAD"], in: repo, expecting: "img_0.png")
  }

  @Test func showPagesAndQuitsOnQ() throws {
    let repo = try Self.repository()
    try expectPagedAndQuits(["show", "HEAD~6"], in: repo, expecting: "round 2")
  }

  /// Output that fits on the screen: `less -F` quits by itself, no key needed.
  @Test(arguments: [["diff", "--stat", "HEAD~7", "HEAD"], ["log", "--oneline", "-n", "3"], ["diff", "--name-status", "HEAD~7", "HEAD", "--", "images/img_1.png", "images/img_2.png"], ["blame", "images/img_0.png"]])
  func shortOutputFinishesWithoutAKey(_ args: [String]) throws {
    let repo = try Self.repository()
    let t = try PseudoTerminal(TestSupport.annotBinary, args, in: repo, columns: 200)
    defer { t.terminate() }
    let status = t.waitForExit(timeout: 30)
    #expect(status == 0, "annot \(args.joined(separator: " ")) did not finish: stopped \(t.stoppedProcesses()); shown: \(t.output.suffix(400))")
    #expect(!t.output.isEmpty)
    if args.contains("--stat") { #expect(t.output.contains("moved")) }
    if args.contains("blame") { #expect(t.output.contains("round 2"), "\(t.output.debugDescription)") }
    if args.contains("--name-status") { #expect(t.output.contains("img_2.png") && !t.output.contains("img_3.png"), "\(t.output.debugDescription)") }
  }

  /// `q` long before the end of an output larger than the pipe: annot is blocked writing, gets
  /// SIGPIPE, lets the pager finish and dies of SIGPIPE (141), as git does; nothing hangs.
  @Test func quitBeforeTheEndOfALongOutput() throws {
    let dir = try TestSupport.tempDir("terminal-long")
    try TestSupport.annot(["init", "repo"], in: dir)
    let repo = dir.appendingPathComponent("repo")
    let data = dir.appendingPathComponent("data")
    let images = data.appendingPathComponent("images").path
    let first = try TestSupport.cocoDataset(in: data, count: 800)
    for args in [["import", "-q", "coco", first.path, "--images", images], ["commit", "-q", "-m", "round 1"]] {
      let r = try TestSupport.annot(args, in: repo)
      #expect(r.status == 0, "\(args): \(r.stderr)")
    }
    let second = try TestSupport.cocoDataset(in: data, count: 800, moved: Set(1...1600), dx: 3, name: "round2.json")
    try TestSupport.annot(["import", "-q", "coco", second.path, "--images", images], in: repo)
    try TestSupport.annot(["commit", "-q", "-m", "round 2"], in: repo)
    let third = try TestSupport.cocoDataset(in: data, count: 800, moved: Set(1...1600), dx: 6, name: "round3.json")
    try TestSupport.annot(["import", "-q", "coco", third.path, "--images", images], in: repo)
    try TestSupport.annot(["commit", "-q", "-m", "round 3"], in: repo)
    let piped = try TestSupport.annot(["log", "-p"], in: repo)
    #expect(piped.stdout.utf8.count > 200_000, "the log (\(piped.stdout.utf8.count) bytes) must not fit in a pipe")

    let t = try PseudoTerminal(TestSupport.annotBinary, ["log", "-p"], in: repo)
    defer { t.terminate() }
    #expect(t.waitFor("round 3", timeout: 60), "stopped: \(t.stoppedProcesses()); shown: \(t.output.suffix(300))")
    usleep(300_000)
    #expect(t.isRunning)
    let status = quit(t)
    #expect(status == 141, "status \(String(describing: status)); shown: \(t.output.suffix(200).debugDescription)")
  }

  /// Ctrl-C while the pager shows: annot waits for the pager to give the terminal back, then
  /// dies of SIGINT (130), as git does; the pager is never orphaned on the terminal.
  @Test func interruptWaitsForThePager() throws {
    let repo = try Self.repository()
    let t = try PseudoTerminal(TestSupport.annotBinary, ["log"], in: repo)
    defer { t.terminate() }
    #expect(t.waitFor("review pass 8", timeout: 30))
    t.send("\u{3}")
    usleep(300_000)
    #expect(t.isRunning, "annot exited while its pager still holds the terminal")
    let status = quit(t)
    #expect(status == 130, "status \(String(describing: status)); stopped \(t.stoppedProcesses()); shown: \(t.output.suffix(300).debugDescription)")
  }

  @Test func noColourThroughAPipeAndColourOnATerminalWithoutPager() throws {
    let repo = try Self.repository()
    let piped = try TestSupport.annot(["log", "-p"], in: repo, env: ["NO_COLOR": ""])
    #expect(piped.status == 0)
    #expect(piped.stdout.contains("round 2"))
    #expect(!piped.stdout.contains(Self.esc), "colour escapes in piped output")
    #expect(!piped.stdout.contains("HEAD ->"), "decorations are for terminals unless asked for")
    for args in [["--no-pager", "log", "-n", "2"], ["log", "--no-pager", "-n", "2"]] {
      let t = try PseudoTerminal(TestSupport.annotBinary, args, in: repo, env: ["ANNOT_PAGER": "sed s/^/PAGED:/"])
      defer { t.terminate() }
      #expect(t.waitForExit(timeout: 30) == 0)
      #expect(t.output.contains("commit "))
      #expect(!t.output.contains("PAGED:"), "\(args): the pager ran despite --no-pager")
      #expect(t.output.contains(Self.esc + "33m"), "\(args): no colour on a terminal")
      #expect(t.output.contains("(HEAD -> main)"))
    }
    let noColor = try PseudoTerminal(TestSupport.annotBinary, ["log", "--no-pager", "-n", "1"], in: repo, env: ["NO_COLOR": "1"])
    #expect(noColor.waitForExit(timeout: 30) == 0)
    #expect(!noColor.output.contains(Self.esc + "33m"))
  }

  /// ANNOT_PAGER, then core.pager, then PAGER, then less; LESS=FRX unless set; cat means none.
  @Test func pagerPrecedenceAndEnvironment() throws {
    let repo = try Self.repository()
    func paged(_ env: [String: String]) throws -> String {
      let t = try PseudoTerminal(TestSupport.annotBinary, ["log", "--oneline", "-n", "1"], in: repo, env: env)
      defer { t.terminate() }
      #expect(t.waitForExit(timeout: 30) == 0, "\(env): \(t.output)")
      return t.output
    }
    #expect(try paged(["PAGER": "sed s/^/P:/"]).contains("P:"))
    #expect(try paged(["PAGER": "sed s/^/P:/", "ANNOT_PAGER": "sed s/^/A:/"]).contains("A:"))
    #expect(!(try paged(["PAGER": "sed s/^/P:/", "ANNOT_PAGER": "cat"])).contains("P:"))
    #expect(try paged(["ANNOT_PAGER": "echo LESS=$LESS LV=$LV; cat"]).contains("LESS=FRX LV=-c"))
    #expect(try paged(["ANNOT_PAGER": "echo LESS=$LESS; cat", "LESS": "R"]).contains("LESS=R"))
    let config = try TestSupport.git(["--git-dir", ".annot", "config", "core.pager", "sed s/^/C:/"], in: repo)
    #expect(config.status == 0)
    #expect(try paged(["PAGER": "sed s/^/P:/"]).contains("C:"))
    #expect(try paged(["PAGER": "sed s/^/P:/", "ANNOT_PAGER": "sed s/^/A:/"]).contains("A:"))
    let missing = try paged(["ANNOT_PAGER": "no-such-pager-annot"])
    #expect(missing.contains("cannot run pager 'no-such-pager-annot'"))
    #expect(missing.contains("review pass 8"), "the output is lost when the pager cannot run")
  }
}

/// Docs/CLI.md is what Scripts/gen-cli-docs.sh makes from the built binary's `--help`, and
/// `--version` names the commit the binary was built from.
@Suite struct CLIReferenceTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test func cliReferenceIsCurrent() throws {
    let out = try TestSupport.tempDir("clidoc").appendingPathComponent("CLI.md")
    let r = try TestSupport.run("/bin/bash", [Self.root.appendingPathComponent("Scripts/gen-cli-docs.sh").path, TestSupport.annotBinary, out.path], in: Self.root)
    #expect(r.status == 0, "\(r.stderr)")
    let fresh = try String(contentsOf: out, encoding: .utf8)
    let committed = try String(contentsOf: Self.root.appendingPathComponent("Docs/CLI.md"), encoding: .utf8)
    #expect(fresh == committed, "Docs/CLI.md is stale: run Scripts/gen-cli-docs.sh")
  }

  /// The README's completion commands work for each shell.
  @Test(arguments: ["bash", "zsh", "fish"]) func completionScripts(_ shell: String) throws {
    let r = try TestSupport.annot(["--generate-completion-script", shell], in: Self.root)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("annot") && r.stdout.contains("switch") && r.stdout.contains("graph"))
  }

  @Test func versionNamesTheCommit() throws {
    let v = try TestSupport.annot(["--version"], in: Self.root)
    #expect(v.status == 0)
    #expect(v.stdout.hasPrefix("0.1.0"))
    let describe = try TestSupport.run("/usr/bin/git", ["-C", Self.root.path, "describe", "--always", "--tags"], in: Self.root)
    if describe.status == 0 {
      let d = describe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(v.stdout.hasPrefix("0.1.0 (\(d)"), "\(v.stdout) does not name \(d)")
    } else {
      #expect(v.stdout == "0.1.0\n")
    }
  }
}
