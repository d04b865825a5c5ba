// A small JSON value type with a strict parser and a canonical writer.
//
// Why not Foundation's JSONSerialization/Codable: annot needs (1) byte-stable output with
// one number formatting and sorted keys, (2) errors that name the line and column, and
// (3) duplicate keys and non-finite numbers rejected. Foundation gives none of the three.

/// A parsed JSON value. Objects keep their keys in a dictionary; the writer sorts them.
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }
  public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
  public var doubleValue: Double? { if case .number(let d) = self { return d }; return nil }
  public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
  public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
  public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
  public var isNull: Bool { if case .null = self { return true }; return false }
  /// The number as an exact integer, if it is one.
  public var intValue: Int? {
    guard case .number(let d) = self, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
    return Int(d)
  }
  /// A short name of the value's JSON type, for error messages.
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .number: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }
}

/// A JSON syntax error at a 1-based line and column.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var line: Int
  public var column: Int
  public var description: String { "line \(line), column \(column): \(message)" }
}

/// Strict RFC 8259 parser over UTF-8 bytes.
public struct JSONParser {
  /// Nesting deeper than this is refused rather than risking the stack.
  public static let maxDepth = 512

  public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
    try bytes.withUnsafeBufferPointer { buf throws(JSONSyntaxError) in
      var p = JSONParser(buf)
      p.skipWhitespace()
      let v = try p.parseValue(depth: 0)
      p.skipWhitespace()
      if p.i < buf.count { throw p.error("unexpected data after the JSON value") }
      return v
    }
  }

  public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    try parse(Array(text.utf8))
  }

  /// Scans a top-level object without building the elements of the arrays named in `arrays`
  /// (COCO's `images` and `annotations`): returns the object, where those keys hold empty arrays,
  /// and the byte range of each of their elements, so that callers parse the elements a batch at
  /// a time on several cores (`parse(_:in:)`) instead of holding a tree of millions of values.
  /// The scan only skips over elements (strings, nesting); their syntax is checked when parsed.
  public static func scanObject(_ bytes: [UInt8], arrays: Set<String>) throws(JSONSyntaxError)
    -> (object: JSONValue, elements: [String: [Range<Int>]]) {
    try bytes.withUnsafeBufferPointer { buf throws(JSONSyntaxError) in
      var p = JSONParser(buf)
      p.skipWhitespace()
      guard p.i < buf.count else { throw p.error("unexpected end of input") }
      guard buf[p.i] == UInt8(ascii: "{") else {
        _ = try p.parseValue(depth: 0)
        p.skipWhitespace()
        if p.i < buf.count { throw p.error("unexpected data after the JSON value") }
        throw p.error("expected an object")
      }
      p.i += 1
      var dict: [String: JSONValue] = [:]
      var elements: [String: [Range<Int>]] = [:]
      p.skipWhitespace()
      if p.i < buf.count, buf[p.i] == UInt8(ascii: "}") { p.i += 1 } else {
        while true {
          p.skipWhitespace()
          guard p.i < buf.count, buf[p.i] == UInt8(ascii: "\"") else { throw p.error("expected a string key") }
          let keyStart = p.i
          let key = try p.parseString()
          p.skipWhitespace()
          guard p.i < buf.count, buf[p.i] == UInt8(ascii: ":") else { throw p.error("expected ':' after key") }
          p.i += 1
          p.skipWhitespace()
          if dict[key] != nil { p.i = keyStart; throw p.error("duplicate key \"\(key)\"") }
          if arrays.contains(key), p.i < buf.count, buf[p.i] == UInt8(ascii: "[") {
            p.i += 1
            p.skipWhitespace()
            var ranges: [Range<Int>] = []
            if p.i < buf.count, buf[p.i] == UInt8(ascii: "]") { p.i += 1 } else {
              while true {
                p.skipWhitespace()
                let s = p.i
                try p.skipValue()
                ranges.append(s..<p.i)
                p.skipWhitespace()
                guard p.i < buf.count else { throw p.error("unexpected end of input in array") }
                if buf[p.i] == UInt8(ascii: ",") { p.i += 1; continue }
                if buf[p.i] == UInt8(ascii: "]") { p.i += 1; break }
                throw p.error("expected ',' or ']' in array")
              }
            }
            dict[key] = .array([])
            elements[key] = ranges
          } else {
            dict[key] = try p.parseValue(depth: 1)
          }
          p.skipWhitespace()
          guard p.i < buf.count else { throw p.error("unexpected end of input in object") }
          if buf[p.i] == UInt8(ascii: ",") { p.i += 1; continue }
          if buf[p.i] == UInt8(ascii: "}") { p.i += 1; break }
          throw p.error("expected ',' or '}' in object")
        }
      }
      p.skipWhitespace()
      if p.i < buf.count { throw p.error("unexpected data after the JSON value") }
      return (.object(dict), elements)
    }
  }

  /// Parses the one JSON value in `bytes[range]` (an element found by `scanObject`); errors give
  /// the line and column in the whole of `bytes`.
  public static func parse(_ bytes: [UInt8], in range: Range<Int>) throws(JSONSyntaxError) -> JSONValue {
    try bytes.withUnsafeBufferPointer { whole throws(JSONSyntaxError) in
      let buf = UnsafeBufferPointer(rebasing: whole[..<range.upperBound])
      var p = JSONParser(buf)
      p.i = range.lowerBound
      p.skipWhitespace()
      let v = try p.parseValue(depth: 1)
      p.skipWhitespace()
      if p.i < buf.count { throw p.error("unexpected data after the JSON value") }
      return v
    }
  }

  /// The byte ranges of the elements of the array that is the whole of `bytes`, each checked for
  /// syntax but not built: callers parse one element at a time (`parse(_:in:)`), so a file of a
  /// million records never becomes one tree. Returns nil when the top level is not an array.
  public static func scanArray(_ bytes: [UInt8]) throws(JSONSyntaxError) -> [Range<Int>]? {
    try bytes.withUnsafeBufferPointer { buf throws(JSONSyntaxError) -> [Range<Int>]? in
      var p = JSONParser(buf)
      p.skipWhitespace()
      guard p.i < buf.count, buf[p.i] == UInt8(ascii: "[") else { return nil }
      p.i += 1
      var ranges: [Range<Int>] = []
      p.skipWhitespace()
      if p.i < buf.count, buf[p.i] == UInt8(ascii: "]") { p.i += 1 } else {
        while true {
          p.skipWhitespace()
          let s = p.i
          try p.skipValue()
          ranges.append(s..<p.i)
          p.skipWhitespace()
          guard p.i < buf.count else { throw p.error("unexpected end of input in array") }
          if buf[p.i] == UInt8(ascii: ",") { p.i += 1; continue }
          if buf[p.i] == UInt8(ascii: "]") { p.i += 1; break }
          throw p.error("expected ',' or ']' in array")
        }
      }
      p.skipWhitespace()
      if p.i < buf.count { throw p.error("unexpected data after the JSON value") }
      return ranges
    }
  }

  /// The values of `keys` in the object at `bytes[range]`, without building the rest of it (the
  /// other members are skipped). Returns nil when the range does not hold an object, so callers
  /// can fall back to a full parse for the exact error.
  public static func members(_ keys: [String], of bytes: [UInt8], in range: Range<Int>) -> [String: JSONValue]? {
    bytes.withUnsafeBufferPointer { whole -> [String: JSONValue]? in
      let buf = UnsafeBufferPointer(rebasing: whole[..<range.upperBound])
      var p = JSONParser(buf)
      p.i = range.lowerBound
      p.skipWhitespace()
      guard p.i < buf.count, buf[p.i] == UInt8(ascii: "{") else { return nil }
      p.i += 1
      var found: [String: JSONValue] = [:]
      do {
        while true {
          p.skipWhitespace()
          guard p.i < buf.count else { return nil }
          if buf[p.i] == UInt8(ascii: "}") { return found }
          guard buf[p.i] == UInt8(ascii: "\"") else { return nil }
          let key = try p.parseString()
          p.skipWhitespace()
          guard p.i < buf.count, buf[p.i] == UInt8(ascii: ":") else { return nil }
          p.i += 1
          p.skipWhitespace()
          if keys.contains(key) {
            guard found[key] == nil else { return nil }
            found[key] = try p.parseValue(depth: 1)
          } else {
            try p.skipValue()
          }
          p.skipWhitespace()
          guard p.i < buf.count else { return nil }
          if buf[p.i] == UInt8(ascii: ",") { p.i += 1; continue }
          if buf[p.i] == UInt8(ascii: "}") { return found }
          return nil
        }
      } catch { return nil }
    }
  }

  /// Moves past one value without building it: strings are skipped with their escapes and
  /// brackets counted; anything else runs to the next delimiter.
  private mutating func skipValue() throws(JSONSyntaxError) {
    guard i < b.count else { throw error("unexpected end of input") }
    switch b[i] {
    case UInt8(ascii: "\""): try skipString()
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      var depth = 0
      repeat {
        guard i < b.count else { throw error("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
          depth += 1
          if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth)") }
          i += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1; i += 1
        case UInt8(ascii: "\""): try skipString()
        default: i += 1
        }
      } while depth > 0
    case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ":"):
      throw error("unexpected character '\(Unicode.Scalar(b[i]))'")
    default:
      while i < b.count {
        switch b[i] {
        case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D: return
        default: i += 1
        }
      }
    }
  }

  private mutating func skipString() throws(JSONSyntaxError) {
    i += 1
    while i < b.count {
      switch b[i] {
      case UInt8(ascii: "\""): i += 1; return
      case UInt8(ascii: "\\"): i += 2
      default: i += 1
      }
    }
    throw error("unexpected end of input in string")
  }

  private let b: UnsafeBufferPointer<UInt8>
  private var i = 0

  private init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

  private func error(_ message: String) -> JSONSyntaxError {
    var line = 1, col = 1, k = 0
    let end = min(i, b.count)
    while k < end {
      if b[k] == 0x0A { line += 1; col = 1 } else if b[k] & 0xC0 != 0x80 { col += 1 }
      k += 1
    }
    return JSONSyntaxError(message: message, line: line, column: col)
  }

  private mutating func skipWhitespace() {
    while i < b.count {
      switch b[i] {
      case 0x20, 0x09, 0x0A, 0x0D: i += 1
      default: return
      }
    }
  }

  private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard i < b.count else { throw error("unexpected end of input") }
    if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth)") }
    switch b[i] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default: throw error("unexpected character '\(Unicode.Scalar(b[i]))'")
    }
  }

  private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
    let n = word.utf8CodeUnitCount
    guard i + n <= b.count else { throw error("unexpected end of input") }
    for k in 0..<n where b[i + k] != word.utf8Start[k] { throw error("invalid literal") }
    i += n
  }

  private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    i += 1
    var dict: [String: JSONValue] = [:]
    skipWhitespace()
    if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(dict) }
    while true {
      skipWhitespace()
      guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let keyStart = i
      let key = try parseString()
      skipWhitespace()
      guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':' after key") }
      i += 1
      skipWhitespace()
      let v = try parseValue(depth: depth + 1)
      if dict.updateValue(v, forKey: key) != nil {
        i = keyStart
        throw error("duplicate key \"\(key)\"")
      }
      skipWhitespace()
      guard i < b.count else { throw error("unexpected end of input in object") }
      if b[i] == UInt8(ascii: ",") { i += 1; continue }
      if b[i] == UInt8(ascii: "}") { i += 1; return .object(dict) }
      throw error("expected ',' or '}' in object")
    }
  }

  private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    i += 1
    var arr: [JSONValue] = []
    skipWhitespace()
    if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
    while true {
      skipWhitespace()
      arr.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard i < b.count else { throw error("unexpected end of input in array") }
      if b[i] == UInt8(ascii: ",") { i += 1; continue }
      if b[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
      throw error("expected ',' or ']' in array")
    }
  }

  private mutating func parseNumber() throws(JSONSyntaxError) -> Double {
    let start = i
    if b[i] == UInt8(ascii: "-") { i += 1 }
    func digits(_ p: inout JSONParser) -> Int {
      let s = p.i
      while p.i < p.b.count, p.b[p.i] >= 0x30, p.b[p.i] <= 0x39 { p.i += 1 }
      return p.i - s
    }
    guard i < b.count else { throw error("invalid number") }
    if b[i] == UInt8(ascii: "0") {
      i += 1
    } else if digits(&self) == 0 {
      throw error("invalid number")
    }
    var isInteger = true
    if i < b.count, b[i] == UInt8(ascii: ".") {
      isInteger = false
      i += 1
      if digits(&self) == 0 { throw error("invalid number: digits expected after '.'") }
    }
    if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
      isInteger = false
      i += 1
      if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
      if digits(&self) == 0 { throw error("invalid number: digits expected in exponent") }
    }
    // Fast path for short integers, the common case in annotation files.
    if isInteger, i - start <= 15 {
      var v: Int64 = 0
      var k = start
      let neg = b[k] == UInt8(ascii: "-")
      if neg { k += 1 }
      while k < i { v = v * 10 + Int64(b[k] - 0x30); k += 1 }
      return neg ? -Double(v) : Double(v)
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    guard let d = Double(text), d.isFinite else {
      let s = i; i = start
      defer { i = s }
      throw error("number out of range: \(text)")
    }
    return d
  }

  private mutating func parseString() throws(JSONSyntaxError) -> String {
    i += 1
    let start = i
    // Fast path: no escapes.
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        let s = UnsafeBufferPointer(rebasing: b[start..<i])
        i += 1
        guard let str = String(validating: s, as: UTF8.self) else {
          i = start
          throw error("string is not valid UTF-8")
        }
        return str
      }
      if c == UInt8(ascii: "\\") { break }
      if c < 0x20 { throw error("control character in string") }
      i += 1
    }
    var out = [UInt8](UnsafeBufferPointer(rebasing: b[start..<i]))
    while i < b.count {
      let c = b[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        guard let str = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return str
      }
      if c < 0x20 { throw error("control character in string") }
      if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
      i += 1
      guard i < b.count else { break }
      let e = b[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try hex4()
        if scalar >= 0xD800 && scalar < 0xDC00 {
          guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
            throw error("unpaired surrogate in \\u escape")
          }
          i += 2
          let low = try hex4()
          guard low >= 0xDC00 && low < 0xE000 else { throw error("invalid surrogate pair") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if scalar >= 0xDC00 && scalar < 0xE000 {
          throw error("unpaired surrogate in \\u escape")
        }
        guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
        out.append(contentsOf: Array(String(Character(u)).utf8))
      default:
        throw error("invalid escape '\\\(Unicode.Scalar(e))'")
      }
    }
    throw error("unterminated string")
  }

  private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    guard i + 4 <= b.count else { throw error("truncated \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let c = b[i]
      let d: UInt32
      switch c {
      case 0x30...0x39: d = UInt32(c - 0x30)
      case 0x41...0x46: d = UInt32(c - 0x41 + 10)
      case 0x61...0x66: d = UInt32(c - 0x61 + 10)
      default: throw error("invalid hex digit in \\u escape")
      }
      v = v << 4 | d
      i += 1
    }
    return v
  }
}

