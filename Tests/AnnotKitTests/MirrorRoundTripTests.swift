import Foundation
import Testing
import AnnotModel
import AnnotStore
import AnnotTestSupport
@testable import AnnotKit

/// The labels mirror and the labels-only rebuild are one rewrite run both ways:
/// `rebuild(mirror(c)) == c` for every commit of a history with merges, renames, removals and
/// an extra header, in a repository that never saw an image byte.
@Suite struct MirrorRoundTripTests {
  static let sig = Signature(name: "T", email: "t@example.com", time: 1_767_225_600)

  /// A history: root, a change on main, a side branch, a merge of both, and a commit carrying
  /// an extra multi-line header. Returns the repository and the tip.
  static func history() throws -> (Repository, ObjectID, [ObjectID]) {
    let repo = try Repository.initialize(at: try TestSupport.tempDir("mirror").appendingPathComponent("a").path)
    let g = repo.git
    func blob(_ s: String) throws -> ObjectID { try g.writeBlob(Array(s.utf8)) }
    func commit(_ tree: ObjectID, _ parents: [ObjectID], _ m: String) throws -> ObjectID {
      try g.createCommit(tree: tree, parents: parents, message: m + "\n", author: sig, committer: sig)
    }
    let img1 = try g.writeBlob(TestSupport.png(width: 8, height: 8, seed: 1)), img2 = try g.writeBlob(TestSupport.png(width: 8, height: 8, seed: 2))
    let t0 = try g.updateTree(nil, [.upsert(path: "images/a.png", blob: img1), .upsert(path: "labels/a.png.json", blob: try blob("{}")),
                                    .upsert(path: "annot.json", blob: try blob("{\"v\":1}"))])
    let c0 = try commit(t0, [], "root")
    let t1 = try g.updateTree(t0, [.upsert(path: "images/sub/b.png", blob: img2), .upsert(path: "labels/sub/b.png.json", blob: try blob("{\"b\":1}"))])
    let c1 = try commit(t1, [c0], "add b")
    let t2 = try g.updateTree(t0, [.remove(path: "images/a.png"), .upsert(path: "images/renamed.png", blob: img1),
                                   .remove(path: "labels/a.png.json"), .upsert(path: "labels/renamed.png.json", blob: try blob("{}"))])
    let c2 = try commit(t2, [c0], "rename a")
    let t3 = try g.updateTree(t1, [.remove(path: "images/a.png"), .upsert(path: "images/renamed.png", blob: img1),
                                   .remove(path: "labels/a.png.json"), .upsert(path: "labels/renamed.png.json", blob: try blob("{}"))])
    let c3 = try commit(t3, [c1, c2], "merge")
    var raw = try g.rawCommit(try commit(try g.updateTree(t3, [.upsert(path: "annot.json", blob: try blob("{\"v\":2}"))]), [c3], "schema"))
    raw.headers.append("x-extra one\n two")
    let c4 = try g.write(raw)
    try g.updateReference("refs/heads/main", to: c4, message: "test")
    return (repo, c4, [c0, c1, c2, c3, c4])
  }

  @Test func rebuildOfTheMirrorIsTheCommit() throws {
    let (a, tip, commits) = try Self.history()
    var map = Repository.MirrorMap(a)
    let mirror = try a.labelsMirror(of: tip, map: &map)
    // The mirror's trees hold gitlinks where the images were, and a header naming the real commit.
    #expect(try a.mirroredCommit(mirror) == tip)
    let mirrorTree = try a.git.rawCommit(mirror).tree
    let ls = try TestSupport.git(["--git-dir", a.gitDir, "ls-tree", "-r", mirrorTree.hex], in: a.root).stdout
    let imageID = try a.git.entry(tree: a.git.commit(tip).tree, path: "images/renamed.png")!.id
    #expect(ls.contains("160000 commit \(imageID.hex)\timages/renamed.png"))
    #expect(!ls.contains("blob \(imageID.hex)"))
    // Mirroring is deterministic: a second run from scratch gives the same id.
    try? FileManager.default.removeItem(atPath: map.file)
    var fresh = Repository.MirrorMap(a)
    #expect(try a.labelsMirror(of: tip, map: &fresh) == mirror)

    // A repository that receives only the labels history rebuilds every real commit.
    let b = try Repository.initialize(at: try TestSupport.tempDir("mirror").appendingPathComponent("b").path)
    try a.git.updateReference("refs/annot/labels/main", to: mirror, message: "test")
    _ = try b.git.fetchLocal(from: a.gitDir, refspecs: ["+refs/annot/labels/main:refs/annot/labels/main"], reflogMessage: "test")
    let image = try a.git.entry(tree: a.git.commit(tip).tree, path: "images/renamed.png")!.id
    #expect(!b.git.exists(image))
    var mapB = Repository.MirrorMap(b)
    #expect(try b.rebuild(mirror: mirror, map: &mapB) == tip)
    for c in commits {
      #expect(b.git.exists(c), "commit \(c.hex) rebuilt")
      #expect(try b.git.rawObject(c) == a.git.rawObject(c))
    }
  }

  @Test func aMirrorThatClaimsAnotherCommitIsRefused() throws {
    let (a, tip, _) = try Self.history()
    var map = Repository.MirrorMap(a)
    let mirror = try a.labelsMirror(of: tip, map: &map)
    // Same labels commit, but claiming the parent: the rebuilt commit cannot match.
    var forged = try a.git.rawCommit(mirror)
    let parent = try a.git.commit(tip).parents[0]
    forged.headers = forged.headers.map { $0.hasPrefix("annot-real ") ? "annot-real \(parent.hex)" : $0 }
    forged.message += Array("forged\n".utf8)
    let bad = try a.git.write(forged)
    let b = try Repository.initialize(at: try TestSupport.tempDir("mirror").appendingPathComponent("b").path)
    try a.git.updateReference("refs/annot/labels/bad", to: bad, message: "test")
    _ = try b.git.fetchLocal(from: a.gitDir, refspecs: ["+refs/annot/labels/bad:refs/annot/labels/bad"], reflogMessage: "test")
    var mapB = Repository.MirrorMap(b)
    #expect {
      try b.rebuild(mirror: bad, map: &mapB)
    } throws: { error in
      if case RemoteError.mirrorMismatch = error { return true }
      return false
    }
  }
}
