import AnnotModel
import AnnotDiff

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

/// A picture the review page refers to: written once as a file beside the page
/// (`<folder>/<name>.<extension>`) however many panels show it.
public struct ReviewImage: Sendable, Hashable {
  /// A name unique to the picture's content, such as its blob id (hex): two panels showing the
  /// same picture share one file.
  public var name: String
  /// `image/png`, `image/jpeg`, …
  public var mediaType: String
  /// Creates a picture reference.
  public init(name: String, mediaType: String) { self.name = name; self.mediaType = mediaType }

  /// The file name in the page's folder: the name plus an extension from the media type.
  public var fileName: String {
    let ext = switch mediaType.lowercased() {
    case "image/png": "png"
    case "image/jpeg", "image/jpg": "jpg"
    case "image/webp": "webp"
    case "image/gif": "gif"
    case "image/bmp": "bmp"
    case "image/tiff": "tif"
    default: "img"
    }
    return "\(name).\(ext)"
  }
}

/// One conflict to show in the review page's conflicts section (a merge view reuses the page).
public struct ReviewConflict: Sendable, Equatable {
  /// One unresolved conflict of the image: the annotation it is about (nil for the image as a
  /// whole) and what it is (`box a1: label: ours "truck", theirs "bus"`).
  public struct Item: Sendable, Equatable {
    /// The annotation id, nil for an image-level conflict.
    public var annotationID: String?
    /// What conflicts, in words.
    public var description: String
    /// Creates an item.
    public init(annotationID: String?, description: String) { self.annotationID = annotationID; self.description = description }
  }
  /// The dataset path of the image.
  public var path: String
  /// What the conflict is about, shown above the panels (`box 3f2a: ours relabeled car → truck, theirs deleted it`).
  public var caption: String
  /// Image width in pixels (the SVG coordinate system).
  public var width: Int
  /// Image height in pixels.
  public var height: Int
  /// The annotations of the image on the merge base.
  public var base: [Annotation]
  /// The annotations of the image on our side.
  public var ours: [Annotation]
  /// The annotations of the image on their side.
  public var theirs: [Annotation]
  /// The unresolved conflicts, each shown with the `annot resolve` commands that settle it.
  /// Annotations they name are drawn strongly, the others faintly for context.
  public var items: [Item]
  /// Creates a conflict entry.
  public init(path: String, caption: String, width: Int, height: Int, base: [Annotation], ours: [Annotation], theirs: [Annotation],
              items: [Item] = []) {
    self.path = path; self.caption = caption; self.width = width; self.height = height
    self.base = base; self.ours = ours; self.theirs = theirs; self.items = items
  }
}

/// The HTML review page: one HTML file plus a folder of pictures beside it.
///
/// Each changed image shows a "before" and an "after" panel: the picture as an `<img>` that
/// the page's script loads when the panel comes within two screens of the viewport (so a page
/// of thousands of images fetches only what is near the screen; `loading="lazy"` too, and a
/// `<noscript>` copy without JavaScript; the first few panels load with the page) under an SVG
/// overlay. Removed annotations are red, added green, modified ones have the old outline
/// dashed orange and the new one solid blue, relabels are captioned `car → truck`, and the
/// unchanged annotations are drawn faintly for context; a legend says so. Captions stay inside
/// the picture. Filters by change kind and class, a summary table, and keyboard navigation (j/k
/// or arrow keys) are plain inline JavaScript; a URL fragment presets the filters:
/// `review.html#class=truck&hide=score,other`. Conflicts get a base/ours/theirs section with the
/// `annot resolve` command that settles each one.
///
/// The page refers to pictures as `<Options.filesFolder>/<ReviewImage.fileName>` and lists them
/// in `Page.images`, each once; the caller writes them (see `filesFolder(forPage:)`). Its
/// Content-Security-Policy allows pictures from the page's own origin only (`img-src 'self'`):
/// no network, no external fonts or scripts.
public enum ReviewPage {
  /// Options of the page.
  public struct Options: Sendable, Hashable {
    /// The page title (`annot diff main..round-2`).
    public var title: String
    /// The folder of pictures, relative to the page (`review_files` for `review.html`).
    public var filesFolder: String
    /// Creates options.
    public init(title: String = "annot diff", filesFolder: String = "review_files") {
      self.title = title; self.filesFolder = filesFolder
    }
  }

