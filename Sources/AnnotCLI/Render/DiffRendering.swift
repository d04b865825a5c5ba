import AnnotModel
import AnnotKit

/// Pure renderers of a dataset diff: text, --stat, --name-status and JSON. The HTML review
/// page is in AnnotReview; the words for one change are `ChangeWords` (AnnotDiff), shared by
/// both. Each returns the whole output; the command only writes it.
enum DiffRendering {
  /// Options of the text renderers.
  struct TextOptions: Sendable, Hashable {
    /// Wrap lines in ANSI colours (added green, removed red, modified yellow, headers bold).
    var color: Bool
    /// Creates text options; no colour by default (pipes and files).
    init(color: Bool = false) { self.color = color }
  }

  // MARK: - Text

  /// The git-like text diff: one self-contained line per change, for example
  /// `image train/0001.png: box 3f2a1c moved (+12, -3) px, relabeled car → truck`.
  ///
  /// Images come in path order, annotations in id order; schema lines come last. Every line
  /// ends with a newline; an empty diff renders as an empty string.
  static func text(_ outcome: DatasetDiff.Outcome, options: TextOptions = TextOptions()) -> String {
    var out = ""
    let c = Palette(enabled: options.color)
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
        out += c.yellow("\(head) \(f.field) \(ChangeWords.value(f.old)) → \(ChangeWords.value(f.new))") + "\n"
      }
      for change in image.labels.changes {
        let line = "\(head) \(change.shapeKind) \(change.id) \(ChangeWords.describe(change))"
        switch change.status {
        case .added: out += c.green(line) + "\n"
        case .removed: out += c.red(line) + "\n"
        case .modified: out += c.yellow(line) + "\n"
        }
      }
    }
    if let s = outcome.schema {
      for line in ChangeWords.schemaLines(s) { out += c.bold("schema: ") + line + "\n" }
    }
    return out
  }

  // MARK: - --stat

  /// The `--stat` table: annotation counts per class and per change kind, a total row, and
  /// one line of image counts.
  static func stat(_ outcome: DatasetDiff.Outcome, options: TextOptions = TextOptions()) -> String {
    let c = Palette(enabled: options.color)
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
    if let schema = outcome.schema { out += "; schema: \(plural(ChangeWords.schemaLines(schema).count, "change"))" }
    return out + "\n"
  }

  // MARK: - --name-status

  /// `--name-status`: `A`, `D`, `M` (labels changed or bytes replaced) or `R` per image, tab-separated
  /// as git writes it (`R\told\tnew`); `M\tannot.json` when the schema changed.
  static func nameStatus(_ outcome: DatasetDiff.Outcome) -> String {
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
}
