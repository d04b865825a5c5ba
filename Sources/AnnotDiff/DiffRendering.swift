import AnnotModel

/// Pure renderers of a dataset diff: text, --stat, --name-status and JSON. The HTML review
/// page is in `ReviewPage`. Each returns the whole output; the CLI only prints it.
public enum DiffRendering {
  /// Options of the text renderers.
  public struct TextOptions: Sendable, Hashable {
    /// Wrap lines in ANSI colours (added green, removed red, modified yellow, headers bold).
    public var color: Bool
    /// Creates text options; no colour by default (pipes and files).
    public init(color: Bool = false) { self.color = color }
  }

  // MARK: - Text

  /// The git-like text diff: one self-contained line per change, for example
  /// `image train/0001.png: box 3f2a1c moved (+12, -3) px, relabeled car → truck`.
  ///
  /// Images come in path order, annotations in id order; schema lines come last. Every line
  /// ends with a newline; an empty diff renders as an empty string.
  public static func text(_ outcome: DatasetDiff.Outcome, options: TextOptions = TextOptions()) -> String {
    var out = ""
    let c = Colors(enabled: options.color)
    for image in outcome.images {
      let head = "image \(image.path):"
      switch image.status {
      case .added:
        out += c.green("\(head) added (\(plural(image.labels.changes.count, "annotation")))") + "\n"
      case .removed:
        out += c.red("\(head) removed (\(plural(image.labels.changes.count, "annotation")))") + "\n"
      case .renamed:
        out += c.yellow("\(head) renamed from \(image.oldPath ?? "?")") + "\n"
      case .modified:
        if image.labels.matchedByGeometry {
          out += c.bold("\(head) annotations matched by geometry (no shared ids)") + "\n"
        }
      }
      if let r = image.replaced {
        out += c.yellow("\(head) image replaced (\(r.oldSize) → \(r.newSize) bytes)") + "\n"
      }
      for f in image.labels.imageChanges {
        out += c.yellow("\(head) \(f.field) \(value(f.old)) → \(value(f.new))") + "\n"
      }
      for change in image.labels.changes {
        let line = "\(head) \(change.shapeKind) \(change.id) \(describe(change))"
        switch change.status {
        case .added: out += c.green(line) + "\n"
        case .removed: out += c.red(line) + "\n"
        case .modified: out += c.yellow(line) + "\n"
        }
      }
    }
    if let s = outcome.schema {
      for line in schemaLines(s) { out += c.bold("schema: ") + line + "\n" }
    }
    return out
  }

  /// The description of one annotation change, without the image and id prefix
  /// (`moved (+12, -3) px, relabeled car → truck`).
  public static func describe(_ change: AnnotationChange) -> String {
    switch change.status {
    case .added:
      return "added \(change.new?.label ?? "")" + (change.new?.boundingBox.map { " " + boxText($0) } ?? "")
    case .removed:
      return "removed \(change.old?.label ?? "")" + (change.old?.boundingBox.map { " " + boxText($0) } ?? "")
    case .modified:
      var parts: [String] = []
      if let old = change.oldID { parts.append("(was \(old))") }
      if let m = change.moved { parts.append("moved (\(signed(m.dx)), \(signed(m.dy))) px") }
      if change.resized != nil, let a = change.old?.shapeBoundingBox, let b = change.new?.shapeBoundingBox {
        parts.append("resized \(num(a.w))×\(num(a.h)) → \(num(b.w))×\(num(b.h)) px")
      }
      if let r = change.reshaped { parts.append("reshaped (\(change.shapeKind == "keypoints" ? "OKS" : "IoU") \(num(r.iou)))") }
      if let r = change.relabeled { parts.append("relabeled \(r.from) → \(r.to)") }
      for a in change.attributes {
        switch (a.old, a.new) {
        case (nil, let n?): parts.append("attribute \(a.key) added \(n)")
        case (let o?, nil): parts.append("attribute \(a.key) removed (was \(o))")
        default: parts.append("attribute \(a.key) \(a.old.map(\.description) ?? "none") → \(a.new.map(\.description) ?? "none")")
        }
      }
      if let s = change.score { parts.append("score \(s.old.map(num) ?? "none") → \(s.new.map(num) ?? "none")") }
      for f in change.fields { parts.append("\(f.field) \(value(f.old)) → \(value(f.new))") }
      return parts.joined(separator: ", ")
    }
  }

