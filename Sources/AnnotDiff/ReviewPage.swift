import AnnotModel

/// Which picture of an image the review page asks for.
public enum ReviewSide: String, Sendable, Hashable, CaseIterable {
  /// The old revision of a diff.
  case before
  /// The new revision of a diff.
  case after
  /// The merge base of a conflict.
  case base
  /// Our side of a conflict.
  case ours
  /// Their side of a conflict.
  case theirs
}

/// Image bytes to embed in the review page.
public struct ReviewImage: Sendable, Hashable {
  /// The file's original bytes.
  public var bytes: [UInt8]
  /// `image/png`, `image/jpeg`, …
  public var mediaType: String
  /// Creates an image to embed.
  public init(bytes: [UInt8], mediaType: String) { self.bytes = bytes; self.mediaType = mediaType }
}

/// One conflict to show in the review page's conflicts section (a merge view reuses the page).
public struct ReviewConflict: Sendable, Equatable {
  /// The dataset path of the image.
  public var path: String
  /// What the conflict is about, shown above the panels (`box 3f2a: ours relabeled car → truck, theirs deleted it`).
  public var caption: String
  /// Image width in pixels (the SVG coordinate system).
  public var width: Int
  /// Image height in pixels.
  public var height: Int
  /// The annotations involved, on the merge base.
  public var base: [Annotation]
  /// The annotations involved, on our side.
  public var ours: [Annotation]
  /// The annotations involved, on their side.
  public var theirs: [Annotation]
  /// Creates a conflict entry.
  public init(path: String, caption: String, width: Int, height: Int, base: [Annotation], ours: [Annotation], theirs: [Annotation]) {
    self.path = path; self.caption = caption; self.width = width; self.height = height
    self.base = base; self.ours = ours; self.theirs = theirs
  }
}

/// The HTML review page: one self-contained file with before/after overlays.
///
/// Pictures are embedded as base64 `data:` URIs from the `image` closure; the page has a
/// Content-Security-Policy that forbids every network request, no external fonts or scripts.
/// Each changed image shows a "before" and an "after" panel, an SVG over the picture:
/// removed annotations red, added green, modified ones with the old outline dashed orange and
/// the new one solid blue, relabels captioned `car → truck`. Filters by change kind and class,
/// a summary table, and keyboard navigation (j/k or arrow keys) are plain inline JavaScript.
/// A URL fragment presets the filters: `review.html#class=truck&hide=score,other`.
public enum ReviewPage {
  /// Options of the page.
  public struct Options: Sendable, Hashable {
    /// The page title (`annot diff main..round-2`).
    public var title: String
    /// Creates options.
    public init(title: String = "annot diff") { self.title = title }
  }

  /// Renders the page.
  ///
  /// - Parameters:
  ///   - outcome: the diff to show.
  ///   - conflicts: merge conflicts to show in their own section (may be empty).
  ///   - options: title.
  ///   - image: bytes and media type of an image path on one side, nil when unavailable (the
  ///     panel then shows a grey background of the image's size).
  public static func render(_ outcome: DatasetDiff.Outcome, conflicts: [ReviewConflict] = [], options: Options = Options(),
                            image: (String, ReviewSide) -> ReviewImage?) -> String {
    var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
    h += "<title>\(esc(options.title))</title>\n<style>\(css)</style></head><body>\n"
    h += "<header><h1>\(esc(options.title))</h1>\n"
    h += filters(outcome, hasConflicts: !conflicts.isEmpty)
    h += "</header>\n<main>\n"
    h += summaryTable(outcome)
    if let s = outcome.schema {
      h += "<section class=\"schema\"><h2>Schema</h2><ul>"
      for line in DiffRendering.schemaLines(s) { h += "<li>\(esc(line))</li>" }
      h += "</ul></section>\n"
    }
    for (n, img) in outcome.images.enumerated() { h += imageSection(img, index: n, image: image) }
    if !conflicts.isEmpty {
      h += "<h2 id=\"conflicts\">Conflicts (\(conflicts.count))</h2>\n"
      for c in conflicts { h += conflictSection(c, image: image) }
    }
    h += "</main>\n<script>\(script)</script>\n</body></html>\n"
    return h
  }

  // MARK: - Sections