  /// A rendered page: its HTML and the pictures it refers to.
  public struct Page: Sendable, Equatable {
    /// The HTML document.
    public var html: String
    /// The pictures the page refers to, each once, in order of first use.
    public var images: [ReviewImage]
  }

  /// The folder name for the pictures of a page file: `review.html` → `review_files`, as
  /// browsers name the folder of a page saved "complete".
  public static func filesFolder(forPage fileName: String) -> String {
    let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
    let stem = base.hasSuffix(".html") ? String(base.dropLast(5)) : (base.hasSuffix(".htm") ? String(base.dropLast(4)) : base)
    return (stem.isEmpty ? "review" : stem) + "_files"
  }

  /// Renders the page.
  ///
  /// - Parameters:
  ///   - outcome: the diff to show.
  ///   - conflicts: merge conflicts to show in their own section (may be empty).
  ///   - options: title and picture folder.
  ///   - image: the picture of an image path on one side, nil when unavailable (the panel then
  ///     shows a grey background of the image's size).
  ///   - context: all annotations of an image path on one side, nil when unknown; those the
  ///     diff did not report are drawn faintly for context.
  public static func render(_ outcome: DatasetDiff.Outcome, conflicts: [ReviewConflict] = [], options: Options = Options(),
                            image: (String, ReviewSide) -> ReviewImage?,
                            context: (String, ReviewSide) -> [Annotation]? = { _, _ in nil }) -> Page {
    var pictures = Pictures(folder: options.filesFolder)
    func picture(_ path: String, _ side: ReviewSide) -> String? { image(path, side).map { pictures.href($0) } }
    var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    h += "<meta name=\"viewport\" content=\"width=device-width\">\n"
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
    h += "<title>\(esc(options.title))</title>\n<style>\(css)</style></head><body>\n"
    h += "<header><h1>\(esc(options.title))</h1>\n"
    h += filters(outcome, hasConflicts: !conflicts.isEmpty)
    h += legend(hasConflicts: !conflicts.isEmpty)
    h += "</header>\n<main>\n"
    h += summaryTable(outcome)
    if let s = outcome.schema {
      h += "<section class=\"schema\"><h2>Schema</h2><ul>"
      for line in ChangeWords.schemaLines(s) { h += "<li>\(esc(line))</li>" }
      h += "</ul></section>\n"
    }
    if !conflicts.isEmpty { h += "<p><a href=\"#conflicts\">\(conflicts.count) conflicted image\(conflicts.count == 1 ? "" : "s") below</a></p>\n" }
    for (n, img) in outcome.images.enumerated() { h += imageSection(img, index: n, picture: picture, context: context) }
    if !conflicts.isEmpty {
      h += "<h2 id=\"conflicts\">Conflicts (\(conflicts.count))</h2>\n"
      for c in conflicts { h += conflictSection(c, picture: picture) }
    }
    h += "</main>\n<script>\(script)</script>\n</body></html>\n"
    return Page(html: h, images: pictures.list)
  }

  /// The pictures referred to so far, each once.
  struct Pictures {
    var folder: String
    var list: [ReviewImage] = []
    var seen: Set<String> = []
    mutating func href(_ p: ReviewImage) -> String {
      if seen.insert(p.fileName).inserted { list.append(p) }
      return folder + "/" + p.fileName
    }
  }

  // MARK: - Sections

