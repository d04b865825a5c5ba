import Foundation
import Testing
import AnnotModel
@testable import AnnotDiff

/// Renderers: exact text, --stat, --name-status and JSON (golden, written by hand), and the
/// HTML page's structure. `REVIEW_PAGE_OUT=/path.html` also writes a demo page to look at
/// (Scripts/check-review-page.sh opens it in headless Chromium).
@Suite struct RenderingTests {
  /// One image, one box moved (+12, -3) and relabeled car → truck.
  static func small() -> DatasetDiff.Outcome {
    let d = DocumentDiff.compare(old: F.doc([F.box("a1", "car", 10, 10, 20, 20)]),
                                 new: F.doc([F.box("a1", "truck", 22, 7, 20, 20)]))
    return DatasetDiff.Outcome(images: [ImageDiff(path: "train/0001.png", status: .modified, labels: d)])
  }

  @Test func text() {
    #expect(DiffRendering.text(Self.small()) == "image train/0001.png: box a1 moved (+12, -3) px, relabeled car → truck\n")
    #expect(DiffRendering.text(Self.small(), options: .init(color: true))
      == "\u{1B}[33mimage train/0001.png: box a1 moved (+12, -3) px, relabeled car → truck\u{1B}[0m\n")
    #expect(DiffRendering.text(DatasetDiff.Outcome(images: [])) == "")
  }

  @Test func textOfEveryKind() {
    let d = DocumentDiff.compare(old: DocumentDiffTests.old, new: DocumentDiffTests.new)
    let out = DiffRendering.text(DatasetDiff.Outcome(images: [ImageDiff(path: "p.png", status: .modified, labels: d)]))
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines == [
      "image p.png: split none → \"train\"",
      "image p.png: width 640 → 800",
      "image p.png: box a01 moved (+12, -3) px",
      "image p.png: box a02 resized 40×20 → 60×10 px",
      "image p.png: polygon a03 reshaped (IoU \(DiffRendering.num(d.changes[2].reshaped!.iou)))",
      "image p.png: box a04 relabeled car → truck",
      "image p.png: box a05 attribute color removed (was \"red\"), attribute occluded false → true, attribute size added \"L\"",
      "image p.png: box a06 score 0.5 → 0.75",
      "image p.png: box a07 crowd false → true, group 1 → none, z_order none → 2",
      "image p.png: box a08 removed dog [300, 300, 10, 10]",
      "image p.png: box a09 added cat [5, 5, 10, 10]",
      "image p.png: mask a11 moved (+1, +1) px",
      "image p.png: mask a12 resized 1×2 → 1×3 px, reshaped (IoU 0.67)",
      "image p.png: keypoints a13 moved (+5, +5) px",
      "image p.png: keypoints a14 reshaped (OKS 1)",
      "image p.png: box a15 reshaped (IoU 1)",
      "image p.png: ellipse a16 moved (-10, 0) px, resized 20×10 → 40×10 px",
      "image p.png: polygon a17 bbox [0,0,40,40] → [0,0,41,40]",
      "image p.png: box a18 moved (+10, 0) px, relabeled car → truck",
    ])
  }

  @Test func imageLevelAndSchemaText() throws {
    let s = DatasetDiffTests.scenario()
    var out = try DatasetDiff.compare(s.changes, objects: s.store, imageByteSize: { s.sizes[$0]! })
    var schema = SchemaDiff()
    schema.renamed = [.init(id: 1, from: "car", to: "auto")]
    schema.added = [.init(id: 3, name: "bus")]
    out.schema = schema
    #expect(DiffRendering.text(out) == """
      image train/a.png: box 1 moved (+5, 0) px
      image train/b.png: image replaced (100 → 120 bytes)
      image train/c2.png: renamed from train/c.png
      image train/d.png: removed (2 annotations)
      image train/d.png: box 1 removed car [0, 0, 1, 1]
      image train/d.png: box 2 removed person [0, 0, 1, 1]
      image train/f.png: removed (1 annotation)
      image train/f.png: box 7 removed car [0, 0, 3, 3]
      image train/f2.png: added (1 annotation)
      image train/f2.png: box 7 added truck [0, 0, 3, 3]
      image val/e.png: added (1 annotation)
      image val/e.png: box 1 added cat [0, 0, 1, 1]
      schema: class 3 "bus" added
      schema: class 1 renamed car → auto

      """)
    #expect(DiffRendering.nameStatus(out) == """
      M\tannot.json
      M\ttrain/a.png
      M\ttrain/b.png
      R\ttrain/c.png\ttrain/c2.png
      D\ttrain/d.png
      D\ttrain/f.png
      A\ttrain/f2.png
      A\tval/e.png

      """)
  }

  @Test func stat() {
    #expect(DiffRendering.stat(Self.small()) == """
      class added removed moved resized reshaped relabeled attributes score other
      truck     0       0     1       0        0         1          0     0     0
      total     0       0     1       0        0         1          0     0     0
      1 image changed: 0 added, 0 removed, 1 modified, 0 replaced, 0 renamed

      """)
  }

  /// The golden JSON, written by hand from the schema in Docs/DIFF.md.
  @Test func jsonGolden() {
    let expected = """
      {
        "by_class": {"truck":{"added":0,"attributes_changed":0,"moved":1,"other_changed":0,"relabeled":1,"removed":0,"reshaped":0,"resized":0,"score_changed":0}},
        "images": [
          {"annotations":[{"changes":["moved","relabeled"],"id":"a1","kind":"box","label":"truck","moved":{"dx":12,"dy":-3},"new":{"bbox":[22,7,20,20],"id":"a1","kind":"box","label":"truck"},"old":{"bbox":[10,10,20,20],"id":"a1","kind":"box","label":"car"},"relabeled":{"from":"car","to":"truck"},"status":"modified"}],"image_changes":[],"matched_by_geometry":false,"path":"train/0001.png","status":"modified"}
        ],
        "schema": null,
        "summary": {"annotations_added":0,"annotations_removed":0,"attributes_changed":0,"images_added":0,"images_modified":1,"images_removed":0,"images_renamed":0,"images_replaced":0,"moved":1,"other_changed":0,"relabeled":1,"reshaped":0,"resized":0,"score_changed":0},
        "version": 1
      }

      """
    #expect(String(decoding: DiffRendering.json(Self.small()), as: UTF8.self) == expected)
  }

  @Test func jsonCarriesEveryField() throws {
    let d = DocumentDiff.compare(old: DocumentDiffTests.old, new: DocumentDiffTests.new)
    let value = try JSONParser.parse(DiffRendering.json(DatasetDiff.Outcome(images: [ImageDiff(path: "p.png", status: .modified, labels: d)])))
    let anns = try #require(value["images"]?.arrayValue?.first?["annotations"]?.arrayValue)
    func a(_ id: String) throws -> JSONValue { try #require(anns.first { $0["id"]?.stringValue == id }) }
    #expect(try a("a02")["resized"] == .object(["sx": .number(1.5), "sy": .number(0.5)]))
    #expect(try a("a05")["attributes"]?.arrayValue?.first == .object(["key": .string("color"), "old": .string("red"), "new": .null]))
    #expect(try a("a06")["score"] == .object(["old": .number(0.5), "new": .number(0.75)]))
    #expect(try a("a07")["fields"]?.arrayValue?.count == 3)
    #expect(try a("a08")["new"] == .null)
    #expect(try a("a08")["status"] == .string("removed"))
    #expect(try a("a12")["reshaped"]?["iou"]?.doubleValue == 2.0 / 3.0)
    #expect(value["images"]?.arrayValue?.first?["image_changes"]?.arrayValue?.count == 2)
  }

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
    let png = TinyPNG.gradient(width: 640, height: 480)
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

/// A minimal PNG writer (stored deflate blocks, CRC-32, Adler-32) so the demo page embeds a real picture.
enum TinyPNG {
  static func gradient(width: Int, height: Int) -> [UInt8] {
    var raw: [UInt8] = []
    for y in 0..<height {
      raw.append(0)
      for x in 0..<width { raw += [UInt8(x * 255 / width), UInt8(y * 255 / height), 160] }
    }
    var z: [UInt8] = [0x78, 0x01]
    var i = 0
    while i < raw.count {
      let n = min(65535, raw.count - i)
      z.append(i + n == raw.count ? 1 : 0)
      z += [UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)]
      z += raw[i..<(i + n)]
      i += n
    }
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    z += be(b << 16 | a)
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += chunk("IHDR", be(UInt32(width)) + be(UInt32(height)) + [8, 2, 0, 0, 0])
    png += chunk("IDAT", z)
    png += chunk("IEND", [])
    return png
  }
  static func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in body {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return be(UInt32(data.count)) + body + be(~crc)
  }
}
