import Foundation
import AnnotModel

/// The subset of YAML that Ultralytics `data.yaml` files use, read by hand.
///
/// Why not a YAML library: the only one in our mirror is jpsim/Yams, and Package.swift is not
/// this module's to change; `data.yaml` needs just top-level `key: value` pairs, block and flow
/// lists, and an index→name map, with plain, 'single' or "double" quoted scalars. Anything else
/// under a key we do not read (for example a `download: |` script) is skipped unparsed.
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
    var out = YOLODataYAML()
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
    var i = 0
    func fail(_ line: Int, _ m: String) -> FormatError { .invalid(file: file, place: "line \(line + 1)", message: m) }
    while i < lines.count {
      let raw = lines[i]
      let keyLine = i
      let line = stripComment(raw)
      if line.trimmingCharacters(in: .whitespaces).isEmpty || raw.hasPrefix("---") { i += 1; continue }
      guard !raw.hasPrefix(" "), !raw.hasPrefix("\t") else { throw fail(i, "unexpected indentation") }
      guard let colon = keyColon(line) else { throw fail(i, "expected 'key: value'") }
      let key = try unquote(String(line[..<colon]).trimmingCharacters(in: .whitespaces), line: i, file: file)
      let rest = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
      guard !out.has(key) else { throw fail(i, "duplicate key '\(key)'") }
      // The block: following lines that are indented or blank.
      var block: [(Int, String)] = []
      var j = i + 1
      // PyYAML writes a list under a key without indenting it (`names:` then `- car`).
      while j < lines.count, lines[j].hasPrefix(" ") || lines[j].hasPrefix("\t") || lines[j].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
              || (rest.isEmpty && (lines[j].hasPrefix("- ") || lines[j] == "-")) {
        block.append((j, lines[j])); j += 1
      }
      i = j
      if rest.hasPrefix("|") || rest.hasPrefix(">") { out.entries.append((key, .scalar(""))); continue }   // block scalar: skipped
      if !rest.isEmpty {
        out.entries.append((key, try flowOrScalar(rest, line: keyLine, file: file)))
        continue
      }
      let content = block.map { ($0.0, stripComment($0.1).trimmingCharacters(in: .whitespaces)) }.filter { !$0.1.isEmpty }
      if content.isEmpty { out.entries.append((key, nil)); continue }
      if content.allSatisfy({ $0.1.hasPrefix("- ") || $0.1 == "-" }) {
        var items: [String] = []
        for (n, c) in content { items.append(try unquote(String(c.dropFirst(1)).trimmingCharacters(in: .whitespaces), line: n, file: file)) }
        out.entries.append((key, .list(items)))
      } else if content.allSatisfy({ keyColon($0.1) != nil }) {
        var pairs: [(String, String)] = []
        for (n, c) in content {
          let k = keyColon(c)!
          pairs.append((try unquote(String(c[..<k]).trimmingCharacters(in: .whitespaces), line: n, file: file),
                        try unquote(String(c[c.index(after: k)...]).trimmingCharacters(in: .whitespaces), line: n, file: file)))
        }
        out.entries.append((key, .map(pairs)))
      } else {
        out.entries.append((key, nil))   // a structure we do not read; only known keys are checked later
        out.unreadable.insert(key)
      }
    }
    return out
  }

  /// Keys whose block held something other than a list or a flat map.
  var unreadable = Set<String>()

  /// `[a, b]`, `{0: a, 1: b}` or a scalar.
  static func flowOrScalar(_ s: String, line: Int, file: String) throws(FormatError) -> Value {
    if s.hasPrefix("[") || s.hasPrefix("{") {
      guard s.hasSuffix(s.hasPrefix("[") ? "]" : "}") else {
        throw FormatError.invalid(file: file, place: "line \(line + 1)", message: "unterminated flow collection (multi-line flow collections are not supported)")
      }
      let items = try splitFlow(String(s.dropFirst().dropLast()), line: line, file: file)
      if s.hasPrefix("[") {
        var out: [String] = []
        for it in items { out.append(try unquote(it, line: line, file: file)) }
        return .list(out)
      }
      var pairs: [(String, String)] = []
      for it in items {
        guard let k = keyColon(it) else { throw FormatError.invalid(file: file, place: "line \(line + 1)", message: "expected 'key: value' in '{…}'") }
        pairs.append((try unquote(String(it[..<k]).trimmingCharacters(in: .whitespaces), line: line, file: file),
                      try unquote(String(it[it.index(after: k)...]).trimmingCharacters(in: .whitespaces), line: line, file: file)))
      }
      return .map(pairs)
    }
    return .scalar(try unquote(s, line: line, file: file))
  }

  /// Splits a flow collection's inside at top-level commas, respecting quotes.
  static func splitFlow(_ s: String, line: Int, file: String) throws(FormatError) -> [String] {
    var out: [String] = [], cur = "", quote: Character? = nil
    for c in s {
      if let q = quote { cur.append(c); if c == q { quote = nil }; continue }
      if c == "'" || c == "\"" { quote = c; cur.append(c); continue }
      if c == "[" || c == "{" { throw FormatError.invalid(file: file, place: "line \(line + 1)", message: "nested flow collections are not supported") }
      if c == "," { out.append(cur.trimmingCharacters(in: .whitespaces)); cur = ""; continue }
      cur.append(c)
    }
    let last = cur.trimmingCharacters(in: .whitespaces)
    if !last.isEmpty { out.append(last) }
    return out.filter { !$0.isEmpty }
  }

  /// The index of the `:` that ends a key (followed by a space or the end), outside quotes.
  static func keyColon(_ s: String) -> String.Index? {
    var quote: Character? = nil
    var idx = s.startIndex
    while idx < s.endIndex {
      let c = s[idx]
      if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else if c == ":" {
        let next = s.index(after: idx)
        if next == s.endIndex || s[next] == " " || s[next] == "\t" { return idx }
      }
      idx = s.index(after: idx)
    }
    return nil
  }

  /// Drops a `#` comment that starts the line or follows whitespace, outside quotes.
  static func stripComment(_ s: String) -> String {
    var quote: Character? = nil
    var prev: Character = " "
    var idx = s.startIndex
    while idx < s.endIndex {
      let c = s[idx]
      if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else if c == "#" && (prev == " " || prev == "\t") {
        return String(s[..<idx])
      }
      prev = c
      idx = s.index(after: idx)
    }
    return s
  }

  /// A scalar without its quotes; `'…'` doubles `'`, `"…"` takes backslash escapes.
  static func unquote(_ s: String, line: Int, file: String) throws(FormatError) -> String {
    func fail(_ m: String) -> FormatError { .invalid(file: file, place: "line \(line + 1)", message: m) }
    if s.hasPrefix("'") {
      guard s.count >= 2, s.hasSuffix("'") else { throw fail("unterminated quoted string") }
      return String(s.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
    }
    if s.hasPrefix("\"") {
      guard s.count >= 2, s.hasSuffix("\"") else { throw fail("unterminated quoted string") }
      var out = "", esc = false
      for c in s.dropFirst().dropLast() {
        if esc {
          switch c {
          case "n": out.append("\n")
          case "t": out.append("\t")
          case "\\", "\"", "/": out.append(c)
          default: throw fail("unsupported escape '\\\(c)'")
          }
          esc = false
        } else if c == "\\" { esc = true } else { out.append(c) }
      }
      return out
    }
    return s
  }

  /// Writes a scalar so `unquote` reads it back: plain when safe, else single-quoted.
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