  /// The schema changes, one phrase each (`class 3 "bus" added`).
  public static func schemaLines(_ s: SchemaDiff) -> [String] {
    var out: [String] = []
    if s.manifestAdded { out.append("annot.json added") }
    if s.manifestRemoved { out.append("annot.json removed") }
    for c in s.added { out.append("class \(c.id) \"\(c.name)\" added") }
    for c in s.removed { out.append("class \(c.id) \"\(c.name)\" removed") }
    for r in s.renamed { out.append("class \(r.id) renamed \(r.from) → \(r.to)") }
    for r in s.recolored { out.append("class \(r.id) \"\(r.name)\" recolored \(r.from ?? "none") → \(r.to ?? "none")") }
    for e in s.edited { out.append("class \(e.id) \"\(e.name)\" changed \(e.fields.joined(separator: ", "))") }
    if s.attributesChanged { out.append("dataset attribute definitions changed") }
    return out
  }

  // MARK: - --stat

  /// The `--stat` table: annotation counts per class and per change kind, a total row, and
  /// one line of image counts.
  public static func stat(_ outcome: DatasetDiff.Outcome, options: TextOptions = TextOptions()) -> String {
    let c = Colors(enabled: options.color)
    let kinds = ChangeKind.allCases
    let classes = outcome.summary.byClass.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let nameWidth = max(5, classes.map(\.count).max() ?? 0)
    func pad(_ s: String, _ w: Int, right: Bool) -> String {
      let fill = String(repeating: " ", count: max(0, w - s.count))
      return right ? fill + s : s + fill
    }
    var out = c.bold(pad("class", nameWidth, right: false) + kinds.map { " " + pad($0.rawValue, $0.rawValue.count, right: true) }.joined()) + "\n"
    func row(_ name: String, _ counts: ChangeCounts) -> String {
      pad(name, nameWidth, right: false) + kinds.map { " " + pad(String(counts[$0]), $0.rawValue.count, right: true) }.joined() + "\n"
    }
    for name in classes { out += row(name, outcome.summary.byClass[name]!) }
    out += c.bold(row("total", outcome.summary.annotations))
    let s = outcome.summary
    let n = s.imagesAdded + s.imagesRemoved + s.imagesModified + s.imagesRenamed
    out += "\(plural(n, "image")) changed: \(s.imagesAdded) added, \(s.imagesRemoved) removed, \(s.imagesModified) modified, "
      + "\(s.imagesReplaced) replaced, \(s.imagesRenamed) renamed"
    if let schema = outcome.schema { out += "; schema: \(plural(schemaLines(schema).count, "change"))" }
    return out + "\n"
  }

  // MARK: - --name-status

  /// `--name-status`: `A`, `D`, `M` (labels changed or bytes replaced) or `R` per image, tab-separated
  /// as git writes it (`R\told\tnew`); `M\tannot.json` when the schema changed.
  public static func nameStatus(_ outcome: DatasetDiff.Outcome) -> String {
    var out = ""
    if outcome.schema != nil { out += "M\t\(DatasetPath.manifestEntry)\n" }
    for image in outcome.images {
      switch image.status {
      case .added: out += "A\t\(image.path)\n"
      case .removed: out += "D\t\(image.path)\n"
      case .modified: out += "M\t\(image.path)\n"
      case .renamed: out += "R\t\(image.oldPath ?? "")\t\(image.path)\n"
      }
    }
    return out
  }

  // MARK: - Helpers

  static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

  /// A number rounded to 2 decimals, written canonically (`12`, `0.83`, `-3.5`).
  static func num(_ d: Double) -> String {
    guard d.isFinite else { return "\(d)" }
    return CanonicalJSON.number((d * 100).rounded() / 100)
  }

  static func signed(_ d: Double) -> String {
    let s = num(d)
    return s.hasPrefix("-") || s == "0" ? s : "+" + s
  }

  static func boxText(_ b: Box) -> String { "[\(num(b.x)), \(num(b.y)), \(num(b.w)), \(num(b.h))]" }

  static func value(_ v: JSONValue?) -> String { v.map { CanonicalJSON.string($0) } ?? "none" }

  struct Colors {
    var enabled: Bool
    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func green(_ s: String) -> String { wrap(s, "32") }
    func red(_ s: String) -> String { wrap(s, "31") }
    func yellow(_ s: String) -> String { wrap(s, "33") }
    func bold(_ s: String) -> String { wrap(s, "1") }
  }
}
