import Foundation
import Testing
import AnnotModel
import AnnotStore
import AnnotTestSupport

/// Large folders spread over buckets (FanOut, Docs/FORMAT.md "Large folders").
@Suite struct FanOutTests {
  private func repo(_ name: String) throws -> (GitRepository, URL) {
    let dir = try TestSupport.tempDir(name)
    let git = dir.appendingPathComponent("r.git")
    let repo = try GitRepository.initBare(at: git.path)
    repo.scratchDirectory = dir.appendingPathComponent("tmp").path
    return (repo, git)
  }

  private func names(_ n: Int, folder: String = "images") -> [String] {
    (0..<n).map { "\(folder)/\(String(format: "%06d", $0)).png" }
  }

  @Test func aLargeFolderIsSplitIntoBucketsThatPlainGitReads() throws {
    let (repo, gitDir) = try repo("fanout-split")
    let blobs = try (0..<3).map { try repo.writeBlob(Array("b\($0)".utf8)) }
    let paths = names(5_000) + ["images/sub/a.png", "annot.json"]
    let tree = try repo.updateTree(nil, paths.enumerated().map { .upsert(path: $1, blob: blobs[$0 % 3]) })
    // Stored: images/ holds buckets only, and no tree holds more than the limit directly.
    let top = try TestSupport.git(["--git-dir", gitDir.path, "ls-tree", tree.hex + ":images"], in: gitDir)
    let topNames = top.stdout.split(separator: "\n").map { $0.split(separator: "\t").last.map(String.init) ?? "" }
    #expect(!topNames.isEmpty && topNames.allSatisfy { FanOut.isBucketName($0.utf8) }, "\(topNames)")
    let all = try TestSupport.git(["--git-dir", gitDir.path, "ls-tree", "-r", "-t", tree.hex], in: gitDir)
    var perTree: [String: Int] = [:]
    for line in all.stdout.split(separator: "\n") {
      let path = String(line.split(separator: "\t").last!)
      let parent = path.split(separator: "/").dropLast().joined(separator: "/")
      perTree[parent, default: 0] += 1
    }
    #expect(perTree.values.max()! <= FanOut.limit)
    let fsck = try TestSupport.git(["--git-dir", gitDir.path, "fsck", "--strict", "--no-dangling", tree.hex], in: gitDir)
    #expect(fsck.status == 0, "\(fsck.stderr)")
    // Read back by dataset path: the walker, single lookups and the reader agree.
    let leaves = try repo.leafEntries(under: tree)
    #expect(leaves.map(\.path) == paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    let reader = try TreeReader(repo, root: tree)
    for (i, p) in paths.enumerated() where i % 97 == 0 || p.hasPrefix("annot") || p.contains("sub") {
      #expect(try reader.blob(p) == blobs[i % 3], "\(p)")
      #expect(try repo.entry(tree: tree, path: p)?.id == blobs[i % 3], "\(p)")
    }
    #expect(try reader.entry("images/sub")?.isTree == true)
    #expect(try reader.entry("images/missing.png") == nil)
    let imagesEntry = try #require(try reader.entry("images"))
    #expect(try repo.treeEntries(imagesEntry.id).count == 5_001)
  }

  @Test func theShapeDependsOnlyOnTheContentNotOnHistory() throws {
    let (repo, _) = try repo("fanout-canonical")
    let blob = try repo.writeBlob(Array("x".utf8))
    let paths = names(3_000)
    let atOnce = try repo.updateTree(nil, paths.map { .upsert(path: $0, blob: blob) })
    // Grown in uneven steps, in another order, with extra paths added and removed again.
    var tree: ObjectID? = nil
    var rest = paths.reversed().map { $0 }
    var step = 1
    while !rest.isEmpty {
      let chunk = rest.prefix(step); rest.removeFirst(chunk.count)
      tree = try repo.updateTree(tree, chunk.map { .upsert(path: $0, blob: blob) } + [.upsert(path: "images/tmp-\(step).png", blob: blob)])
      tree = try repo.updateTree(tree, [.remove(path: "images/tmp-\(step).png")])
      step = step * 3 + 1
    }
    #expect(tree == atOnce)
    // Shrinking below the limit collapses the buckets back into one plain tree.
    let keep = Array(paths.prefix(40))
    let small = try repo.updateTree(atOnce, paths.dropFirst(40).map { .remove(path: $0) })
    #expect(small == (try repo.updateTree(nil, keep.map { .upsert(path: $0, blob: blob) })))
    let images = try #require(try TreeReader(repo, root: small).entry("images"))
    #expect(try repo.rawTreeEntries(images.id).count == 40)
    // Removing everything leaves the empty tree.
    #expect(try repo.updateTree(small, keep.map { .remove(path: $0) }) == GitRepository.emptyTreeID)
  }

  @Test func treesWrittenByHandAreTheTreesGitWrites() throws {
    let (repo, gitDir) = try repo("fanout-mktree")
    let blob = try repo.writeBlob(Array("x".utf8))
    // Names that sort differently as files and as folders, a gitlink, and a bucket-free small tree.
    let tree = try repo.updateTree(nil, [.upsert(path: "a.b", blob: blob), .upsert(path: "a/x", blob: blob), .upsert(path: "a-c", blob: blob),
                                          .gitlink(path: "m", id: ObjectID(hex: String(repeating: "ab", count: 20))!), .upsert(path: "ü.png", blob: blob)])
    let listing = try TestSupport.git(["--git-dir", gitDir.path, "ls-tree", tree.hex], in: gitDir).stdout
    let again = try TestSupport.run("/bin/sh", ["-c", "printf '%s' \"$1\" | git --git-dir \"$2\" mktree", "sh", listing, gitDir.path], in: gitDir)
    #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == tree.hex, "\(again.stderr) \(listing)")
  }

