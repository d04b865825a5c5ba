import Foundation
import Testing
import AnnotModel
import AnnotTestSupport

/// A flat folder of images through the rounds a team repeats: the first delivery, a full
/// re-delivery of the same files, a re-delivery after the stat cache and the import memo are
/// deleted, and a partial
/// round. What each costs is measured by Scripts/bench-scale.sh; here the answers are pinned.
@Suite struct FlatFolderTests {
  static let count = 1200

  /// `count` distinct tiny PNGs in one folder and a COCO file with three boxes each;
  /// `edited` images get their first box moved by one pixel.
  func dataset(in dir: URL, edited: Set<Int> = [], only: Set<Int>? = nil) throws -> URL {
    let images = dir.appendingPathComponent("images")
    if !FileManager.default.fileExists(atPath: images.path) {
      for i in 0..<Self.count { try TestSupport.write(TestSupport.png(width: 16, height: 16, seed: i), to: images.appendingPathComponent("\(i).png")) }
    }
    var imgs: [String] = [], anns: [String] = []
    for i in 0..<Self.count where only?.contains(i) ?? true {
      imgs.append(#"{"id":\#(i + 1),"file_name":"\#(i).png","width":16,"height":16}"#)
      for k in 0..<3 {
        let x = (i + k) % 8 + (k == 0 && edited.contains(i) ? 1 : 0)
        anns.append(#"{"id":\#(i * 3 + k + 1),"image_id":\#(i + 1),"category_id":\#(k % 2 + 1),"bbox":[\#(x),\#(k * 4),4,3],"iscrowd":0}"#)
      }
    }
    let json = #"{"annotations":[\#(anns.joined(separator: ","))],"images":[\#(imgs.joined(separator: ","))],"categories":[{"id":1,"name":"car"},{"id":2,"name":"person"}]}"#
    let file = dir.appendingPathComponent("coco-\(edited.count)-\(only?.count ?? -1).json")
    try TestSupport.write(Array(json.utf8), to: file)
    return file
  }

  @Test func redeliveriesChangeNothingAndRoundsOnlyWhatChanged() throws {
    let dir = try TestSupport.tempDir("flat")
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let repo = dir.appendingPathComponent("repo")
    let images = dir.appendingPathComponent("images").path
    let first = try dataset(in: dir)
    // Images must be older than the stat cache's racy margin to be remembered.
    var old = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
    for i in 0..<Self.count { _ = utimensat(AT_FDCWD, images + "/\(i).png", &old, 0) }
    sleep(2)
    let r1 = try TestSupport.annot(["import", "coco", first.path, "--images", images], in: repo)
    #expect(r1.status == 0, "\(r1.stderr)")
    #expect(r1.stdout.contains("staged \(Self.count) new"), "\(r1.stdout)")
    #expect(try TestSupport.annot(["commit", "-m", "round 1"], in: repo).status == 0)
    #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent(".annot/annot/stat-cache").path))
    #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent(".annot/annot/import-memo").path))

    // The same delivery again, with and without the stat cache: nothing to commit. With the caches
    // of the first import nothing is converted or matched again: the memos gain no entry.
    func size(_ name: String) -> Int {
      ((try? FileManager.default.attributesOfItem(atPath: repo.appendingPathComponent(".annot/annot/" + name).path))?[.size] as? Int) ?? -1
    }
    let memoSizes = (size("convert-memo"), size("import-memo"))
    for dropCache in [false, true] {
      if dropCache {
        try FileManager.default.removeItem(at: repo.appendingPathComponent(".annot/annot/stat-cache"))
        try FileManager.default.removeItem(at: repo.appendingPathComponent(".annot/annot/import-memo"))
      }
      let again = try TestSupport.annot(["import", "coco", first.path, "--images", images], in: repo)
      #expect(again.status == 0, "\(again.stderr)")
      #expect(again.stdout.contains("0 new, 0 changed, \(Self.count) unchanged"), "\(again.stdout)")
      let commit = try TestSupport.annot(["commit", "-m", "nothing"], in: repo)
      #expect(commit.status != 0 && commit.stderr.contains("nothing to commit"), "\(commit.stderr)")
      if !dropCache { #expect((size("convert-memo"), size("import-memo")) == memoSizes) }
    }

    // A full re-delivery with 12 images edited, and a partial file with other 12 edited.
    let editedFull = Set(stride(from: 5, to: Self.count, by: 100))
    let full = try dataset(in: dir, edited: editedFull)
    let r2 = try TestSupport.annot(["import", "coco", full.path, "--images", images], in: repo)
    #expect(r2.stdout.contains("0 new, \(editedFull.count) changed"), "\(r2.stdout)")
    #expect(try TestSupport.annot(["commit", "-m", "round 2"], in: repo).status == 0)
    let editedPartial = Set(stride(from: 7, to: Self.count, by: 100))
    let partial = try dataset(in: dir, edited: editedFull.union(editedPartial), only: editedPartial)
    let r3 = try TestSupport.annot(["import", "coco", partial.path, "--images", images], in: repo)
    #expect(r3.stdout.contains("0 new, \(editedPartial.count) changed, 0 unchanged"), "\(r3.stdout)")
    #expect(try TestSupport.annot(["commit", "-m", "round 3"], in: repo).status == 0)

    // Each round shows exactly its edits as moves, with ids kept.
    let d2 = try TestSupport.annot(["diff", "--json", "HEAD~2", "HEAD~1"], in: repo)
    let d3 = try TestSupport.annot(["diff", "--json", "HEAD~1", "HEAD"], in: repo)
    for (d, edited) in [(d2, editedFull), (d3, editedPartial)] {
      let v = try JSONParser.parse(d.stdout)
      let changed = v["images"]?.arrayValue ?? []
      #expect(Set(changed.compactMap { $0["path"]?.stringValue }) == Set(edited.map { "\($0).png" }), "\(d.stdout.prefix(400))")
    }
    let status = try TestSupport.annot(["status"], in: repo)
    #expect(status.status == 0)
    let fsck = try TestSupport.git(["--git-dir", ".annot", "fsck", "--strict", "--no-dangling"], in: repo)
    #expect(fsck.status == 0, "\(fsck.stderr)")

    // The folder is stored in buckets (FORMAT.md, "Large folders"), which plain git lists as
    // folders and annot does not show: export writes the dataset paths.
    for dir in ["images", "labels"] {
      let top = try TestSupport.git(["--git-dir", ".annot", "ls-tree", "--name-only", "HEAD:" + dir], in: repo).stdout
      #expect(!top.isEmpty && top.split(separator: "\n").allSatisfy { $0.count == 2 && $0.hasPrefix("@") }, "\(top.prefix(200))")
    }
    let out = dir.appendingPathComponent("export")
    let export = try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--to", out.path], in: repo)
    #expect(export.status == 0, "\(export.stderr)")
    let exported = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("images/train").path)
    #expect(exported.count == Self.count && exported.allSatisfy { !$0.hasPrefix("@") })
  }

  /// A repository written before large folders were split (manifest version 1, one flat tree of
  /// 1,200 images, as plain git can make it) reads unchanged, and the next change splits the
  /// folder and rewrites the manifest as version 2.
  @Test func aRepositoryWrittenBeforeBucketsReadsAndUpgradesOnItsNextChange() throws {
    let dir = try TestSupport.tempDir("flat-v1")
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let repo = dir.appendingPathComponent("repo")
    let first = try dataset(in: dir)
    #expect(try TestSupport.annot(["import", "coco", first.path, "--images", dir.appendingPathComponent("images").path], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "round 1"], in: repo).status == 0)
    let script = #"""
      set -e
      G="git --git-dir .annot"
      imgs=$($G ls-tree -r HEAD images/ | sed 's#\t.*/#\t#' | $G mktree)
      labs=$($G ls-tree -r HEAD labels/ | sed 's#\t.*/#\t#' | $G mktree)
      man=$($G cat-file blob HEAD:annot.json | sed 's/"version": 2/"version": 1/' | $G hash-object -w --stdin)
      root=$(printf '100644 blob %s\tannot.json\n040000 tree %s\timages\n040000 tree %s\tlabels\n' $man $imgs $labs | $G mktree)
      c=$(echo "as an older annot wrote it" | $G commit-tree $root -p HEAD)
      $G update-ref refs/heads/main $c
      $G cat-file blob HEAD:annot.json | grep -q '"version": 1'
      test "$($G ls-tree HEAD:images | wc -l)" = 1200
      """#
    let made = try TestSupport.run("/bin/sh", ["-c", script], in: repo)
    #expect(made.status == 0, "\(made.stderr)")
    // Read as it is: the same dataset, nothing staged, fsck clean.
    #expect(try TestSupport.annot(["status"], in: repo).stdout.contains("nothing to commit"))
    let same = try TestSupport.annot(["diff", "--json", "HEAD~1", "HEAD"], in: repo)
    #expect(((try JSONParser.parse(same.stdout))["images"]?.arrayValue ?? [.null]).isEmpty, "\(same.stdout.prefix(300))")
    let fsck = try TestSupport.annot(["fsck"], in: repo)
    #expect(fsck.status == 0, "\(fsck.stdout) \(fsck.stderr)")
    // The next change splits images/ and labels/ and upgrades the manifest.
    #expect(try TestSupport.annot(["rm", "5.png"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "drop one"], in: repo).status == 0)
    let manifest = try TestSupport.git(["--git-dir", ".annot", "cat-file", "blob", "HEAD:annot.json"], in: repo).stdout
    #expect(manifest.contains(#""version": 2"#), "\(manifest)")
    let top = try TestSupport.git(["--git-dir", ".annot", "ls-tree", "--name-only", "HEAD:images"], in: repo).stdout
    #expect(top.split(separator: "\n").allSatisfy { $0.hasPrefix("@") }, "\(top.prefix(200))")
    let d = try TestSupport.annot(["diff", "--json", "HEAD~1", "HEAD"], in: repo)
    let changed = (try JSONParser.parse(d.stdout))["images"]?.arrayValue ?? []
    #expect(changed.compactMap { $0["path"]?.stringValue } == ["5.png"], "\(d.stdout.prefix(300))")
    #expect(try TestSupport.git(["--git-dir", ".annot", "fsck", "--strict", "--no-dangling"], in: repo).status == 0)
    #expect(try TestSupport.annot(["fsck"], in: repo).status == 0)

    // An entry in a bucket its name does not hash to would be invisible to lookups: validate names it.
    let hostile = #"""
      set -e
      G="git --git-dir .annot"
      blob=$($G ls-tree -r HEAD images | head -1 | awk '{print $3}')
      d=$(printf %s 7.png | sha1sum | cut -c1); wrong=0; [ "$d" = 0 ] && wrong=1
      inner=$(printf '100644 blob %s\t7.png\n' $blob | $G mktree)
      images=$(printf '040000 tree %s\t@%s\n' $inner $wrong | $G mktree)
      root=$(printf '100644 blob %s\tannot.json\n040000 tree %s\timages\n' $($G rev-parse HEAD:annot.json) $images | $G mktree)
      $G update-ref refs/heads/hostile $(echo misplaced | $G commit-tree $root -p HEAD)
      """#
    #expect(try TestSupport.run("/bin/sh", ["-c", hostile], in: repo).status == 0)
    let bad = try TestSupport.annot(["validate", "hostile"], in: repo)
    #expect(bad.status != 0 && (bad.stdout + bad.stderr).contains("is in a bucket its name does not hash to"), "\(bad.stdout) \(bad.stderr)")
  }

  /// The caches (stat cache, import memo, conversion memo) change no answer: two repositories
  /// take the same rounds, one keeping its caches and one deleting them before every import, and
  /// stage the same trees with the same summary. The rounds go back to an earlier delivery, so
  /// remembered conversions meet parents that changed since they were recorded.
  @Test func cachesChangeNoAnswer() throws {
    let dir = try TestSupport.tempDir("flat-caches")
    let images = dir.appendingPathComponent("images").path
    let r1 = try dataset(in: dir)
    let r2 = try dataset(in: dir, edited: Set(stride(from: 0, to: Self.count, by: 7)))
    let partial = try dataset(in: dir, edited: [3, 5, 7], only: [3, 5, 7, 8])
    var old = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
    for i in 0..<Self.count { _ = utimensat(AT_FDCWD, images + "/\(i).png", &old, 0) }
    sleep(2)
    for name in ["kept", "dropped"] { #expect(try TestSupport.annot(["init", name], in: dir).status == 0) }
    for (round, file) in [r1, r2, r1, partial, r2].enumerated() {
      var trees: [String] = [], summaries: [String] = []
      for name in ["kept", "dropped"] {
        let repo = dir.appendingPathComponent(name)
        if name == "dropped" {
          for f in ["stat-cache", "import-memo", "convert-memo"] { try? FileManager.default.removeItem(at: repo.appendingPathComponent(".annot/annot/" + f)) }
        }
        let out = try TestSupport.annot(["import", "coco", file.path, "--images", images], in: repo)
        #expect(out.status == 0, "\(out.stderr)")
        summaries.append(out.stdout)
        _ = try TestSupport.annot(["commit", "-m", "round \(round)"], in: repo)
        trees.append(try TestSupport.git(["--git-dir", ".annot", "rev-parse", "HEAD^{tree}"], in: repo).stdout)
      }
      #expect(trees[0] == trees[1], "round \(round)")
      #expect(summaries[0] == summaries[1], "round \(round)")
    }
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("kept/.annot/annot/convert-memo").path))
    #expect(try TestSupport.git(["--git-dir", ".annot", "fsck", "--strict"], in: dir.appendingPathComponent("kept")).status == 0)
  }
}
