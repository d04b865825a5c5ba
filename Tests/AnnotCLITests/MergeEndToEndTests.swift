import Foundation
import Testing
import AnnotTestSupport

/// Labeling rounds on branches, merged by the built binary and checked with git.
@Suite struct MergeEndToEndTests {
  @Test func parallelRoundsMergeWithoutConflictsThenConflictingRelabelsAreSettled() throws {
    let dir = try TestSupport.tempDir("merge")
    let data = dir.appendingPathComponent("data")
    let r1 = try TestSupport.cocoDataset(in: data, count: 60, name: "r1.json")
    // Odd annotation ids are the cars (category 1). A moves 50 boxes; B relabels 50, 10 of them A's.
    let movedIDs = Set(1...50)
    let relabeledIDs = Array(41...90)
    let a = try TestSupport.cocoDataset(in: data, count: 60, moved: movedIDs, dx: 5, name: "a.json")
    let b = try TestSupport.cocoDataset(in: data, count: 60, relabel: Dictionary(uniqueKeysWithValues: relabeledIDs.map { ($0, 3) }), name: "b.json")
    let repo = dir.appendingPathComponent("repo")
    func annot(_ args: [String]) throws -> TestSupport.Result { try TestSupport.annot(args, in: repo) }
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let images = data.appendingPathComponent("images").path
    #expect(try annot(["import", "coco", r1.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "round 1"]).status == 0)
    for (branch, file) in [("A", a), ("B", b)] {
      #expect(try annot(["switch", "-c", branch]).status == 0)
      let imp = try annot(["import", "coco", file.path, "--images", images])
      #expect(imp.status == 0, "\(imp.stderr)")
      #expect(try annot(["commit", "-m", "round \(branch)"]).status == 0)
      #expect(try annot(["switch", "main"]).status == 0)
    }
    #expect(try annot(["merge", "A"]).stdout.contains("Fast-forward"))
    let m = try annot(["merge", "B"])
    #expect(m.status == 0, "\(m.stdout)\(m.stderr)")
    // Annotation 45 (image 23, first box) was moved on A and relabeled on B: both apply.
    let doc = try annot(["show", "HEAD:images/img_22.png", "--json"]).stdout
    #expect(doc.contains(#""bbox":[9,6,16,12]"#) && doc.contains(#""label":"bike""#), "\(doc)")
    let merged = try annot(["show", "HEAD:images/img_0.png", "--json"]).stdout
    #expect(merged.contains(#""bbox":[9,6,16,12]"#) && merged.contains(#""bbox":[29,6,16,12]"#))
    let parents = try TestSupport.git(["--git-dir", ".annot", "log", "-1", "--format=%P"], in: repo).stdout
    #expect(parents.split(separator: " ").count == 2)

    // C and D relabel the same 10 cars to different classes: exactly 10 conflicts.
    let cars = Array(stride(from: 101, through: 119, by: 2))
    let c = try TestSupport.cocoDataset(in: data, count: 60, moved: movedIDs, dx: 5, relabel: Dictionary(uniqueKeysWithValues: (relabeledIDs.map { ($0, 3) }) + cars.map { ($0, 2) }), name: "c.json")
    let d = try TestSupport.cocoDataset(in: data, count: 60, moved: movedIDs, dx: 5, relabel: Dictionary(uniqueKeysWithValues: (relabeledIDs.map { ($0, 3) }) + cars.map { ($0, 3) }), name: "d.json")
    for (branch, file) in [("C", c), ("D", d)] {
      #expect(try annot(["switch", "-c", branch]).status == 0)
      #expect(try annot(["import", "coco", file.path, "--images", images]).status == 0)
      #expect(try annot(["commit", "-m", "round \(branch)"]).status == 0)
      #expect(try annot(["switch", "main"]).status == 0)
    }
    #expect(try annot(["merge", "C"]).status == 0)
    let conflicted = try annot(["merge", "D"])
    #expect(conflicted.status == 1)
    let status = try annot(["status", "--json"]).stdout
    #expect(status.components(separatedBy: #""kind":"modify/modify""#).count - 1 == 10, "\(status)")
    #expect(status.contains(#""field":"label""#) && status.contains(#""ours":"person""#) && status.contains(#""theirs":"bike""#))
    #expect(try annot(["commit", "-m", "too early"]).status != 0)
    // Settle: one image per annotation, the rest whole-image.
    let first = try annot(["resolve", "images/img_50.png", "--theirs"])
    #expect(first.status == 0, "\(first.stderr)")
    for i in 51..<60 { #expect(try annot(["resolve", "images/img_\(i).png", "--ours"]).status == 0) }
    #expect(try annot(["status", "--json"]).stdout.contains(#""conflicts":[]"#))
    let done = try annot(["merge", "--continue"])
    #expect(done.status == 0, "\(done.stderr)")
    #expect(try annot(["show", "HEAD:images/img_50.png", "--json"]).stdout.contains(#""label":"bike""#))
    #expect(try annot(["show", "HEAD:images/img_51.png", "--json"]).stdout.contains(#""label":"person""#))
    let graph = try TestSupport.git(["--git-dir", ".annot", "log", "--graph", "--oneline"], in: repo).stdout
    #expect(graph.contains("|\\"))
    let fsck = try TestSupport.git(["--git-dir", ".annot", "fsck", "--strict", "--no-dangling"], in: repo)
    #expect(fsck.status == 0 && fsck.stdout.isEmpty, "\(fsck.stdout)\(fsck.stderr)")
  }

  @Test func abortRestoresTheStateBeforeTheMerge() throws {
    let dir = try TestSupport.tempDir("abort")
    let data = dir.appendingPathComponent("data")
    let r1 = try TestSupport.cocoDataset(in: data, count: 3, name: "r1.json")
    let x = try TestSupport.cocoDataset(in: data, count: 3, relabel: [1: 2], name: "x.json")
    let y = try TestSupport.cocoDataset(in: data, count: 3, relabel: [1: 3], name: "y.json")
    let repo = dir.appendingPathComponent("repo")
    func annot(_ args: [String]) throws -> TestSupport.Result { try TestSupport.annot(args, in: repo) }
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let images = data.appendingPathComponent("images").path
    #expect(try annot(["import", "coco", r1.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "r1"]).status == 0)
    #expect(try annot(["switch", "-c", "x"]).status == 0)
    #expect(try annot(["import", "coco", x.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "x"]).status == 0)
    #expect(try annot(["switch", "main"]).status == 0)
    #expect(try annot(["import", "coco", y.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "y"]).status == 0)
    let before = try TestSupport.git(["--git-dir", ".annot", "rev-parse", "HEAD"], in: repo).stdout
    #expect(try annot(["merge", "x"]).status == 1)
    #expect(try annot(["merge", "x"]).stderr.contains("a merge is in progress"))
    // The review page shows the conflicted image with base, ours and theirs.
    #expect(try annot(["review", dir.appendingPathComponent("review.html").path]).status == 0)
    let page = try String(contentsOf: dir.appendingPathComponent("review.html"), encoding: .utf8)
    #expect(page.contains("Conflicts (1)") && page.contains("conflict: img_0.png") && page.contains("src=\"review_files/"))
    // Offline: no external source, and a CSP that forbids any fetch (xmlns is not a request).
    #expect(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("url(http"))
    #expect(page.contains("default-src 'none'"))
    #expect(try annot(["merge", "--abort"]).status == 0)
    #expect(try TestSupport.git(["--git-dir", ".annot", "rev-parse", "HEAD"], in: repo).stdout == before)
    #expect(try annot(["status", "--json"]).stdout.contains(#""conflicts":[]"#))
    let st = try annot(["status"]).stdout
    #expect(st.contains("nothing to commit") && !st.contains("merging"))
    // -X theirs settles everything at once.
    let forced = try annot(["merge", "-X", "theirs", "x"])
    #expect(forced.status == 0, "\(forced.stdout)")
    let settled = try annot(["show", "HEAD:images/img_0.png", "--json"]).stdout
    #expect(settled.components(separatedBy: #""label":"person""#).count - 1 == 2 && !settled.contains("bike"), "\(settled)")
  }
}