  @Test func diffsAreByDatasetPathAcrossASplit() throws {
    let (repo, _) = try repo("fanout-diff")
    let a = try repo.writeBlob(Array("a".utf8)), b = try repo.writeBlob(Array("b".utf8))
    let paths = names(FanOut.limit)
    let plain = try repo.updateTree(nil, paths.map { .upsert(path: $0, blob: a) } + [.upsert(path: "labels/x.json", blob: a)])
    // One more entry splits images/; one entry also changes.
    let split = try repo.updateTree(plain, [.upsert(path: "images/zzz.png", blob: a), .upsert(path: paths[5], blob: b)])
    let changes = try repo.diffTrees(plain, split)
    #expect(changes == [EntryChange(path: paths[5], oldBlob: a, newBlob: b), EntryChange(path: "images/zzz.png", oldBlob: nil, newBlob: a)])
    #expect(try repo.diffTrees(split, plain).map(\.path) == [paths[5], "images/zzz.png"])
    // Pathspecs are dataset paths too.
    #expect(try repo.diffTrees(plain, split, paths: [paths[5]]).map(\.path) == [paths[5]])
    #expect(try repo.diffTrees(plain, split, paths: ["labels/"]).isEmpty)
    #expect(try repo.diffTrees(plain, split, paths: ["images"]).count == 2)
  }

  /// The tree walk of `diffTrees` (TreeDiff.swift) against the plain definition: the leaves of
  /// both trees, flattened, compared path by path. Random rounds of edits move folders across
  /// `FanOut.limit` in both directions (and deeper, into nested buckets), replace files by
  /// folders and back, and drop whole folders.
  @Test func diffTreesIsTheDifferenceOfTheFlattenedTrees() throws {
    let (repo, _) = try repo("fanout-diff-random")
    var rng = SplitMix(seed: 20261202)
    let blobs = try (0..<4).map { try repo.writeBlob(Array("blob \($0)".utf8)) }
    func randomPath() -> String {
      let folder = ["images", "images/a", "images/a/b", "labels", "x"][Int(rng.next() % 5)]
      return "\(folder)/\(rng.next() % 1500)"
    }
    func leaves(_ t: ObjectID) throws -> [String: ObjectID] {
      Dictionary(uniqueKeysWithValues: try repo.leafEntries(under: t).map { ($0.path, $0.id) })
    }
    var tree = try repo.updateTree(nil, (0..<300).map { _ in .upsert(path: randomPath(), blob: blobs[0]) } + [.upsert(path: "x/s/0", blob: blobs[0])])
    for round in 0..<12 {
      var updates: [TreeUpdate] = []
      let count = [5, 400, 1200][round % 3]
      for _ in 0..<count {
        let p = randomPath()
        switch rng.next() % 4 {
        case 0: updates.append(.remove(path: p))
        // Another file of the same folder, in a name range of its own.
        case 1: updates.append(.upsert(path: p.split(separator: "/").dropLast().joined(separator: "/") + "/\(rng.next() % 3)", blob: blobs[1]))
        default: updates.append(.upsert(path: p, blob: blobs[Int(rng.next() % 4)]))
        }
      }
      if round == 7 { updates.append(contentsOf: try repo.leafEntries(under: tree).filter { $0.path.hasPrefix("images/a/") }.map { .remove(path: $0.path) }) }
      // `x/s` swaps between a file and a folder every round (emptied first, in a tree of its
      // own, so the editor never sees both at once).
      let swap = round % 2 == 0
      let emptied = swap
        ? try repo.updateTree(tree, try repo.leafEntries(under: tree).filter { $0.path.hasPrefix("x/s/") }.map { .remove(path: $0.path) })
        : try repo.updateTree(tree, [.remove(path: "x/s")])
      updates += swap ? [.upsert(path: "x/s", blob: blobs[2])] : (0..<3).map { .upsert(path: "x/s/\($0)", blob: blobs[$0]) }
      let next = try repo.updateTree(emptied, updates)
      let (old, new) = (try leaves(tree), try leaves(next))
      let expected = Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }
        .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        .map { EntryChange(path: $0, oldBlob: old[$0], newBlob: new[$0]) }
      #expect(try repo.diffTrees(tree, next) == expected, "round \(round)")
      #expect(try repo.diffTrees(next, tree) == expected.map { EntryChange(path: $0.path, oldBlob: $0.newBlob, newBlob: $0.oldBlob) }, "round \(round), reversed")
      #expect(expected.contains { $0.path == "x/s" } && expected.contains { $0.path.hasPrefix("x/s/") }, "round \(round): the swap is in the diff")
      for spec in ["images/a/", "images/a/b", "x/7", "x/s", "labels"] {
        let want = expected.filter { $0.path.hasPrefix(spec.hasSuffix("/") ? spec : spec + "/") || $0.path == spec }
        #expect(try repo.diffTrees(tree, next, paths: [spec]) == want, "round \(round), \(spec)")
      }
      tree = next
    }
  }

  @Test func reservedBucketNamesAreNotDatasetPaths() {
    #expect(DatasetPath.validate("train/@3/x.png") != nil)
    #expect(DatasetPath.validate("@f") != nil)
    #expect(DatasetPath.validate("@g/x.png") == nil)
    #expect(DatasetPath.validate("@A/x.png") == nil)
    #expect(DatasetPath.validate("@12/x.png") == nil)
  }
}

/// A seeded generator, so a failing round reproduces.
private struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
