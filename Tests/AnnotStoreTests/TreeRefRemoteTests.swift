import Foundation
import Testing
import AnnotModel
import AnnotStore
import AnnotTestSupport

/// The Store's trees, refs, raw commits and remotes, each checked against the real `git`.
@Suite struct StoreTreeTests {
  static func repo(_ label: String) throws -> (GitRepository, URL) {
    let dir = try TestSupport.tempDir(label)
    return (try GitRepository.initBare(at: dir.appendingPathComponent("r.git").path), dir.appendingPathComponent("r.git"))
  }
  static let sig = Signature(name: "T", email: "t@example.com", time: 1_767_225_600)

  @Test func oneEditorWritesBlobsGitlinksAndRemovalsAndOneWalkerListsThem() throws {
    let (repo, dir) = try Self.repo("trees")
    let a = try repo.writeBlob(Array("a".utf8)), b = try repo.writeBlob(Array("b".utf8))
    let t1 = try repo.updateTree(nil, [.upsert(path: "images/x/1.png", blob: a), .upsert(path: "labels/x/1.png.json", blob: b),
                                       .upsert(path: "annot.json", blob: a)])
    #expect(try repo.leafEntries(under: t1).map(\.path) == ["annot.json", "images/x/1.png", "labels/x/1.png.json"])
    // A gitlink names an object the repository need not hold.
    let absent = ObjectID(hex: String(repeating: "ab", count: 20))!
    // (libgit2 refuses to turn a blob entry into a gitlink in place: the mirror edits trees
    // that do not hold the blob, see HistoryRewrite.swift.)
    let t2 = try repo.updateTree(t1, [.remove(path: "images/x/1.png"), .gitlink(path: "images/x/2.png", id: absent), .remove(path: "annot.json")])
    #expect(try repo.leafEntries(under: t2).map(\.path) == ["images/x/2.png", "labels/x/1.png.json"])
    #expect(try repo.entry(tree: t2, path: "images/x/2.png")?.id == absent)
    let ls = try TestSupport.git(["--git-dir", dir.path, "ls-tree", "-r", t2.hex], in: dir).stdout
    #expect(ls.contains("160000 commit \(absent.hex)\timages/x/2.png"))
    // Removing the last entry of a folder removes the folder; the walker sees what git sees.
    let t3 = try repo.updateTree(t2, [.remove(path: "images/x/2.png")])
    #expect(try repo.entry(tree: t3, path: "images") == nil)
    #expect(try repo.diffTrees(t1, t3).map(\.path).sorted() == ["annot.json", "images/x/1.png"])
    #expect(try repo.updateTree(t3, []) == t3)
    // A blob entry may name an object the repository does not hold (a labels-only rebuild).
    let t4 = try repo.updateTree(t3, [.upsert(path: "images/y.png", blob: absent)])
    #expect(try repo.entry(tree: t4, path: "images/y.png")?.id == absent)
  }

  @Test func refsMoveOnlyFromWhatTheCallerExpected() throws {
    let (repo, dir) = try Self.repo("refs")
    let tree = try repo.updateTree(nil, [.upsert(path: "a", blob: try repo.writeBlob([1]))])
    let c1 = try repo.createCommit(tree: tree, parents: [], message: "one\n", author: Self.sig, committer: Self.sig)
    let c2 = try repo.createCommit(tree: tree, parents: [c1], message: "two\n", author: Self.sig, committer: Self.sig)
    try repo.updateReference("refs/heads/main", to: c1, expected: .some(nil), message: "create")
    // Must-not-exist and compare-and-swap both refuse a ref that moved.
    #expect(throws: (any Error).self) { try repo.updateReference("refs/heads/main", to: c2, expected: .some(nil), message: "x") }
    #expect(throws: (any Error).self) { try repo.updateReference("refs/heads/main", to: c2, expected: .some(c2), message: "x") }
    try repo.updateReference("refs/heads/main", to: c2, expected: .some(c1), message: "advance")
    try repo.updateReference("refs/heads/side", to: c1, message: "side")
    #expect(try repo.references(prefix: "refs/heads/").map(\.name) == ["refs/heads/main", "refs/heads/side"])
    #expect(try repo.reflog("refs/heads/main").map(\.message).contains("advance"))
    try repo.deleteReference("refs/heads/side")
    #expect(try repo.reference("refs/heads/side") == nil)
    #expect(try repo.walk(from: [c2]) == [c2, c1])
    #expect(try repo.isAncestor(c1, of: c2))
    let git = try TestSupport.git(["--git-dir", dir.path, "rev-parse", "refs/heads/main"], in: dir).stdout
    #expect(git.trimmingCharacters(in: .whitespacesAndNewlines) == c2.hex)
  }

  @Test func rawCommitsRoundTripByteForByte() throws {
    let (repo, dir) = try Self.repo("raw")
    let tree = try repo.updateTree(nil, [.upsert(path: "a", blob: try repo.writeBlob([1]))])
    let c1 = try repo.createCommit(tree: tree, parents: [], message: "one\n\nbody\n", author: Self.sig, committer: Self.sig)
    var raw = try repo.rawCommit(c1)
    #expect(raw.tree == tree && raw.parents.isEmpty)
    #expect(raw.bytes == (try repo.rawObject(c1)))
    // An extra header with continuation lines (as gpgsig has) survives a rewrite.
    raw.parents = [c1]
    raw.headers.append("x-note first\n second\n third")
    let c2 = try repo.write(raw)
    let back = try repo.rawCommit(c2)
    #expect(back.header("x-note") == "first\n second\n third")
    #expect(back.parents == [c1] && back.message == Array("one\n\nbody\n".utf8))
    #expect(try repo.commit(c2).parents == [c1])
    let fsck = try TestSupport.git(["--git-dir", dir.path, "fsck", "--strict", "--no-dangling"], in: dir)
    #expect(fsck.status == 0, "\(fsck.stderr)")
    #expect(RawCommit(parsing: Array("no tree here\n\nmsg".utf8)) == nil)
  }

  @Test func remotesAreConfiguredListedAndFetchedFromDisk() throws {
    let (source, _) = try Self.repo("remote-src")
    let tree = try source.updateTree(nil, [.upsert(path: "a", blob: try source.writeBlob([7]))])
    let c = try source.createCommit(tree: tree, parents: [], message: "m\n", author: Self.sig, committer: Self.sig)
    try source.updateReference("refs/heads/main", to: c, message: "m")
    let (repo, _) = try Self.repo("remote-dst")
    try repo.addRemote(name: "origin", url: source.gitDir, fetchRefspecs: ["+refs/heads/*:refs/remotes/origin/*"])
    #expect(try repo.remoteConfigs().map(\.name) == ["origin"])
    let listed = try repo.listRemote("origin")
    #expect(listed.refs.contains { $0.name == "refs/heads/main" && $0.id == c })
    _ = try repo.fetchLocal(from: source.gitDir, refspecs: ["+refs/heads/main:refs/remotes/origin/main"], reflogMessage: "fetch")
    #expect(try repo.reference("refs/remotes/origin/main") == c)
    #expect(try repo.blob(try repo.entry(tree: tree, path: "a")!.id) == [7])
    try repo.deleteRemote("origin")
    #expect(try repo.remoteConfigs().isEmpty)
  }
}
