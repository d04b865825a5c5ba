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
      return try p.parseToEnd(depth: 0)
    }
  }

  /// The one value from here to the end of the buffer, whitespace around it allowed.
  mutating func parseToEnd(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    skipWhitespace()
    let v = try parseValue(depth: depth)
    skipWhitespace()
    if i < b.count { throw error("unexpected data after the JSON value") }
    return v
  }

  public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    try parse(Array(text.utf8))
  }

  // Internal, not private: JSONParser+Scan.swift reads them.
  let b: UnsafeBufferPointer<UInt8>
  var i = 0

  init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

  func error(_ message: String) -> JSONSyntaxError {
    var line = 1, col = 1, k = 0
    let end = min(i, b.count)
    while k < end {
      if b[k] == 0x0A { line += 1; col = 1 } else if b[k] & 0xC0 != 0x80 { col += 1 }
      k += 1
    }
    return JSONSyntaxError(message: message, line: line, column: col)
  }

  mutating func skipWhitespace() {
    while i < b.count {
      switch b[i] {
      case 0x20, 0x09, 0x0A, 0x0D: i += 1
      default: return
      }
    }
  }

  mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
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

  mutating func parseNumber() throws(JSONSyntaxError) -> Double {
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

  mutating func parseString() throws(JSONSyntaxError) -> String {
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
