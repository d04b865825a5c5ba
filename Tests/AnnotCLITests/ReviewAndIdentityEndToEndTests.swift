import Foundation
import Testing
import AnnotTestSupport

/// The built binary: identity across a tool that renumbers its ids, and the review page's files
/// (the page, its picture folder and nothing else; each picture once; resolve commands that work).
@Suite struct ReviewAndIdentityEndToEndTests {
  /// COCO with two overlapping boxes in image 0 and one box in image 1. `swap` gives box B the
  /// number box A had (and A B's), as a tool renumbering after an edit does; `dx` moves image 1's box.
  static func coco(_ dir: URL, name: String, swap: Bool, dx: Double) throws -> URL {
    for i in 0..<2 {
      let file = dir.appendingPathComponent("images/img_\(i).png")
      if !FileManager.default.fileExists(atPath: file.path) {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(TestSupport.png(width: 64, height: 48, seed: i)).write(to: file)
      }
    }
    let (a, b) = swap ? (2, 1) : (1, 2)
    let json = """
      {"images":[{"id":1,"file_name":"img_0.png","width":64,"height":48},{"id":2,"file_name":"img_1.png","width":64,"height":48}],
       "annotations":[{"id":\(a),"image_id":1,"category_id":1,"bbox":[10,10,40,30],"area":1200,"iscrowd":0},
                      {"id":\(b),"image_id":1,"category_id":1,"bbox":[14,10,40,30],"area":1200,"iscrowd":0},
                      {"id":3,"image_id":2,"category_id":1,"bbox":[\(4 + dx),6,16,12],"area":192,"iscrowd":0}],
       "categories":[{"id":1,"name":"car"}]}
      """
    let url = dir.appendingPathComponent(name)
    try Data(json.utf8).write(to: url)
    return url
  }

  @Test func renumberedIDsShowNoPhantomChangesAndThePageKeepsItsPicturesBesideIt() throws {
    let dir = try TestSupport.tempDir("review")
    let data = dir.appendingPathComponent("data")
    let r1 = try Self.coco(data, name: "r1.json", swap: false, dx: 0)
    let r2 = try Self.coco(data, name: "r2.json", swap: true, dx: 3)
    let repo = dir.appendingPathComponent("repo")
    func annot(_ args: [String]) throws -> TestSupport.Result { try TestSupport.annot(args, in: repo) }
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let images = data.appendingPathComponent("images").path
    #expect(try annot(["import", "coco", r1.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "round 1"]).status == 0)
    #expect(try annot(["switch", "-c", "r2"]).status == 0)
    #expect(try annot(["import", "coco", r2.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "round 2, renumbered"]).status == 0)

    // Only the box that moved: img_0's two boxes swapped numbers, not places.
    let diff = try annot(["diff", "main", "r2", "--no-pager"])
    #expect(diff.status == 0)
    #expect(diff.stdout.split(separator: "\n").count == 1 && diff.stdout.contains("image img_1.png: box ") && diff.stdout.contains("moved (+3, 0) px"),
            "\(diff.stdout)")