  static func filters(_ outcome: DatasetDiff.Outcome, hasConflicts: Bool) -> String {
    var h = "<form id=\"filters\" onsubmit=\"return false\"><span>show:</span>"
    for k in ChangeKind.allCases {
      h += "<label><input type=\"checkbox\" class=\"kind\" value=\"\(k.rawValue)\" checked> \(k.rawValue)</label>"
    }
    if hasConflicts { h += "<label><input type=\"checkbox\" class=\"kind\" value=\"conflict\" checked> conflicts</label>" }
    h += "<label><input type=\"checkbox\" id=\"ctx\" checked> unchanged</label>"
    h += "<select id=\"cls\"><option value=\"\">all classes</option>"
    var classes = Set(outcome.summary.byClass.keys)
    for i in outcome.images { for c in i.labels.changes { if let o = c.old?.label { classes.insert(o) } } }
    for c in classes.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      h += "<option value=\"\(esc(c))\">\(esc(c))</option>"
    }
    h += "</select><span class=\"hint\">j/k or ↓/↑: next/previous image</span></form>\n"
    return h
  }

  /// What the colours mean, drawn with the same classes as the overlays.
  static func legend(hasConflicts: Bool) -> String {
    func swatch(_ cls: String, _ text: String) -> String {
      "<span class=\"key\"><svg class=\"sw\" viewBox=\"0 0 28 14\"><g class=\"ann \(cls)\"><rect x=\"2\" y=\"2\" width=\"24\" height=\"10\"/></g></svg>\(text)</span>"
    }
    var h = "<div id=\"legend\">"
    h += swatch("removed", "removed")
    h += swatch("added", "added")
    h += swatch("old", "before (moved, resized, reshaped)")
    h += swatch("new", "after / modified")
    h += swatch("ctx", "unchanged")
    if hasConflicts { h += swatch("conflict", "in conflict") }
    return h + "</div>\n"
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

  static func imageSection(_ img: ImageDiff, index: Int, picture: (String, ReviewSide) -> String?,
                           context: (String, ReviewSide) -> [Annotation]?) -> String {
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
    for f in img.labels.imageChanges { notes.append("\(f.field) \(ChangeWords.value(f.old)) → \(ChangeWords.value(f.new))") }
    if !notes.isEmpty { h += "<p class=\"notes\">\(notes.map(esc).joined(separator: "; "))</p>\n" }

    let before = img.labels.oldImage ?? img.labels.newImage, after = img.labels.newImage ?? img.labels.oldImage
    let beforePath = img.oldPath ?? img.path
    h += "<div class=\"panels\">\n"
    if img.status != .added {
      let frame = Frame(record: before, annotations: changes.compactMap(\.old))
      let changedIDs = Set(changes.compactMap { $0.old == nil ? nil : ($0.oldID ?? $0.id) })
      var shapes = contextShapes(context(beforePath, .before), except: changedIDs, frame: frame)
      for c in changes where c.status != .added {
        guard let a = c.old else { continue }
        shapes += group(a, cssClass: c.status == .removed ? "removed" : "old", kinds: c.kinds, frame: frame,
                        caption: c.status == .removed ? "\(a.label) (removed)" : a.label, title: "\(c.shapeKind) \(c.oldID ?? c.id)")
      }
      h += panel("before", frame: frame, picture: picture(beforePath, .before), shapes: shapes, eager: index * 2 < eagerPanels)
    }
    if img.status != .removed {
      let frame = Frame(record: after, annotations: changes.compactMap(\.new))
      let changedIDs = Set(changes.compactMap { $0.new == nil ? nil : $0.id })
      var shapes = contextShapes(context(img.path, .after), except: changedIDs, frame: frame)
      for c in changes where c.status != .removed {
        guard let b = c.new else { continue }
        if c.status == .modified, let a = c.old, c.moved != nil || c.resized != nil || c.reshaped != nil {
          shapes += group(a, cssClass: "old", kinds: c.kinds, frame: frame, caption: nil, title: "\(c.shapeKind) \(c.oldID ?? c.id) before")
        }
        let caption = c.relabeled.map { "\($0.from) → \($0.to)" } ?? b.label
        shapes += group(b, cssClass: c.status == .added ? "added" : "new", kinds: c.kinds, frame: frame, caption: caption,
                        title: "\(c.shapeKind) \(c.id): \(ChangeWords.describe(c))")
      }
      h += panel("after", frame: frame, picture: picture(img.path, .after), shapes: shapes, eager: index * 2 < eagerPanels)
    }
    h += "</div>\n"
    if !changes.isEmpty {
      h += "<ul class=\"changes\">"
      for c in changes {
        h += "<li class=\"ann \(c.status.rawValue)\" data-kinds=\"\(c.kinds.map(\.rawValue).joined(separator: " "))\" data-class=\"\(esc(c.className))\">"
        h += "\(esc(c.shapeKind)) <code>\(esc(c.id))</code> \(esc(ChangeWords.describe(c)))</li>"
      }
      h += "</ul>\n"
    }
    return h + "</section>\n"
  }

  /// The annotations of a side that the diff did not report, drawn faintly and without captions.
  static func contextShapes(_ all: [Annotation]?, except changed: Set<String>, frame: Frame) -> String {
    guard let all else { return "" }
    var h = ""
    for a in all where !changed.contains(a.id) {
      h += "<g class=\"ctx\"><title>\(esc("\(a.shape.kind) \(a.id) \(a.label) (unchanged)"))</title>\(shapeSVG(a))</g>"
    }
    return h
  }

  static func conflictSection(_ c: ReviewConflict, picture: (String, ReviewSide) -> String?) -> String {
    let record = ImageRecord(path: c.path, width: c.width, height: c.height, mediaType: "")
    let involved = Set(c.items.compactMap(\.annotationID))
    // With no item naming an annotation (an image-level conflict, or no items given), every annotation is involved.
    func isInvolved(_ a: Annotation) -> Bool { involved.isEmpty || involved.contains(a.id) }
    let classes = Set((c.base + c.ours + c.theirs).filter(isInvolved).map(\.label)).sorted()
    var h = "<section class=\"img conflict\" data-kinds=\"conflict\" data-classes=\"\(esc(classes.joined(separator: "\u{1F}")))\">\n"
    h += "<h2>conflict: \(esc(c.path))</h2>\n<p class=\"notes\">\(esc(c.caption))</p>\n"
    if !c.items.isEmpty {
      h += "<ul class=\"resolve\">"
      for item in c.items {
        h += "<li>\(esc(item.description)): "
        h += resolveCommands(path: c.path, annotationID: item.annotationID).map { "<code>\(esc($0))</code>" }.joined(separator: " or ")
        h += "</li>"
      }
      h += "</ul>\n"
    }
    h += "<div class=\"panels three\">\n"
    for (side, anns) in [(ReviewSide.base, c.base), (.ours, c.ours), (.theirs, c.theirs)] {
      let frame = Frame(record: record, annotations: anns)
      var shapes = contextShapes(anns.filter { !isInvolved($0) }, except: [], frame: frame)
      for a in anns where isInvolved(a) {
        shapes += group(a, cssClass: "conflict", kinds: [], extraKinds: "conflict", frame: frame, caption: a.label, title: "\(a.shape.kind) \(a.id)")
      }
      h += panel(side.rawValue, frame: frame, picture: picture(c.path, side), shapes: shapes)
    }
    return h + "</div></section>\n"
  }

  /// The commands that settle one conflict: take our side, or take theirs.
  public static func resolveCommands(path: String, annotationID: String?) -> [String] {
    let p = shellQuote("images/" + path)
    if let id = annotationID {
      return ["ours", "theirs"].map { "annot resolve \(p) --annotation \(shellQuote("\(id)=\($0)"))" }
    }
    return ["--ours", "--theirs"].map { "annot resolve \(p) \($0)" }
  }

  /// A word for a POSIX shell: as is when it is plain, else in single quotes.
  static func shellQuote(_ s: String) -> String {
    let plain = !s.isEmpty && s.unicodeScalars.allSatisfy {
      ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-_./=:,+@%".unicodeScalars.contains($0)
    }
    if plain { return s }
    var out = "'"
    for ch in s { out += ch == "'" ? "'\\''" : String(ch) }
    return out + "'"
  }
}
