// The filter language of `annot query`, parsed into an expression tree and compiled to
// parameterised SQL. Grammar (Docs/INDEX.md has the full reference):
//
//   expr       := or
//   or         := and (("or" | "||") and)*
//   and        := unary (("and" | "&&") unary)*
//   unary      := ("not" | "!") unary | primary
//   primary    := "(" expr ")" | "true" | "false" | count | comparison
//   count      := "count" "(" [expr] ")" op number
//   comparison := field op value
//   op         := "==" | "=" | "!=" | "<" | "<=" | ">" | ">=" | "~"      ("~" is a glob match)
//   value      := string | number | "true" | "false"
//
// User text only ever becomes bound parameters; field names map to a fixed set of SQL
// expressions, and attribute names are bound as JSON paths.

/// A filter expression that failed to parse, with its 1-based line and column.
public struct QueryParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var message: String
  public init(line: Int, column: Int, message: String) { self.line = line; self.column = column; self.message = message }
  /// `query:LINE:COLUMN: message`, like a compiler diagnostic.
  public var description: String { "query:\(line):\(column): \(message)" }
}

/// A parsed filter over annotations and their images, e.g.
/// `label == "person" and area < 32*32` is written `label == "person" and area < 1024`.
public struct AnnotQuery: Sendable, Equatable, CustomStringConvertible {
  /// The text it was parsed from.
  public let source: String
  let root: QueryExpr

  /// Parses `source`; throws with the line and column where parsing failed.
  public init(_ source: String) throws(QueryParseError) {
    self.source = source
    var p = QueryParser(try QueryLexer.tokens(source))
    root = try p.parseAll()
  }

  public var description: String { source }

  /// True if the filter looks at single annotations (outside `count(…)`), so an image matches
  /// through its annotations; false if it only looks at image-level fields and counts.
  public var isAnnotationLevel: Bool { root.mentionsAnnotationFields }

  /// True if the filter reads the image's row (an image field, `tags` or `count(…)`); a filter
  /// that does not is answered from the annotations alone.
  var readsImage: Bool { root.readsImage }
}

// MARK: - Tree

/// Fields a filter can name. Each maps to one fixed SQL expression.
enum QueryField: Sendable, Equatable {
  case label, kind, id, area, x, y, w, h, aspect, score, crowd, group, zOrder
  case attr(String)
  case path, split, mediaType, imageWidth, imageHeight, imageAttr(String), tags

  enum ValueType { case text, number, bool, any }

  static let names: [String: QueryField] = [
    "label": .label, "kind": .kind, "id": .id, "area": .area, "x": .x, "y": .y, "w": .w, "width": .w,
    "h": .h, "height": .h, "aspect": .aspect, "score": .score, "crowd": .crowd, "group": .group, "z_order": .zOrder,
    "path": .path, "image.path": .path, "split": .split, "image.split": .split, "media_type": .mediaType,
    "image.media_type": .mediaType, "image.width": .imageWidth, "image.height": .imageHeight, "tags": .tags, "tag": .tags,
  ]

  var isAnnotationField: Bool {
    switch self {
    case .label, .kind, .id, .area, .x, .y, .w, .h, .aspect, .score, .crowd, .group, .zOrder, .attr: true
    case .path, .split, .mediaType, .imageWidth, .imageHeight, .imageAttr, .tags: false
    }
  }

  var valueType: ValueType {
    switch self {
    case .label, .kind, .id, .path, .split, .mediaType, .tags: .text
    case .area, .x, .y, .w, .h, .aspect, .score, .group, .zOrder, .imageWidth, .imageHeight: .number
    case .crowd: .bool
    case .attr, .imageAttr: .any
    }
  }
}

enum QueryOp: String, Sendable, Equatable {
  case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", glob = "~"
  var sql: String {
    switch self {
    case .eq: "="
    case .ne: "!="
    case .lt: "<"
    case .le: "<="
    case .gt: ">"
    case .ge: ">="
    case .glob: "GLOB"
    }
  }
}

enum QueryLiteral: Sendable, Equatable {
  case string(String), number(Double), bool(Bool)
  var typeName: String {
    switch self {
    case .string: "a string"
    case .number: "a number"
    case .bool: "true or false"
    }
  }
}

