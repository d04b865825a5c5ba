import Foundation
import Testing
import AnnotTestSupport

/// Hostile remotes: history annot itself would never write, built with real git plumbing
/// (`git mktree`, `git hash-object`, `git hash-object -t tree --literally` for names mktree
/// refuses), must be refused by clone, fetch and pull before any ref moves, with one line naming
/// the entry; fsck and validate must report every violation of such a revision.
@Suite(.serialized) struct HostileRemoteTests {
  /// One hostile revision: a bash snippet that prints a root tree id, and what the error says.
  struct Case: CustomStringConvertible {
    var name: String
    var expect: String
    var script: String
    var description: String { name }
  }

  /// Shell helpers available to every case: `$man $imgs $labs $png $doc` are the good revision's
  /// (`$GOOD`) manifest, images tree, labels tree, image blob and document blob; `mk` is `git mktree`,
  /// `lit` writes a tree from raw bytes, `bin HEX` prints an id as 20 raw bytes, `root I L`
  /// makes a root tree from an images and a labels tree.
  static let prelude = #"""
    set -e
    G="git --git-dir src/.annot"
    man=$($G rev-parse $GOOD:annot.json); imgs=$($G rev-parse $GOOD:images); labs=$($G rev-parse $GOOD:labels)
    png=$($G rev-parse $GOOD:images/a.png); doc=$($G rev-parse $GOOD:labels/a.png.json)
    mk() { $G mktree; }
    lit() { $G hash-object -t tree --literally -w --stdin; }
    bin() { printf "$(echo "$1" | sed 's/../\\x&/g')"; }
    root() { printf '100644 blob %s\tannot.json\n040000 tree %s\timages\n040000 tree %s\tlabels\n' "$man" "$1" "$2" | mk; }
    """#

  static let cases: [Case] = [
    Case(name: "dotdot", expect: "images/..: entry named '..'",
         script: #"root $(printf '100644 blob %s\ta.png\n040000 tree %s\t..\n' $png $imgs | mk) $labs"#),
    Case(name: "dotgit", expect: "images/.git: entry named '.git'",
         script: #"root $(printf '100644 blob %s\ta.png\n040000 tree %s\t.git\n' $png $imgs | mk) $labs"#),
    Case(name: "dotannot", expect: ".annot: entry named '.annot'",
         script: #"printf '040000 tree %s\t.annot\n100644 blob %s\tannot.json\n040000 tree %s\timages\n040000 tree %s\tlabels\n' $imgs $man $imgs $labs | mk"#),
    Case(name: "slash", expect: "images/a/b.png: entry name contains a slash",
         script: #"root $({ printf '100644 a.png\0'; bin $png; printf '100644 a/b.png\0'; bin $png; } | lit) $labs"#),
    Case(name: "backslash", expect: #"images/a\b.png: entry name contains a backslash"#,
         script: #"root $(printf '100644 blob %s\ta.png\n100644 blob %s\ta\\b.png\n' $png $png | mk) $labs"#),
    Case(name: "control", expect: #"images/a\u{1}.png: entry name contains a control character"#,
         script: #"root $(printf '100644 blob %s\ta.png\n100644 blob %s\ta\001.png\n' $png $png | mk) $labs"#),
    Case(name: "utf8", expect: #"images/a\xFF.png: entry name is not valid UTF-8"#,
         script: #"root $(printf '100644 blob %s\ta.png\n100644 blob %s\ta\377.png\n' $png $png | mk) $labs"#),
    Case(name: "symlink", expect: "images/a.png: is a symbolic link, expected a file",
         script: #"root $(printf '120000 blob %s\ta.png\n' $png | mk) $labs"#),
    Case(name: "dangling-gitlink", expect: "images/a.png: gitlink (submodule entry) to deadbeefdeadbeefdeadbeefdeadbeefdeadbeef, which does not exist here",
         script: #"root $(printf '160000 commit deadbeefdeadbeefdeadbeefdeadbeefdeadbeef\ta.png\n' | mk) $labs"#),
    Case(name: "gitlink", expect: "images/a.png: gitlink (submodule entry) to",
         script: #"root $(printf '160000 commit %s\ta.png\n' $GOOD | mk) $labs"#),
    Case(name: "not-json", expect: "labels/a.png.json: not a label document: invalid JSON",
         script: #"root $imgs $(printf '100644 blob %s\ta.png.json\n' $(echo 'not json' | $G hash-object -w --stdin) | mk)"#),
    Case(name: "not-canonical", expect: "labels/a.png.json: document is not in canonical form",
         script: #"root $imgs $(printf '100644 blob %s\ta.png.json\n' $({ echo; $G cat-file blob $doc; } | $G hash-object -w --stdin) | mk)"#),
    Case(name: "not-an-image", expect: "images/a.png: not a JPEG, PNG",
         script: #"root $(printf '100644 blob %s\ta.png\n' $(echo 'hello' | $G hash-object -w --stdin) | mk) $labs"#),
    Case(name: "top-level", expect: "README: unexpected top-level entry",
         script: #"printf '040000 tree %s\tREADME\n100644 blob %s\tannot.json\n040000 tree %s\timages\n040000 tree %s\tlabels\n' $imgs $man $imgs $labs | mk"#),
  ]

  /// `src` with one good commit (images/a.png and its document), `dst` cloned from it.
  struct World {
    let dir: URL
    let good: String
    init() throws {
      dir = try TestSupport.tempDir("hostile")
      try TestSupport.write(TestSupport.png(width: 8, height: 6), to: dir.appendingPathComponent("src/images/a.png"))
      #expect(try TestSupport.annot(["init", "."], in: dir.appendingPathComponent("src")).status == 0)
      #expect(try TestSupport.annot(["add", "images/a.png"], in: dir.appendingPathComponent("src")).status == 0)
      #expect(try TestSupport.annot(["commit", "-m", "good"], in: dir.appendingPathComponent("src")).status == 0)
      good = try TestSupport.git(["--git-dir", "src/.annot", "rev-parse", "main"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(try TestSupport.annot(["clone", dir.appendingPathComponent("src").path, "dst"], in: dir).status == 0)
    }
    func bash(_ script: String) throws -> String {
      let r = try TestSupport.run("/bin/bash", ["-c", "GOOD=\(good)\n" + HostileRemoteTests.prelude + "\n" + script], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// Points src's main at a commit of the hostile tree on top of the good one.
    func publish(_ c: Case) throws -> String {
      let tree = try bash(c.script)
      let commit = try bash("echo \(c.name) | $G commit-tree \(tree) -p \(good)")
      _ = try bash("$G update-ref refs/heads/main \(commit)")
      return commit
    }
    func refs(_ repo: String) throws -> String {
      try TestSupport.git(["--git-dir", "\(repo)/.annot", "for-each-ref", "--format=%(refname) %(objectname)"], in: dir).stdout
    }
  }

  static func expectOneLineRefusal(_ r: TestSupport.Result, _ c: Case) {
    #expect(r.status != 0, "\(c.name): accepted")
    // git's "Cloning into 'DIR'..." comes first for a clone, as git prints it.
    let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Cloning into") }
    #expect(lines.count == 1, "\(c.name): \(r.stderr)")
    #expect(r.stderr.contains(c.expect), "\(c.name): \(r.stderr)")
    #expect(!r.stderr.contains("notFound("), "\(c.name): \(r.stderr)")
    #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(c.name): raw control character")
  }

  @Test func pullFetchAndCloneRefuseEveryHostileRevisionBeforeAnyRefMoves() throws {
    let w = try World()
    for c in Self.cases {
      let commit = try w.publish(c)
      let before = try w.refs("dst")
      let stage = try? String(contentsOf: w.dir.appendingPathComponent("dst/.annot/annot/STAGE"), encoding: .utf8)
      Self.expectOneLineRefusal(try TestSupport.annot(["pull"], in: w.dir.appendingPathComponent("dst")), c)
      Self.expectOneLineRefusal(try TestSupport.annot(["fetch"], in: w.dir.appendingPathComponent("dst")), c)
      #expect(try w.refs("dst") == before, "\(c.name): a ref moved")
      #expect((try? String(contentsOf: w.dir.appendingPathComponent("dst/.annot/annot/STAGE"), encoding: .utf8)) == stage)
      #expect(!(try w.refs("dst")).contains(commit))
      // A clone of the hostile remote leaves nothing behind.
      let clone = try TestSupport.annot(["clone", w.dir.appendingPathComponent("src").path, "fresh-\(c.name)"], in: w.dir)
      Self.expectOneLineRefusal(clone, c)
      #expect(!FileManager.default.fileExists(atPath: w.dir.appendingPathComponent("fresh-\(c.name)").path), "\(c.name): clone left a directory")
    }
    // The received objects are unreachable: gc prunes them, and the result passes git fsck.
    #expect(try TestSupport.annot(["gc", "--prune=now"], in: w.dir.appendingPathComponent("dst")).status == 0)
    let fsck = try TestSupport.git(["--git-dir", "dst/.annot", "fsck", "--strict", "--unreachable", "--no-dangling"], in: w.dir)
    #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    #expect(!fsck.stdout.contains("unreachable"), "\(fsck.stdout)")
    // Good history still arrives after all that.
    _ = try w.bash("$G update-ref refs/heads/main \(w.good)")
    let extra = w.dir.appendingPathComponent("src/images/b.png")
    try TestSupport.write(TestSupport.png(width: 4, height: 4, seed: 3), to: extra)
    #expect(try TestSupport.annot(["add", "images/b.png"], in: w.dir.appendingPathComponent("src")).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "more"], in: w.dir.appendingPathComponent("src")).status == 0)
    let pull = try TestSupport.annot(["pull"], in: w.dir.appendingPathComponent("dst"))
    #expect(pull.status == 0, "\(pull.stderr)")
  }

  @Test func fsckAndValidateReportEveryViolationOfARevision() throws {
    let w = try World()
    // One revision with many violations at once, committed locally by plain git.
    let tree = try w.bash(#"""
      i=$(printf '100644 blob %s\ta.png\n040000 tree %s\t..\n120000 blob %s\tlink.png\n160000 commit deadbeefdeadbeefdeadbeefdeadbeefdeadbeef\tsub.png\n100644 blob %s\tx\001.png\n' $png $imgs $png $png | mk)
      l=$(printf '100644 blob %s\ta.png.json\n100644 blob %s\tb.png.json\n' $doc $(echo 'not json' | $G hash-object -w --stdin) | mk)
      root $i $l
      """#)
    // Plain git brings the revision into dst (git fetch does not check objects by default).
    _ = try w.bash("""
      c=$(echo bad | $G commit-tree \(tree) -p \(w.good)); $G update-ref refs/heads/bad $c
      git --git-dir dst/.annot fetch -q "$PWD/src/.annot" +refs/heads/bad:refs/heads/main
      """)
    let expected = ["images/..: entry named '..'", "images/link.png: is a symbolic link", "images/sub.png: gitlink (submodule entry) to deadbeef",
                    #"images/x\u{1}.png: entry name contains a control character"#, "labels/b.png.json: invalid JSON"]
    for cmd in [["validate"], ["fsck"]] {
      let r = try TestSupport.annot(cmd, in: w.dir.appendingPathComponent("dst"))
      #expect(r.status != 0)
      for e in expected { #expect(r.stdout.contains(e), "\(cmd): missing \(e) in\n\(r.stdout)\(r.stderr)") }
      #expect(!(r.stdout + r.stderr).contains("notFound("), "\(r.stdout)\(r.stderr)")
      #expect(!(r.stdout + r.stderr).unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }
  }

  /// Only what is new is checked: a revision the clone already holds (here a bad one that plain
  /// git brought in) is not looked at again when a good commit on top of it arrives, so the
  /// cost of a fetch follows the change, not the history.
  @Test func onlyHistoryTheCloneLacksIsChecked() throws {
    let w = try World()
    let bad = try w.publish(Self.cases.first { $0.name == "symlink" }!)
    _ = try w.bash("git --git-dir dst/.annot fetch -q \"$PWD/src/.annot\" +refs/heads/main:refs/remotes/origin/main")
    // A good commit on top of the bad one: its tree differs from the parent's only in one image.
    _ = try w.bash(#"""
      t=$($G rev-parse \#(bad)^{tree}); i=$($G rev-parse \#(bad):images); l=$($G rev-parse \#(bad):labels)
      i2=$( { $G ls-tree $i; printf '100644 blob %s\tb.png\n' $png; } | mk )
      d2=$($G cat-file blob $doc | sed 's/"a.png"/"b.png"/' | $G hash-object -w --stdin)
      l2=$( { $G ls-tree $l; printf '100644 blob %s\tb.png.json\n' $d2; } | mk )
      c=$(echo good-on-bad | $G commit-tree $(root $i2 $l2) -p \#(bad)); $G update-ref refs/heads/main $c
      """#)
    let fetch = try TestSupport.annot(["fetch"], in: w.dir.appendingPathComponent("dst"))
    #expect(fetch.status == 0, "\(fetch.stderr)")
    // A fresh clone has none of it, so the symlink is found.
    let clone = try TestSupport.annot(["clone", w.dir.appendingPathComponent("src").path, "fresh"], in: w.dir)
    #expect(clone.status != 0)
    #expect(clone.stderr.contains("images/a.png: is a symbolic link"), "\(clone.stderr)")
  }
}
