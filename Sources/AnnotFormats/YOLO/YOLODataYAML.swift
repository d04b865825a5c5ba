import Foundation
import AnnotModel
import Yams

/// An Ultralytics `data.yaml`, read with a real YAML parser (Yams, over libyaml): block and
/// flow collections over several lines (YOLOv5's `coco.yaml` style), anchors and aliases, `<<`
/// merge keys at the top level, quoted and block scalars. annot reads the top-level keys whose
/// values are scalars, lists of scalars or flat maps of scalars; other values are kept as
/// "unreadable" and only matter when a key annot needs (`names`, `train`, …) holds one.
struct YOLODataYAML {
  /// A value we understand: a scalar, a list of scalars, or an ordered map of scalars.
  enum Value: Equatable {
    case scalar(String)
    case list([String])
    case map([(String, String)])
    static func == (a: Value, b: Value) -> Bool {
      switch (a, b) {
      case let (.scalar(x), .scalar(y)): x == y
      case let (.list(x), .list(y)): x == y
      case let (.map(x), .map(y)): x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
      default: false
      }
    }
  }

  /// Top-level keys in file order, each with its value (nil when empty: `test:`).
  var entries: [(key: String, value: Value?)] = []

  subscript(key: String) -> Value? { entries.first { $0.key == key }?.value ?? nil }
  func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

  /// Parses `text`; errors name `file` and the line.
  static func parse(_ text: String, file: String) throws(FormatError) -> YOLODataYAML {
    let root: Node?
    do { root = try Yams.compose(yaml: text) } catch let e as YamlError {
      throw Self.error(e, file: file)
    } catch {
      throw FormatError.invalid(file: file, place: "", message: "\(error)")
    }
    var out = YOLODataYAML()
    guard let root else { return out }
    guard case .mapping(let m) = root else {
      throw FormatError.invalid(file: file, place: Self.place(root), message: "expected a mapping of keys (path, train, val, names…)")
    }
    var pairs: [(Node, Node)] = []
    for (k, v) in m {
      // `<<: *base` (or a list of them) merges a mapping's keys; explicit keys win.
      if k.string == "<<" {
        let sources: [Node] = if case .sequence(let s) = v { Array(s) } else { [v] }
        for src in sources {
          guard case .mapping(let sm) = src else { throw FormatError.invalid(file: file, place: Self.place(v), message: "'<<' expects a mapping") }
          for (mk, mv) in sm where !m.keys.contains(mk) && !pairs.contains(where: { $0.0 == mk }) { pairs.append((mk, mv)) }
        }
        continue
      }
      pairs.append((k, v))
    }
    for (k, v) in pairs {
      guard case .scalar(let ks) = k else { throw FormatError.invalid(file: file, place: Self.place(k), message: "keys must be plain scalars") }
      let key = ks.string
      guard !out.has(key) else { throw FormatError.invalid(file: file, place: Self.place(k), message: "duplicate key '\(key)'") }
      switch v {
      case .scalar(let sc):
        // `test:` with nothing after it (YAML null) is an empty value.
        if sc.style == .plain && ["", "~", "null", "Null", "NULL"].contains(sc.string) { out.entries.append((key, nil)) }
        else { out.entries.append((key, .scalar(sc.string))) }
      case .sequence(let seq):
        var items: [String] = []
        var ok = true
        for n in seq { if case .scalar(let e) = n { items.append(e.string) } else { ok = false; break } }
        if ok { out.entries.append((key, .list(items))) } else { out.entries.append((key, nil)); out.unreadable.insert(key) }
      case .mapping(let mm):
        var kv: [(String, String)] = []
        var ok = true
        for (mk, mv) in mm {
          guard case .scalar(let a) = mk, case .scalar(let b) = mv else { ok = false; break }
          kv.append((a.string, b.string))
        }
        if ok { out.entries.append((key, .map(kv))) } else { out.entries.append((key, nil)); out.unreadable.insert(key) }
      case .alias:
        out.entries.append((key, nil)); out.unreadable.insert(key)
      }
    }
    return out
  }

  /// `line N` of a node, or "" when Yams gave no position.
  static func place(_ n: Node) -> String { n.mark.map { "line \($0.line)" } ?? "" }

  /// A Yams error as one line naming the file and the line.
  static func error(_ e: YamlError, file: String) -> FormatError {
    switch e {
    case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
      return .invalid(file: file, place: "line \(mark.line), column \(mark.column)", message: problem)
    case let .duplicatedKeysInMapping(duplicates, _):
      return .invalid(file: file, place: "", message: "duplicate key '\(duplicates.joined(separator: "', '"))'")
    case let .reader(problem, _, _, _):
      return .invalid(file: file, place: "", message: problem)
    default:
      return .invalid(file: file, place: "", message: "\(e)")
    }
  }

  /// Keys whose value is a structure annot does not read (nested collections).
  var unreadable = Set<String>()

  /// Writes a scalar so YAML reads it back as the same string: plain when safe, else single-quoted.
  static func quote(_ s: String) -> String {
    let plainSafe = !s.isEmpty && s.unicodeScalars.allSatisfy { c in
      (c.value >= 0x30 && c.value <= 0x39) || (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A)
        || c == "_" || c == "-" || c == "." || c == " " || c == "/"
    } && !s.hasPrefix(" ") && !s.hasSuffix(" ") && !s.hasPrefix("-")
    let reserved = ["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"].contains(s.lowercased())
    if plainSafe && !reserved && Double(s) == nil { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
  }
}