    // The page and its folder, nothing else; the picture once, named by its blob id.
    let out = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let html = try annot(["diff", "main", "r2", "--html", out.appendingPathComponent("review.html").path])
    #expect(html.status == 0, "\(html.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["review.html", "review_files"])
    let blob = try TestSupport.git(["--git-dir", ".annot", "rev-parse", "r2:images/img_1.png"], in: repo).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let files = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("review_files").path)
    #expect(files == ["\(blob).png"])
    #expect(try Data(contentsOf: out.appendingPathComponent("review_files/\(blob).png")) == Data(contentsOf: data.appendingPathComponent("images/img_1.png")))
    let page = try String(contentsOf: out.appendingPathComponent("review.html"), encoding: .utf8)
    #expect(page.contains("src=\"review_files/\(blob).png\"") && !page.contains("base64"))
    // img_0 did not change (only its ids were renumbered): it is not on the page.
    #expect(!page.contains("img_0.png"))

    // A file where the folder should be: a one-line error naming it, nothing written.
    let blocked = dir.appendingPathComponent("blocked")
    try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: blocked.appendingPathComponent("page_files"))
    let refused = try annot(["diff", "main", "r2", "--html", blocked.appendingPathComponent("page.html").path])
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("page_files: exists and is not a directory"), "\(refused.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: blocked.path) == ["page_files"])
  }

  @Test func reviewPageShowsResolveCommandsThatSettleTheConflict() throws {
    let dir = try TestSupport.tempDir("review-conflict")
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
    #expect(try annot(["merge", "x"]).status == 1)

    let pagePath = dir.appendingPathComponent("review.html")
    #expect(try annot(["review", pagePath.path]).status == 0)
    let page = try String(contentsOf: pagePath, encoding: .utf8)
    #expect(page.contains("Conflicts (1)") && page.contains("conflict: img_0.png") && !page.contains("base64"))
    // Base, ours and theirs show the same picture: one file.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("review_files").path).count == 1)
    // The command the page offers for taking their side, run as shown, settles the conflict.
    let marker = "<code>annot resolve "
    let commands = page.components(separatedBy: marker).dropFirst().map { String($0.prefix { $0 != "<" }) }
    #expect(commands.count == 2, "\(commands)")
    let theirs = try #require(commands.first { $0.hasSuffix("=theirs") })
    let args = theirs.split(separator: " ").map(String.init)
    #expect(args.first == "images/img_0.png" && args.count == 3 && args[1] == "--annotation")
    let settled = try annot(["resolve"] + args)
    #expect(settled.status == 0, "\(settled.stderr)")
    #expect(settled.stdout.contains("resolved 1 conflict") && settled.stdout.contains("0 left"))
    #expect(try annot(["merge", "--continue"]).status == 0)
    #expect(try annot(["show", "HEAD:images/img_0.png", "--json"]).stdout.contains(#""label":"person""#))
  }

  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

  /// The page of a round in headless Chromium (network off): it renders, its script runs, the
  /// first screen's pictures load and the rest wait. The screenshot stays in
  /// `.build/artifacts/review-page-test/review.png` to look at (`apt-get install -y chromium`;
  /// skipped without it). Scripts/check-review-page.sh does the same for 1,000 images and times it.
  @Test(.enabled(if: chromium != nil, "needs headless Chromium (apt-get install -y chromium)"))
  func reviewPageRendersInHeadlessChromium() throws {
    let dir = try TestSupport.tempDir("review-chromium")
    let data = dir.appendingPathComponent("data")
    let count = 24
    let r1 = try TestSupport.cocoDataset(in: data, count: count, name: "r1.json", width: 320, height: 240)
    // Every image changes: its first box moves 5 px, every third image's second box is relabeled.
    let r2 = try TestSupport.cocoDataset(in: data, count: count, moved: Set(stride(from: 1, to: 2 * count, by: 2)), dx: 5,
                                         relabel: Dictionary(uniqueKeysWithValues: stride(from: 2, to: 2 * count, by: 6).map { ($0, 3) }),
                                         name: "r2.json", width: 320, height: 240)
    let repo = dir.appendingPathComponent("repo")
    func annot(_ args: [String]) throws -> TestSupport.Result { try TestSupport.annot(args, in: repo) }
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let images = data.appendingPathComponent("images").path
    #expect(try annot(["import", "coco", r1.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "round 1"]).status == 0)
    #expect(try annot(["switch", "-c", "r2"]).status == 0)
    #expect(try annot(["import", "coco", r2.path, "--images", images]).status == 0)
    #expect(try annot(["commit", "-m", "round 2"]).status == 0)

    let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent(".build/artifacts/review-page-test")
    try? FileManager.default.removeItem(at: artifacts)
    try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    let page = artifacts.appendingPathComponent("review.html")
    let html = try annot(["diff", "main", "r2", "--html", page.path])
    #expect(html.status == 0, "\(html.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: artifacts.appendingPathComponent("review_files").path).count == count)

    let browser = try #require(Self.chromium)
    let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--proxy-server=127.0.0.1:9",
                  "--user-data-dir=\(dir.appendingPathComponent("chromium").path)", "--window-size=1200,900"]
    let shot = artifacts.appendingPathComponent("review.png")
    let s = try TestSupport.run(browser, common + ["--screenshot=\(shot.path)", page.absoluteString], in: dir)
    #expect(s.status == 0, "\(s.stderr.suffix(2000))")
    let png = try Data(contentsOf: shot)
    // A 1200×900 PNG with real content (a blank one compresses to a few KB).
    #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    #expect(png.count > 20_000, "screenshot of \(png.count) bytes")
    let size = png.subdata(in: 16..<24).map { Int($0) }
    #expect((size[0] << 24 | size[1] << 16 | size[2] << 8 | size[3]) == 1200 && (size[4] << 24 | size[5] << 16 | size[6] << 8 | size[7]) == 900)

    let dom = try TestSupport.run(browser, common + ["--enable-logging=stderr", "--v=0", "--dump-dom", page.absoluteString], in: dir)
    #expect(dom.stdout.contains("<body data-ready=\"1\""), "the page script did not run")
    #expect(!dom.stderr.contains(":CONSOLE"), "\(dom.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") })")
    // Loaded with the page: the first 6 panels; the panels far below still wait for their picture.
    let live = dom.stdout.replacingOccurrences(of: #"<noscript>.*?</noscript>"#, with: "", options: .regularExpression)
    // (" src=", not "data-src=": the script copies data-src to src when a panel nears the screen.)
    let fetched = live.components(separatedBy: " src=\"review_files/").count - 1
    #expect(fetched >= 6 && fetched < 2 * count, "\(fetched) pictures fetched at load")
    print("review page screenshot: \(shot.path)")
  }
}
