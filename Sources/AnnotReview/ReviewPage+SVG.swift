import AnnotModel
import AnnotDiff

// The page's pictures (SVG overlays of boxes, polygons, masks, keypoints), its CSS and script.

extension ReviewPage {
  // MARK: - SVG

  /// A panel's coordinate system: the image size (or, without an image record, the annotations'
  /// extent) and the caption size, in image pixels.
  struct Frame {
    var width: Double, height: Double
    /// In image units, so captions keep the same size relative to the picture whatever its resolution.
    var font: Double
    init(record: ImageRecord?, annotations: [Annotation]) {
      var w = Double(record?.width ?? 0), h = Double(record?.height ?? 0)
      if w <= 0 || h <= 0 {
        let boxes = annotations.compactMap(\.boundingBox)
        w = max(100, boxes.map(\.maxX).max() ?? 0); h = max(100, boxes.map(\.maxY).max() ?? 0)
      }
      width = w; height = h; font = max(1, min(w, h) / 24)
    }
  }

  /// Panels at the top of the page whose pictures load with the page (`src`, not `data-src`),
  /// so the first screen is complete when the page's load event fires.
  static let eagerPanels = 6

  static func panel(_ name: String, frame: Frame, picture: String?, shapes: String, eager: Bool = false) -> String {
    let w = n(frame.width), h = n(frame.height)
    var out = "<figure><figcaption>\(esc(name))</figcaption>"
    out += "<div class=\"pic\" style=\"aspect-ratio:\(w)/\(h);width:min(100%,calc(70vh*\(w)/\(h)))\">"
    if let picture {
      // The script sets src when the panel nears the viewport (browsers differ in how far
      // ahead loading="lazy" fetches; headless Chromium fetches everything). Without
      // JavaScript, the <noscript> copy loads.
      let attrs = "loading=\"lazy\" decoding=\"async\" width=\"\(w)\" height=\"\(h)\" alt=\"\""
      if eager {
        out += "<img src=\"\(esc(picture))\" decoding=\"async\" width=\"\(w)\" height=\"\(h)\" alt=\"\">"
      } else {
        out += "<img data-src=\"\(esc(picture))\" \(attrs)><noscript><img src=\"\(esc(picture))\" \(attrs)></noscript>"
      }
    }
    out += "<svg class=\"ov\" viewBox=\"0 0 \(w) \(h)\" style=\"--fs:\(n(frame.font))px\">"
    out += shapes
    return out + "</svg></div></figure>\n"
  }

  /// One annotation as an SVG group tagged with its change kinds and class for the filters.
  static func group(_ a: Annotation, cssClass: String, kinds: [ChangeKind], extraKinds: String = "", frame: Frame,
                    caption: String?, title: String) -> String {
    let k = (kinds.map(\.rawValue) + (extraKinds.isEmpty ? [] : [extraKinds])).joined(separator: " ")
    var h = "<g class=\"ann \(cssClass)\" data-kinds=\"\(k)\" data-class=\"\(esc(a.label))\"><title>\(esc(title))</title>"
    h += shapeSVG(a)
    if let caption { h += captionSVG(caption, near: a.boundingBox ?? Box(x: 0, y: 0, w: 0, h: 0), frame: frame) }
    return h + "</g>"
  }