  static func filters(_ outcome: DatasetDiff.Outcome, hasConflicts: Bool) -> String {
    var h = "<form id=\"filters\" onsubmit=\"return false\"><span>show:</span>"
    for k in ChangeKind.allCases {
      h += "<label><input type=\"checkbox\" class=\"kind\" value=\"\(k.rawValue)\" checked> \(k.rawValue)</label>"
    }
    if hasConflicts { h += "<label><input type=\"checkbox\" class=\"kind\" value=\"conflict\" checked> conflicts</label>" }
    h += "<select id=\"cls\"><option value=\"\">all classes</option>"
    var classes = Set(outcome.summary.byClass.keys)
    for i in outcome.images { for c in i.labels.changes { if let o = c.old?.label { classes.insert(o) } } }
    for c in classes.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      h += "<option value=\"\(esc(c))\">\(esc(c))</option>"
    }
    h += "</select><span class=\"hint\">j/k or ↓/↑: next/previous image</span></form>\n"
    return h
  }

  static func summaryTable(_ outcome: DatasetDiff.Outcome) -> String {
    let s = outcome.summary
    var h = "<section class=\"summary\"><h2>Summary</h2>\n<p>"
    h += "images: \(s.imagesAdded) added, \(s.imagesRemoved) removed, \(s.imagesModified) modified, "
    h += "\(s.imagesReplaced) replaced, \(s.imagesRenamed) renamed</p>\n<table><thead><tr><th>class</th>"
    for k in ChangeKind.allCases { h += "<th>\(k.rawValue)</th>" }
    h += "</tr></thead><tbody>\n"
    func row(_ name: String, _ c: ChangeCounts, _ cls: String) -> String {
      "<tr class=\"\(cls)\"><td>\(esc(name))</td>" + ChangeKind.allCases.map { "<td>\(c[$0])</td>" }.joined() + "</tr>\n"
    }
    for name in s.byClass.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { h += row(name, s.byClass[name]!, "") }
    h += row("total", s.annotations, "total")
    return h + "</tbody></table></section>\n"
  }

  static func imageSection(_ img: ImageDiff, index: Int, image: (String, ReviewSide) -> ReviewImage?) -> String {
    let changes = img.labels.changes
    let kinds = Set(changes.flatMap(\.kinds)).map(\.rawValue).sorted()
    let classes = Set(changes.flatMap { [$0.old?.label, $0.new?.label].compactMap { $0 } }).sorted()
    var h = "<section class=\"img\" id=\"img-\(index)\" data-kinds=\"\(esc(kinds.joined(separator: " ")))\" data-classes=\"\(esc(classes.joined(separator: "\u{1F}")))\">\n"
    var title = "\(img.status.rawValue): \(img.path)"
    if let o = img.oldPath { title = "renamed: \(o) → \(img.path)" }
    h += "<h2>\(esc(title))</h2>\n"
    var notes: [String] = []
    if let r = img.replaced { notes.append("image replaced (\(r.oldSize) → \(r.newSize) bytes)") }
    if img.labels.matchedByGeometry { notes.append("annotations matched by geometry (no shared ids)") }
    for f in img.labels.imageChanges { notes.append("\(f.field) \(DiffRendering.value(f.old)) → \(DiffRendering.value(f.new))") }
    if !notes.isEmpty { h += "<p class=\"notes\">\(notes.map(esc).joined(separator: "; "))</p>\n" }

    let before = img.labels.oldImage ?? img.labels.newImage, after = img.labels.newImage ?? img.labels.oldImage
    let beforePath = img.oldPath ?? img.path
    h += "<div class=\"panels\">\n"
    if img.status != .added {
      var shapes = ""
      for c in changes where c.status != .added {
        guard let a = c.old else { continue }
        shapes += group(a, cssClass: c.status == .removed ? "removed" : "old", kinds: c.kinds,
                        caption: c.status == .removed ? "\(a.label) (removed)" : a.label, title: "\(c.shapeKind) \(c.oldID ?? c.id)")
      }
      h += panel("before", record: before, annotations: changes.compactMap(\.old),
                 picture: image(beforePath, .before), shapes: shapes)
    }
    if img.status != .removed {
      var shapes = ""
      for c in changes where c.status != .removed {
        guard let b = c.new else { continue }
        if c.status == .modified, let a = c.old, c.moved != nil || c.resized != nil || c.reshaped != nil {
          shapes += group(a, cssClass: "old", kinds: c.kinds, caption: nil, title: "\(c.shapeKind) \(c.oldID ?? c.id) before")
        }
        let caption = c.relabeled.map { "\($0.from) → \($0.to)" } ?? b.label
        shapes += group(b, cssClass: c.status == .added ? "added" : "new", kinds: c.kinds, caption: caption,
                        title: "\(c.shapeKind) \(c.id): \(DiffRendering.describe(c))")
      }
      h += panel("after", record: after, annotations: changes.compactMap(\.new), picture: image(img.path, .after), shapes: shapes)
    }
    h += "</div>\n"
    if !changes.isEmpty {
      h += "<ul class=\"changes\">"
      for c in changes {
        h += "<li class=\"ann \(c.status.rawValue)\" data-kinds=\"\(c.kinds.map(\.rawValue).joined(separator: " "))\" data-class=\"\(esc(c.className))\">"
        h += "\(esc(c.shapeKind)) <code>\(esc(c.id))</code> \(esc(DiffRendering.describe(c)))</li>"
      }
      h += "</ul>\n"
    }
    return h + "</section>\n"
  }

  static func conflictSection(_ c: ReviewConflict, image: (String, ReviewSide) -> ReviewImage?) -> String {
    let record = ImageRecord(path: c.path, width: c.width, height: c.height, mediaType: "")
    let classes = Set((c.base + c.ours + c.theirs).map(\.label)).sorted()
    var h = "<section class=\"img conflict\" data-kinds=\"conflict\" data-classes=\"\(esc(classes.joined(separator: "\u{1F}")))\">\n"
    h += "<h2>conflict: \(esc(c.path))</h2>\n<p class=\"notes\">\(esc(c.caption))</p>\n<div class=\"panels three\">\n"
    for (side, anns) in [(ReviewSide.base, c.base), (.ours, c.ours), (.theirs, c.theirs)] {
      var shapes = ""
      for a in anns { shapes += group(a, cssClass: "conflict", kinds: [], extraKinds: "conflict", caption: a.label, title: "\(a.shape.kind) \(a.id)") }
      h += panel(side.rawValue, record: record, annotations: anns, picture: image(c.path, side), shapes: shapes)
    }
    return h + "</div></section>\n"
  }

  // MARK: - SVG

  static func panel(_ name: String, record: ImageRecord?, annotations: [Annotation], picture: ReviewImage?, shapes: String) -> String {
    var w = Double(record?.width ?? 0), hgt = Double(record?.height ?? 0)
    if w <= 0 || hgt <= 0 {
      // No image record: fit the annotations.
      let boxes = annotations.compactMap(\.boundingBox)
      w = max(100, boxes.map(\.maxX).max() ?? 0); hgt = max(100, boxes.map(\.maxY).max() ?? 0)
    }
    // In image units, so captions keep the same size relative to the picture whatever its resolution.
    let font = min(w, hgt) / 20
    var h = "<figure><figcaption>\(esc(name))</figcaption>"
    h += "<svg class=\"ov\" viewBox=\"0 0 \(n(w)) \(n(hgt))\" style=\"--fs:\(n(font))px\" xmlns=\"http://www.w3.org/2000/svg\">"
    if let p = picture {
      h += "<image href=\"data:\(esc(p.mediaType));base64,\(base64(p.bytes))\" x=\"0\" y=\"0\" width=\"\(n(w))\" height=\"\(n(hgt))\"/>"
    } else {
      h += "<rect class=\"noimg\" x=\"0\" y=\"0\" width=\"\(n(w))\" height=\"\(n(hgt))\"/>"
    }
    h += shapes
    return h + "</svg></figure>\n"
  }

  /// One annotation as an SVG group tagged with its change kinds and class for the filters.
  static func group(_ a: Annotation, cssClass: String, kinds: [ChangeKind], extraKinds: String = "", caption: String?, title: String) -> String {
    let k = (kinds.map(\.rawValue) + (extraKinds.isEmpty ? [] : [extraKinds])).joined(separator: " ")
    var h = "<g class=\"ann \(cssClass)\" data-kinds=\"\(k)\" data-class=\"\(esc(a.label))\"><title>\(esc(title))</title>"
    h += shapeSVG(a)
    if let caption {
      let b = a.boundingBox ?? Box(x: 4, y: 4, w: 0, h: 0)
      h += "<text x=\"\(n(b.x))\" y=\"\(n(max(b.y - 1, 4)))\">\(esc(caption))</text>"
    }
    return h + "</g>"
  }

  static func shapeSVG(_ a: Annotation) -> String {
    func pts(_ p: [Double]) -> String {
      var out: [String] = []
      var i = 0
      while i + 1 < p.count { out.append("\(n(p[i])),\(n(p[i + 1]))"); i += 2 }
      return out.joined(separator: " ")
    }
    func rotate(_ r: Double, _ cx: Double, _ cy: Double) -> String {
      r == 0 ? "" : " transform=\"rotate(\(n(r)) \(n(cx)) \(n(cy)))\""
    }
    switch a.shape {
    case .box(let b, let r):
      return "<rect x=\"\(n(b.x))\" y=\"\(n(b.y))\" width=\"\(n(b.w))\" height=\"\(n(b.h))\"\(rotate(r, b.x + b.w / 2, b.y + b.h / 2))/>"
    case .polygon(let parts):
      let d = parts.map { p -> String in
        var s = "M"
        var i = 0
        while i + 1 < p.count { s += (i == 0 ? "" : " L") + "\(n(p[i])) \(n(p[i + 1]))"; i += 2 }
        return s + " Z"
      }.joined(separator: " ")
      return "<path fill-rule=\"evenodd\" d=\"\(d)\"/>"
    case .polyline(let p):
      return "<polyline class=\"line\" points=\"\(pts(p))\"/>"
    case .points(let p):
      var s = "", i = 0
      while i + 1 < p.count { s += "<circle class=\"pt\" cx=\"\(n(p[i]))\" cy=\"\(n(p[i + 1]))\" r=\"3\"/>"; i += 2 }
      return s
    case .ellipse(let cx, let cy, let rx, let ry, let r):
      return "<ellipse cx=\"\(n(cx))\" cy=\"\(n(cy))\" rx=\"\(n(rx))\" ry=\"\(n(ry))\"\(rotate(r, cx, cy))/>"
    case .keypoints(let k):
      var s = "", i = 0
      while i + 2 < k.count {
        if k[i + 2] > 0 { s += "<circle class=\"pt\" cx=\"\(n(k[i]))\" cy=\"\(n(k[i + 1]))\" r=\"3\"/>" }
        i += 3
      }
      return s
    case .mask(let m):
      // Column-major runs become 1-px vertical strokes: exact pixels without decoding a bitmap.
      guard let runs = RLE.runs(m), m.height > 0 else { return "" }
      var d = "", pos = 0
      for (i, len) in runs.enumerated() {
        if i % 2 == 1 {
          var p = pos, left = len
          while left > 0 {
            let col = p / m.height, row = p % m.height
            let seg = min(left, m.height - row)
            d += "M\(col).5 \(row)v\(seg)"
            p += seg; left -= seg
          }
        }
        pos += len
      }
      return "<path class=\"mask\" d=\"\(d)\"/>"
    case .tag:
      return ""
    }
  }

  // MARK: - Helpers

  /// A coordinate rounded to 2 decimals.
  static func n(_ d: Double) -> String { DiffRendering.num(d) }

  /// Escapes text for HTML content and attribute values.
  public static func esc(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }

  /// Standard base64 (RFC 4648) with padding.
  public static func base64(_ bytes: [UInt8]) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i + 2 < bytes.count {
      let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
      out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], table[Int(v & 63)]]
      i += 3
    }
    let rest = bytes.count - i
    if rest == 1 {
      let v = UInt32(bytes[i]) << 16
      out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
    } else if rest == 2 {
      let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
      out += [table[Int(v >> 18 & 63)], table[Int(v >> 12 & 63)], table[Int(v >> 6 & 63)], UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
  }

  static let css = """
  body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
  header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 12px;z-index:2}
  h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:4px 0}
  #filters label{margin-right:8px;white-space:nowrap}#filters select{margin-left:8px}.hint{color:#777;margin-left:12px}
  main{padding:8px 12px}
  table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
  tr.total td{font-weight:bold}
  section.img{background:#fff;border:1px solid #ddd;border-radius:4px;margin:12px 0;padding:8px}
  section.img.current{outline:3px solid #1e88e5}
  .panels{display:flex;gap:12px;flex-wrap:wrap}.panels figure{flex:1 1 45%;margin:0;min-width:260px}
  .panels.three figure{flex-basis:30%}
  figcaption{font-weight:bold;color:#555}
  svg.ov{width:100%;height:auto;max-height:70vh;background:#eee;display:block}
  .noimg{fill:#ccc}
  .ann rect,.ann path,.ann ellipse,.ann polyline{fill:currentColor;fill-opacity:.12;stroke:currentColor;stroke-width:2;vector-effect:non-scaling-stroke}
  .ann polyline.line{fill:none}.ann .pt{fill:currentColor;stroke:#fff;stroke-width:1;vector-effect:non-scaling-stroke}
  .ann path.mask{fill:none;stroke-width:1;stroke-opacity:.5;vector-effect:none}
  .ann text{font-size:var(--fs);fill:currentColor;stroke:#000;stroke-width:.06em;paint-order:stroke;stroke-opacity:.5;font-weight:bold}
  .removed{color:#e53935}.added{color:#43a047}.new{color:#1e88e5}.conflict{color:#8e24aa}
  .old{color:#fb8c00}.old rect,.old path,.old ellipse,.old polyline{stroke-dasharray:6 4;fill-opacity:0}
  ul.changes{margin:6px 0 0;padding-left:18px}ul.changes li.removed{color:#c62828}ul.changes li.added{color:#2e7d32}ul.changes li.modified{color:#6d4c00}
  .notes{color:#555;margin:2px 0 6px}
  """

  static let script = """
  (function(){
    var boxes=[].slice.call(document.querySelectorAll('input.kind')), sel=document.getElementById('cls');
    function apply(){
      var kinds={};boxes.forEach(function(b){if(b.checked)kinds[b.value]=1;});
      var cls=sel.value;
      document.querySelectorAll('.ann').forEach(function(g){
        var ok=g.getAttribute('data-kinds').split(' ').some(function(k){return kinds[k];})&&(cls===''||g.getAttribute('data-class')===cls);
        g.style.display=ok?'':'none';
      });
      document.querySelectorAll('section.img').forEach(function(s){
        var anns=s.querySelectorAll('li.ann, g.ann'), any=false;
        anns.forEach(function(a){if(a.style.display!=='none')any=true;});
        var plain=anns.length===0&&cls==='';
        s.style.display=(any||plain)?'':'none';
      });
    }
    boxes.forEach(function(b){b.addEventListener('change',apply);});sel.addEventListener('change',apply);
    var cur=-1;
    function visible(){return [].slice.call(document.querySelectorAll('section.img')).filter(function(s){return s.style.display!=='none';});}
    function go(d){
      var v=visible();if(!v.length)return;
      var old=document.querySelector('section.img.current');
      var i=old?v.indexOf(old):-1;i=Math.max(0,Math.min(v.length-1,i+d));
      if(old)old.classList.remove('current');v[i].classList.add('current');v[i].scrollIntoView({block:'start'});
      window.scrollBy(0,-document.querySelector('header').offsetHeight);
    }
    document.addEventListener('keydown',function(e){
      if(e.target&&(e.target.tagName==='SELECT'||e.target.tagName==='INPUT'))return;
      if(e.key==='j'||e.key==='ArrowDown'){go(1);e.preventDefault();}
      else if(e.key==='k'||e.key==='ArrowUp'){go(-1);e.preventDefault();}
    });
    // A fragment presets the filters, so a link can point at one class or hide kinds:
    // review.html#class=truck&hide=score,other
    (location.hash||'').replace(/^#/,'').split('&').forEach(function(kv){
      var p=kv.split('='),v=decodeURIComponent(p[1]||'');
      if(p[0]==='class')sel.value=v;
      if(p[0]==='hide')v.split(',').forEach(function(k){boxes.forEach(function(b){if(b.value===k)b.checked=false;});});
    });
    apply();
    document.body.setAttribute('data-ready','1');
  })();
  """
}
