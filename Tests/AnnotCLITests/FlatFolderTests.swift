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

    // The same delivery again, with and without the stat cache: nothing to commit.
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
