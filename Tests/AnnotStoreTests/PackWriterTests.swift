import Foundation
import Testing
import AnnotModel
import AnnotStore
import AnnotTestSupport

@Suite struct PackWriterTests {
  @Test func packedBlobsAreReadableByLibgit2AndGit() throws {
    let dir = try TestSupport.tempDir("pack")
    let repo = try GitRepository.initBare(at: dir.appendingPathComponent("r.git").path)
    let pack = try PackWriter(repository: repo, tmpDir: repo.gitDir + "/annot/tmp")
    var blobs: [(ObjectID, [UInt8])] = []
    for i in 0..<50 {
      // Sizes cross the varint boundaries of the object header (15, 2047, 65535+).
      let size = [0, 1, 15, 16, 2047, 2048, 70_000][i % 7] + i
      let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
      blobs.append((try pack.add(bytes), bytes))
    }
    // Deflated objects (documents, trees) with windows sized to them: tiny to past 32 KB.
    for (k, size) in [0, 3, 511, 513, 5000, 40_000, 200_000].enumerated() {
      let bytes = (0..<size).map { UInt8(ascii: "a") + UInt8(truncatingIfNeeded: ($0 / 7 + k) % 23) }
      blobs.append((try pack.add(bytes + [0x7B, UInt8(k)], level: 1), bytes + [0x7B, UInt8(k)]))
    }
    // A duplicate is written once.
    _ = try pack.add(blobs[3].1)
    #expect(pack.objectCount == 57)
    try pack.finish()
    for (id, bytes) in blobs { #expect(try repo.blob(id) == bytes) }
    #expect(try repo.blob(ObjectID(hex: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")!) == [])
    // git agrees on ids and verifies the pack.
    let tree = try repo.updateTree(nil, blobs.enumerated().map { .upsert(path: "d/\($0.offset).bin", blob: $0.element.0) })
    let sig = Signature(name: "t", email: "t@e", time: 1_700_000_000)
    let c = try repo.createCommit(tree: tree, parents: [], message: "m\n", author: sig, committer: sig)
    try repo.updateReference("refs/heads/main", to: c, message: "test")
    let fsck = try TestSupport.git(["--git-dir", "r.git", "fsck", "--strict", "--full", "--no-dangling"], in: dir)
    #expect(fsck.status == 0, "\(fsck.stderr)")
    let verify = try TestSupport.git(["--git-dir", "r.git", "count-objects", "-v"], in: dir)
    #expect(verify.stdout.contains("in-pack: 58") || verify.stdout.contains("in-pack: 57"))
    try TestSupport.write(blobs[5].1, to: dir.appendingPathComponent("x.bin"))
    let h = try TestSupport.git(["hash-object", "x.bin"], in: dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(h == blobs[5].0.hex)
  }

  @Test func abandonedWriterLeavesNoObjects() throws {
    let dir = try TestSupport.tempDir("pack")
    let repo = try GitRepository.initBare(at: dir.appendingPathComponent("r.git").path)
    do {
      let pack = try PackWriter(repository: repo, tmpDir: repo.gitDir + "/annot/tmp")
      _ = try pack.add(Array("never committed".utf8))
    }
    let packs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("r.git/objects/pack").path)
    #expect(packs.isEmpty)
    let tmp = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("r.git/annot/tmp").path)
    #expect(tmp.isEmpty)
  }

  @Test func treeUpdatesTouchOnlyChangedPaths() throws {
    let dir = try TestSupport.tempDir("tree")
    let repo = try GitRepository.initBare(at: dir.appendingPathComponent("r.git").path)
    let a = try repo.writeBlob(Array("a".utf8)), b = try repo.writeBlob(Array("b".utf8))
    let t1 = try repo.updateTree(nil, [.upsert(path: "x/1", blob: a), .upsert(path: "y/2", blob: a)])
    let t2 = try repo.updateTree(t1, [.upsert(path: "x/1", blob: b)])
    #expect(try repo.entry(tree: t1, path: "y")?.id == repo.entry(tree: t2, path: "y")?.id)
    #expect(try repo.diffTrees(t1, t2) == [EntryChange(path: "x/1", oldBlob: a, newBlob: b)])
    let t3 = try repo.updateTree(t2, [.remove(path: "y/2")])
    #expect(try repo.diffTrees(t2, t3) == [EntryChange(path: "y/2", oldBlob: a, newBlob: nil)])
    #expect(try repo.leafEntries(under: t3).map(\.path) == ["x/1"])
  }
}