/// The canonical JSON writer: keys sorted by their UTF-8 bytes, one number formatting,
/// minimal string escaping, no insignificant whitespace unless a layout asks for it.
public enum CanonicalJSON {
  /// Formats a finite number: integers (|x| < 1e15) without a fraction, others in Swift's
  /// shortest round-trip form; -0 is written as 0. Callers must reject NaN and infinities.
  public static func number(_ d: Double) -> String {
    precondition(d.isFinite, "canonical JSON cannot hold a non-finite number")
    if d == 0 { return "0" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
  }

  public static func write(_ v: JSONValue, into out: inout [UInt8]) {
    switch v {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let x): out.append(contentsOf: (x ? "true" : "false").utf8)
    case .number(let d): out.append(contentsOf: number(d).utf8)
    case .string(let s): writeString(s, into: &out)
    case .array(let a):
      out.append(UInt8(ascii: "["))
      for (k, e) in a.enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        write(e, into: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let o):
      out.append(UInt8(ascii: "{"))
      for (k, key) in sortedKeys(o).enumerated() {
        if k > 0 { out.append(UInt8(ascii: ",")) }
        writeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        write(o[key]!, into: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  public static func encode(_ v: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    write(v, into: &out)
    return out
  }

  public static func string(_ v: JSONValue) -> String { String(decoding: encode(v), as: UTF8.self) }

  /// Keys in UTF-8 byte order (not Unicode collation, which differs across platforms).
  public static func sortedKeys(_ o: [String: JSONValue]) -> [String] {
    o.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  public static func writeString(_ s: String, into out: inout [UInt8]) {
    out.append(0x22)
    for c in s.utf8 {
      switch c {
      case 0x22: out.append(contentsOf: [0x5C, 0x22])
      case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
      case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
      default: out.append(c)
      }
    }
    out.append(0x22)
  }

  /// The document layout: a top-level object with one key per line; values compact, except
  /// arrays of objects, which get one element per line. Git's line diff then shows one
  /// changed annotation as one changed line.
  public static func writeDocumentLayout(_ v: JSONValue) -> [UInt8] {
    guard case .object(let o) = v else { var out = encode(v); out.append(0x0A); return out }
    var out: [UInt8] = [UInt8(ascii: "{"), 0x0A]
    let keys = sortedKeys(o)
    for (k, key) in keys.enumerated() {
      out.append(contentsOf: [0x20, 0x20])
      writeString(key, into: &out)
      out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
      let value = o[key]!
      if case .array(let items) = value, !items.isEmpty, items.allSatisfy({ $0.objectValue != nil }) {
        out.append(contentsOf: [UInt8(ascii: "["), 0x0A])
        for (j, item) in items.enumerated() {
          out.append(contentsOf: [0x20, 0x20, 0x20, 0x20])
          write(item, into: &out)
          if j < items.count - 1 { out.append(UInt8(ascii: ",")) }
          out.append(0x0A)
        }
        out.append(contentsOf: [0x20, 0x20, UInt8(ascii: "]")])
      } else {
        write(value, into: &out)
      }
      if k < keys.count - 1 { out.append(UInt8(ascii: ",")) }
      out.append(0x0A)
    }
    out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    return out
  }
}