indirect enum QueryExpr: Sendable, Equatable {
  case and(QueryExpr, QueryExpr)
  case or(QueryExpr, QueryExpr)
  case not(QueryExpr)
  case constant(Bool)
  case compare(QueryField, QueryOp, QueryLiteral)
  /// Number of annotations of the same image matching the inner filter (nil = all).
  case count(QueryExpr?, QueryOp, Double)

  var mentionsAnnotationFields: Bool {
    switch self {
    case .and(let a, let b), .or(let a, let b): a.mentionsAnnotationFields || b.mentionsAnnotationFields
    case .not(let a): a.mentionsAnnotationFields
    case .constant, .count: false
    case .compare(let f, _, _): f.isAnnotationField
    }
  }

  /// True if every match needs `label == …` (a conjunct of the filter, outside `count(…)`), so
  /// the label index can find the matches of one image by (label, doc).
  var requiresLabelEquality: Bool {
    switch self {
    case .and(let a, let b): a.requiresLabelEquality || b.requiresLabelEquality
    case .compare(.label, .eq, _): true
    default: false
    }
  }

  var readsImage: Bool {
    switch self {
    case .and(let a, let b), .or(let a, let b): a.readsImage || b.readsImage
    case .not(let a): a.readsImage
    case .constant: false
    case .count: true
    case .compare(let f, _, _): !f.isAnnotationField
    }
  }
}

// MARK: - Lexer

struct QueryToken: Equatable {
  enum Kind: Equatable { case word(String), string(String), number(Double), op(String), lparen, rparen, comma, end }
  var kind: Kind
  var line: Int
  var column: Int
  /// How the token looked in the source, for messages.
  var text: String
}

enum QueryLexer {
  static func tokens(_ source: String) throws(QueryParseError) -> [QueryToken] {
    let chars = Array(source.unicodeScalars)
    var out: [QueryToken] = []
    var i = 0, line = 1, col = 1
    func advance() {
      if chars[i] == "\n" { line += 1; col = 1 } else { col += 1 }
      i += 1
    }
    func isWordStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
    func isWord(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || ("0"..."9").contains(c) || c == "." || c == "-" }
    while i < chars.count {
      let c = chars[i]
      if c == " " || c == "\t" || c == "\n" || c == "\r" { advance(); continue }
      let startLine = line, startCol = col, start = i
      func token(_ k: QueryToken.Kind) -> QueryToken {
        QueryToken(kind: k, line: startLine, column: startCol, text: String(String.UnicodeScalarView(chars[start..<i])))
      }
      if c == "\"" || c == "'" {
        advance()
        var s = String.UnicodeScalarView()
        var closed = false
        while i < chars.count {
          let d = chars[i]
          if d == c { advance(); closed = true; break }
          if d == "\\" {
            advance()
            guard i < chars.count else { break }
            let e = chars[i]
            switch e {
            case "n": s.append("\n")
            case "t": s.append("\t")
            case "\\", "\"", "'": s.append(e)
            default:
              throw QueryParseError(line: line, column: col - 1, message: "unknown escape '\\\(e)' in string")
            }
            advance()
            continue
          }
          s.append(d)
          advance()
        }
        guard closed else { throw QueryParseError(line: startLine, column: startCol, message: "unterminated string") }
        out.append(token(.string(String(s))))
      } else if ("0"..."9").contains(c) || (c == "." && i + 1 < chars.count && ("0"..."9").contains(chars[i + 1])) {
        while i < chars.count, ("0"..."9").contains(chars[i]) || chars[i] == "." { advance() }
        if i < chars.count, chars[i] == "e" || chars[i] == "E" {
          advance()
          if i < chars.count, chars[i] == "+" || chars[i] == "-" { advance() }
          while i < chars.count, ("0"..."9").contains(chars[i]) { advance() }
        }
        let text = String(String.UnicodeScalarView(chars[start..<i]))
        guard let d = Double(text), d.isFinite else {
          throw QueryParseError(line: startLine, column: startCol, message: "malformed number '\(text)'")
        }
        out.append(token(.number(d)))
      } else if isWordStart(c) {
        while i < chars.count, isWord(chars[i]) { advance() }
        out.append(token(.word(String(String.UnicodeScalarView(chars[start..<i])))))
      } else {
        let two = i + 1 < chars.count ? String(String.UnicodeScalarView([c, chars[i + 1]])) : ""
        if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
          advance(); advance()
          out.append(token(.op(two)))
        } else if "=<>!~-".unicodeScalars.contains(c) {
          advance()
          out.append(token(.op(String(c))))
        } else if c == "(" { advance(); out.append(token(.lparen))
        } else if c == ")" { advance(); out.append(token(.rparen))
        } else if c == "," { advance(); out.append(token(.comma))
        } else {
          throw QueryParseError(line: line, column: col, message: "unexpected character '\(c)'")
        }
      }
    }
    out.append(QueryToken(kind: .end, line: line, column: col, text: "end of query"))
    return out
  }
}

