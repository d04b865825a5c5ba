import Foundation
import Testing
import AnnotModel
import AnnotDiff
import AnnotTestSupport
@testable import AnnotReview

/// The HTML review page's structure. `REVIEW_PAGE_OUT=/path.html` also writes a demo page to
/// look at (Scripts/check-review-page.sh opens it in headless Chromium).
@Suite struct ReviewPageTests {
  @Test func escaping() {
    #expect(ReviewPage.esc("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
  }

  static func reviewOutcome() -> DatasetDiff.Outcome {
    let removed = F.box("r1", "dog", 400, 300, 80, 60)
    var p0 = F.polygon("p1", "person", [[300, 60, 360, 60, 380, 200, 330, 240, 290, 200]]); p0.attributes = ["note": .string("x")]
    var p1 = F.polygon("p1", "person", [[300, 60, 350, 80, 380, 200, 330, 240, 290, 200]]); p1.attributes = ["note": .string("<b>")]
    let old = F.doc([F.box("a1", "car", 60, 80, 160, 100), removed, p0])
    let new = F.doc([F.box("a1", "truck", 90, 70, 200, 120), F.box("n1", "cat", 420, 40, 100, 90), p1])
    let d = DocumentDiff.compare(old: old, new: new)
    return DatasetDiff.Outcome(images: [ImageDiff(path: "train/0001.png", status: .modified, labels: d)])
  }