  /// A caption above the shape's box, or just inside its top edge when there is no room above,
  /// moved left so it ends inside the picture, and squeezed when it is wider than the picture.
  static func captionSVG(_ caption: String, near b: Box, frame: Frame) -> String {
    let f = frame.font
    // Bold sans-serif averages about 0.62 em per character.
    let estimate = Double(caption.count) * 0.62 * f
    let width = min(estimate, frame.width)
    let x = min(max(b.x, 0), max(0, frame.width - width))
    // Baseline: ascenders reach about 0.8 em above it, descenders 0.25 em below.
    var y = b.y - 0.3 * f
    if y - 0.8 * f < 0 { y = max(b.y, 0) + 0.9 * f }
    y = min(max(y, 0.9 * f), frame.height - 0.25 * f)
    let squeeze = estimate > frame.width ? " textLength=\"\(n(width))\" lengthAdjust=\"spacingAndGlyphs\"" : ""
    return "<text x=\"\(n(x))\" y=\"\(n(y))\"\(squeeze)>\(esc(caption))</text>"
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
  static func n(_ d: Double) -> String { ChangeWords.num(d) }

  /// Escapes text for HTML content and attribute values.
  public static func esc(_ s: String) -> String { MarkupEscape.escape(s, quotes: true, apostrophe: "&#39;") }

  static let css = """
  body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
  header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 12px;z-index:2}
  h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:4px 0}
  #filters label{margin-right:8px;white-space:nowrap}#filters select{margin-left:8px}.hint{color:#777;margin-left:12px}
  #legend{margin-top:4px;color:#444}#legend .key{margin-right:14px;white-space:nowrap}
  svg.sw{width:28px;height:14px;vertical-align:middle;margin-right:4px;background:#777}
  main{padding:8px 12px}
  table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
  tr.total td{font-weight:bold}
  section.img{background:#fff;border:1px solid #ddd;border-radius:4px;margin:12px 0;padding:8px;content-visibility:auto;contain-intrinsic-size:auto 640px}
  section.img.current{outline:3px solid #1e88e5}
  .panels{display:flex;gap:12px;flex-wrap:wrap}.panels figure{flex:1 1 45%;margin:0;min-width:260px}
  .panels.three figure{flex-basis:30%}
  figcaption{font-weight:bold;color:#555}
  .pic{position:relative;background:#ccc;max-width:100%}
  .pic img{position:absolute;inset:0;width:100%;height:100%;display:block}
  svg.ov{position:absolute;inset:0;width:100%;height:100%;overflow:hidden}
  .ann rect,.ann path,.ann ellipse,.ann polyline{fill:currentColor;fill-opacity:.12;stroke:currentColor;stroke-width:2;vector-effect:non-scaling-stroke}
  .ann polyline.line{fill:none}.ann .pt{fill:currentColor;stroke:#fff;stroke-width:1;vector-effect:non-scaling-stroke}
  .ann path.mask{fill:none;stroke-width:1;stroke-opacity:.5;vector-effect:none}
  .ann text{font-size:var(--fs);fill:currentColor;stroke:#000;stroke-width:.06em;paint-order:stroke;stroke-opacity:.6;font-weight:bold}
  .ctx{color:#fff;opacity:.75;filter:drop-shadow(0 0 1px #000)}.ctx rect,.ctx path,.ctx ellipse,.ctx polyline{fill:none;stroke:currentColor;stroke-width:1;vector-effect:non-scaling-stroke}
  .ctx .pt{fill:currentColor}.ctx path.mask{stroke-width:1;vector-effect:none}
  body.noctx .ctx{display:none}
  .removed{color:#e53935}.added{color:#43a047}.new{color:#1e88e5}.conflict{color:#8e24aa}
  .old{color:#fb8c00}.old rect,.old path,.old ellipse,.old polyline{stroke-dasharray:6 4;fill-opacity:0}
  ul.changes{margin:6px 0 0;padding-left:18px}ul.changes li.removed{color:#c62828}ul.changes li.added{color:#2e7d32}ul.changes li.modified{color:#6d4c00}
  ul.resolve{margin:2px 0 8px;padding-left:18px}ul.resolve code{background:#f3e5f5;padding:1px 4px;border-radius:3px;user-select:all}
  .notes{color:#555;margin:2px 0 6px}
  """

  static let script = """
  (function(){
    var boxes=[].slice.call(document.querySelectorAll('input.kind')), sel=document.getElementById('cls');
    function apply(){
      var kinds={};boxes.forEach(function(b){if(b.checked)kinds[b.value]=1;});
      var cls=sel.value;
      document.querySelectorAll('main .ann').forEach(function(g){
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
    var ctx=document.getElementById('ctx');
    ctx.addEventListener('change',function(){document.body.classList.toggle('noctx',!ctx.checked);});
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
    // review.html#class=truck&hide=score,other (hide=unchanged hides the context).
    // Without one, nothing is filtered and the page is left as written (a fast first paint).
    var preset=false;
    (location.hash||'').replace(/^#/,'').split('&').forEach(function(kv){
      var p=kv.split('='),v=decodeURIComponent(p[1]||'');
      if(p[0]==='class'){sel.value=v;preset=true;}
      if(p[0]==='hide')v.split(',').forEach(function(k){
        if(k==='unchanged'){ctx.checked=false;document.body.classList.add('noctx');}
        boxes.forEach(function(b){if(b.value===k){b.checked=false;preset=true;}});
      });
    });
    if(preset)apply();
    // Pictures load when their panel comes within two screens of the viewport.
    var loaded=0;
    function show(img){if(!img.src){img.src=img.getAttribute('data-src');loaded++;document.body.setAttribute('data-pictures',loaded);}}
    var pics=[].slice.call(document.querySelectorAll('img[data-src]'));
    if('IntersectionObserver' in window){
      var io=new IntersectionObserver(function(es){es.forEach(function(e){if(e.isIntersecting){show(e.target);io.unobserve(e.target);}});},{rootMargin:'200% 0px'});
      pics.forEach(function(i){io.observe(i);});
    }else pics.forEach(show);
    document.body.setAttribute('data-ready','1');
  })();
  """
}