// MARK: - Parser

struct QueryParser {
  let tokens: [QueryToken]
  var k = 0
  /// Nesting limit: deeper input is refused instead of risking the stack.
  static let maxDepth = 200

  init(_ tokens: [QueryToken]) { self.tokens = tokens }

  var current: QueryToken { tokens[k] }

  func fail(_ t: QueryToken, _ message: String) -> QueryParseError {
    QueryParseError(line: t.line, column: t.column, message: message)
  }

  static func describe(_ t: QueryToken) -> String { t.kind == .end ? "the end of the query" : "'\(t.text)'" }

  func isWord(_ w: String) -> Bool {
    if case .word(let s) = current.kind { return s.lowercased() == w }
    return false
  }
  func isOp(_ o: String) -> Bool {
    if case .op(let s) = current.kind { return s == o }
    return false
  }

  mutating func parseAll() throws(QueryParseError) -> QueryExpr {
    if current.kind == .end { throw fail(current, "empty query; write 'true' to match everything") }
    let e = try parseOr(depth: 0)
    guard current.kind == .end else {
      throw fail(current, "unexpected \(Self.describe(current)); expected 'and', 'or' or the end of the query")
    }
    return e
  }

  mutating func parseOr(depth: Int) throws(QueryParseError) -> QueryExpr {
    var e = try parseAnd(depth: depth)
    while isWord("or") || isOp("||") {
      k += 1
      e = .or(e, try parseAnd(depth: depth))
    }
    return e
  }

  mutating func parseAnd(depth: Int) throws(QueryParseError) -> QueryExpr {
    var e = try parseUnary(depth: depth)
    while isWord("and") || isOp("&&") {
      k += 1
      e = .and(e, try parseUnary(depth: depth))
    }
    return e
  }

  mutating func parseUnary(depth: Int) throws(QueryParseError) -> QueryExpr {
    guard depth < Self.maxDepth else { throw fail(current, "expression nested too deeply") }
    if isWord("not") || isOp("!") {
      k += 1
      return .not(try parseUnary(depth: depth + 1))
    }
    return try parsePrimary(depth: depth + 1)
  }

  mutating func parsePrimary(depth: Int) throws(QueryParseError) -> QueryExpr {
    let t = current
    switch t.kind {
    case .lparen:
      k += 1
      let e = try parseOr(depth: depth)
      guard current.kind == .rparen else {
        throw fail(current, "expected ')' to close the '(' at column \(t.column), found \(Self.describe(current))")
      }
      k += 1
      return e
    case .word(let w):
      let lower = w.lowercased()
      if lower == "true" || lower == "false" { k += 1; return .constant(lower == "true") }
      if lower == "count" && tokens[k + 1].kind == .lparen { return try parseCount(depth: depth) }
      if ["and", "or", "not"].contains(lower) { throw fail(t, "expected a field before '\(w)'") }
      let field = try parseField(t, w)
      k += 1
      let op = try parseOp(after: t)
      let opToken = tokens[k - 1]
      let value = try parseValue(after: opToken)
      try typeCheck(field, op, value, fieldToken: t, opToken: opToken, valueToken: tokens[k - 1])
      return .compare(field, op, value)
    case .end:
      throw fail(t, "expected a filter, found the end of the query")
    default:
      throw fail(t, "expected a field, 'not', 'count(' or '(', found \(Self.describe(t))")
    }
  }