  @Test func htmlPage() throws {
    let png = TestSupport.png(width: 640, height: 480, seed: 3)
    let conflict = ReviewConflict(path: "train/0001.png", caption: "a1: ours relabeled car → truck, theirs removed it",
                                  width: 640, height: 480,
                                  base: [F.box("a1", "car", 60, 80, 160, 100), F.box("k1", "bike", 500, 380, 60, 50)],
                                  ours: [F.box("a1", "truck", 60, 80, 160, 100), F.box("k1", "bike", 500, 380, 60, 50)],
                                  theirs: [F.box("k1", "bike", 500, 380, 60, 50)],
                                  items: [.init(annotationID: "a1", description: "box a1: delete/modify")])
    // The whole documents, for the faint context: k1 and k2 did not change.
    let unchanged = [F.box("k1", "bike", 500, 380, 60, 50), F.box("k2", "bike", 20, 300, 90, 120)]
    let page = ReviewPage.render(Self.reviewOutcome(), conflicts: [conflict], options: .init(title: "annot diff main..round-2"),
      image: { path, side in
        guard path == "train/0001.png" else { return nil }
        // The same picture on every side: one file.
        return ReviewImage(name: "5ab2f0c1", mediaType: "image/png")
      },
      context: { path, side in
        let d = Self.reviewOutcome().images[0].labels
        return unchanged + (side == .before ? d.changes.compactMap(\.old) : d.changes.compactMap(\.new))
      })
    let html = page.html
    if let out = ProcessInfo.processInfo.environment["REVIEW_PAGE_OUT"] {
      let dir = URL(fileURLWithPath: out).deletingLastPathComponent().appendingPathComponent("review_files")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      for p in page.images { try Data(png).write(to: dir.appendingPathComponent(p.fileName)) }
      try html.write(toFile: out, atomically: true, encoding: .utf8)
    }
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<title>annot diff main..round-2</title>"))
    // Pictures: referred to, never embedded; one file for the five panels that show it; lazy.
    #expect(page.images == [ReviewImage(name: "5ab2f0c1", mediaType: "image/png")])
    let attrs = "loading=\"lazy\" decoding=\"async\" width=\"640\" height=\"480\" alt=\"\""
    // The first image's two panels load with the page; the conflict's three when they near the screen.
    #expect(html.components(separatedBy: "<img src=\"review_files/5ab2f0c1.png\" decoding=\"async\" width=\"640\" height=\"480\" alt=\"\">").count - 1 == 2)
    #expect(html.components(separatedBy: "<img data-src=\"review_files/5ab2f0c1.png\" \(attrs)><noscript><img src=\"review_files/5ab2f0c1.png\" \(attrs)></noscript>").count - 1 == 3)
    #expect(html.contains("new IntersectionObserver("))
    #expect(!html.contains("base64"))
    #expect(html.contains("<svg class=\"ov\" viewBox=\"0 0 640 480\""))
    // Removed red on the before panel, added green on the after panel.
    #expect(html.contains("<g class=\"ann removed\" data-kinds=\"removed\" data-class=\"dog\">"))
    #expect(html.contains("<rect x=\"400\" y=\"300\" width=\"80\" height=\"60\"/>"))
    #expect(html.contains("<g class=\"ann added\" data-kinds=\"added\" data-class=\"cat\">"))
    // Moved + resized + relabeled: old outline (dashed by the .old class) and new one solid.
    #expect(html.contains("<g class=\"ann old\" data-kinds=\"moved resized relabeled\" data-class=\"car\"><title>box a1 before</title><rect x=\"60\" y=\"80\" width=\"160\" height=\"100\"/></g>"))
    #expect(html.contains("<g class=\"ann new\" data-kinds=\"moved resized relabeled\" data-class=\"truck\">"))
    #expect(html.contains("<rect x=\"90\" y=\"70\" width=\"200\" height=\"120\"/>"))
    #expect(html.contains(">car → truck</text>"))
    #expect(html.contains("<path fill-rule=\"evenodd\" d=\"M300 60 L350 80 L380 200 L330 240 L290 200 Z\"/>"))
    #expect(html.contains(".old rect,.old path,.old ellipse,.old polyline{stroke-dasharray:6 4"))
    // Unchanged annotations faintly, once per diff panel, never the changed ones; a legend.
    #expect(html.components(separatedBy: "<g class=\"ctx\"><title>box k2 bike (unchanged)</title>").count - 1 == 2)
    #expect(!html.contains("<title>box a1 car (unchanged)"))
    #expect(!html.contains("<title>box r1 dog (unchanged)"))
    #expect(html.contains("<div id=\"legend\">"))
    #expect(html.contains("<g class=\"ann ctx\"><rect x=\"2\" y=\"2\" width=\"24\" height=\"10\"/></g></svg>unchanged</span>"))
    // Filters, summary table, keyboard navigation, conflicts with the commands that settle them.
    #expect(html.contains("<input type=\"checkbox\" class=\"kind\" value=\"relabeled\" checked>"))
    #expect(html.contains("<input type=\"checkbox\" id=\"ctx\" checked> unchanged"))
    #expect(html.contains("<option value=\"truck\">truck</option>"))
    #expect(html.contains("<option value=\"car\">car</option>"))
    #expect(html.contains("<tr class=\"total\"><td>total</td><td>1</td><td>1</td><td>1</td><td>1</td><td>1</td><td>1</td><td>1</td><td>0</td><td>0</td></tr>"))
    #expect(html.contains("e.key==='j'||e.key==='ArrowDown'"))
    #expect(html.contains("<h2 id=\"conflicts\">Conflicts (1)</h2>"))
    #expect(html.contains("<figcaption>theirs</figcaption>"))
    #expect(html.contains("<li>box a1: delete/modify: <code>annot resolve images/train/0001.png --annotation a1=ours</code> or <code>annot resolve images/train/0001.png --annotation a1=theirs</code></li>"))
    // In the conflict panels k1 is context, a1 is the conflict.
    #expect(html.contains("<g class=\"ann conflict\" data-kinds=\"conflict\" data-class=\"truck\"><title>box a1</title>"))
    #expect(html.contains("<g class=\"ctx\"><title>box k1 bike (unchanged)</title>"))
    // Escaped text, and nothing that could reach the network: pictures only from the folder.
    #expect(!html.contains("<b>"))
    #expect(html.contains("attribute note &quot;x&quot; → &quot;&lt;b&gt;&quot;"))
    let stripped = html.replacingOccurrences(of: "http-equiv", with: "")
    #expect(!stripped.contains("http"))
    #expect(!stripped.contains("url("))
    #expect(html.contains("default-src 'none'; img-src 'self';"))
    let sources = html.components(separatedBy: "src=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
    #expect(sources.count == 8)
    #expect(sources.allSatisfy { $0.hasPrefix("review_files/") })
  }

  /// Captions stay inside the picture: above the box when there is room, else inside its top
  /// edge; moved left at the right edge; squeezed when wider than the picture.
  @Test func captionsStayInsideThePicture() {
    let frame = ReviewPage.Frame(record: F.image(width: 240, height: 120), annotations: [])
    #expect(frame.font == 5)
    // Room above: baseline 0.3 em above the box.
    #expect(ReviewPage.captionSVG("car", near: Box(x: 10, y: 50, w: 20, h: 20), frame: frame) == "<text x=\"10\" y=\"48.5\">car</text>")
    // At the top edge: inside the box, 0.9 em down.
    #expect(ReviewPage.captionSVG("car", near: Box(x: 10, y: 0, w: 20, h: 20), frame: frame) == "<text x=\"10\" y=\"4.5\">car</text>")
    // At the right edge: ends at the picture's edge (10 characters ≈ 31 px).
    #expect(ReviewPage.captionSVG("motorcycle", near: Box(x: 230, y: 50, w: 10, h: 10), frame: frame) == "<text x=\"209\" y=\"48.5\">motorcycle</text>")
    // Off the picture to the left and below: pulled in.
    #expect(ReviewPage.captionSVG("car", near: Box(x: -30, y: 200, w: 10, h: 10), frame: frame) == "<text x=\"0\" y=\"118.75\">car</text>")
    // Wider than the picture: squeezed to its width.
    let long = String(repeating: "x", count: 100)
    #expect(ReviewPage.captionSVG(long, near: Box(x: 0, y: 50, w: 10, h: 10), frame: frame)
      == "<text x=\"0\" y=\"48.5\" textLength=\"240\" lengthAdjust=\"spacingAndGlyphs\">\(long)</text>")
  }

  @Test func resolveCommandsAndFolderNames() {
    #expect(ReviewPage.resolveCommands(path: "train/0001.png", annotationID: nil)
      == ["annot resolve images/train/0001.png --ours", "annot resolve images/train/0001.png --theirs"])
    #expect(ReviewPage.resolveCommands(path: "my dir/it's.png", annotationID: "a b")
      == ["annot resolve 'images/my dir/it'\\''s.png' --annotation 'a b=ours'", "annot resolve 'images/my dir/it'\\''s.png' --annotation 'a b=theirs'"])
    #expect(ReviewPage.filesFolder(forPage: "review.html") == "review_files")
    #expect(ReviewPage.filesFolder(forPage: "out/round-2.htm") == "round-2_files")
    #expect(ReviewPage.filesFolder(forPage: "page") == "page_files")
    #expect(ReviewImage(name: "ab", mediaType: "image/jpeg").fileName == "ab.jpg")
  }
}