  func parseField(_ t: QueryToken, _ w: String) throws(QueryParseError) -> QueryField {
    if let f = QueryField.names[w] { return f }
    for (prefix, make) in [("image.attr.", QueryField.imageAttr), ("attr.", QueryField.attr)] where w.hasPrefix(prefix) {
      let name = String(w.dropFirst(prefix.count))
      guard !name.isEmpty else { throw fail(t, "expected an attribute name after '\(prefix)'") }
      return make(name)
    }
    let known = QueryField.names.keys.sorted().joined(separator: ", ")
    throw fail(t, "unknown field '\(w)'; known: \(known), attr.NAME, image.attr.NAME, count(…)")
  }

  mutating func parseOp(after field: QueryToken) throws(QueryParseError) -> QueryOp {
    let t = current
    if case .op(let o) = t.kind {
      let op: QueryOp? = switch o {
      case "==", "=": .eq
      case "!=": .ne
      case "<": .lt
      case "<=": .le
      case ">": .gt
      case ">=": .ge
      case "~": .glob
      default: nil
      }
      if let op { k += 1; return op }
    }
    throw fail(t, "expected a comparison (==, !=, <, <=, >, >=, ~) after '\(field.text)', found \(Self.describe(t))")
  }

  mutating func parseValue(after op: QueryToken) throws(QueryParseError) -> QueryLiteral {
    let t = current
    switch t.kind {
    case .string(let s): k += 1; return .string(s)
    case .number(let d): k += 1; return .number(d)
    case .op("-"):
      if case .number(let d) = tokens[k + 1].kind { k += 2; return .number(-d) }
    case .word(let w) where w.lowercased() == "true" || w.lowercased() == "false":
      k += 1
      return .bool(w.lowercased() == "true")
    default: break
    }
    throw fail(t, "expected a value after '\(op.text)'")
  }

  func typeCheck(_ f: QueryField, _ op: QueryOp, _ v: QueryLiteral,
                 fieldToken: QueryToken, opToken: QueryToken, valueToken: QueryToken) throws(QueryParseError) {
    let name = fieldToken.text
    if f.valueType == .number, op == .glob { throw fail(opToken, "'~' matches text; '\(name)' is a number") }
    if op == .glob, case .string = v {} else if op == .glob {
      throw fail(valueToken, "'~' matches a glob pattern; expected a string after '~'")
    }
    switch (f.valueType, v) {
    case (.text, .string), (.number, .number), (.bool, .bool), (.any, _): break
    case (.text, _): throw fail(valueToken, "'\(name)' is text; expected a string, found \(v.typeName)")
    case (.number, _): throw fail(valueToken, "'\(name)' is a number; expected a number, found \(v.typeName)")
    case (.bool, _): throw fail(valueToken, "'\(name)' is true or false; expected true or false, found \(v.typeName)")
    }
    if case .bool = v, op != .eq && op != .ne {
      throw fail(opToken, "true and false compare only with == and !=")
    }
    if f == .tags, op != .eq && op != .ne && op != .glob {
      throw fail(opToken, "'tags' compares only with ==, != and ~")
    }
  }

  mutating func parseCount(depth: Int) throws(QueryParseError) -> QueryExpr {
    let countToken = current
    k += 2  // "count" "("
    var inner: QueryExpr? = nil
    if current.kind != .rparen { inner = try parseOr(depth: depth) }
    guard current.kind == .rparen else {
      throw fail(current, "expected ')' to close 'count(', found \(Self.describe(current))")
    }
    k += 1
    let op = try parseOp(after: QueryToken(kind: .word("count"), line: countToken.line, column: countToken.column, text: "count(…)"))
    let opToken = tokens[k - 1]
    let value = try parseValue(after: opToken)
    guard case .number(let n) = value else {
      throw fail(tokens[k - 1], "count(…) is a number; expected a number, found \(value.typeName)")
    }
    guard op != .glob else { throw fail(opToken, "'~' matches text; count(…) is a number") }
    return .count(inner, op, n)
  }
}
