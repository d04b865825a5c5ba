// Scanning without building: the top level of a huge object (COCO) and the members of one
// element, so that callers parse elements a batch at a time. The parser is in JSON.swift.

extension JSONParser {
  /// At a `[`: skips every element (checking only strings and nesting) through the closing `]`
  /// and returns the byte range of each.
  mutating func elementRanges() throws(JSONSyntaxError) -> [Range<Int>] {
    i += 1
    skipWhitespace()
    var ranges: [Range<Int>] = []
    if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return ranges }
    while true {
      skipWhitespace()
      let s = i
      try skipValue()
      ranges.append(s..<i)
      skipWhitespace()
      guard i < b.count else { throw error("unexpected end of input in array") }
      if b[i] == UInt8(ascii: ",") { i += 1; continue }
      if b[i] == UInt8(ascii: "]") { i += 1; return ranges }
      throw error("expected ',' or ']' in array")
    }
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
            let ranges = try p.elementRanges()
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
      return try p.parseToEnd(depth: 1)
    }
  }

  /// Parses the one JSON value that is the whole of `buf` as an element of a larger document
  /// (nesting counted from 1, as `parse(_:in:)` does). Line and column of an error count from the
  /// start of `buf`: callers that read the element out of a larger file ask `parse(_:in:)` over
  /// the whole file for the error they show.
  public static func parseElement(_ buf: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
    var p = JSONParser(buf)
    return try p.parseToEnd(depth: 1)
  }

  /// The values of two integer members of the object that is the whole of `buf` (COCO's `id` and
  /// `image_id`), by `JSONValue.intValue`'s rule, without building anything; the other members
  /// are skipped. nil when `buf` is not an object, either member is missing, repeated or not an
  /// integer, or anything does not parse: callers then parse in full for the exact error.
  public static func integerMembers(_ a: StaticString, _ b: StaticString, of buf: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
    var p = JSONParser(buf)
    var va: Int?, vb: Int?
    func equals(_ s: StaticString, _ range: Range<Int>) -> Bool {
      guard s.utf8CodeUnitCount == range.count else { return false }
      for k in 0..<range.count where s.utf8Start[k] != buf[range.lowerBound + k] { return false }
      return true
    }
    p.skipWhitespace()
    guard p.i < buf.count, buf[p.i] == UInt8(ascii: "{") else { return nil }
    p.i += 1
    do {
      while true {
        p.skipWhitespace()
        guard p.i < buf.count else { return nil }
        if buf[p.i] == UInt8(ascii: "}") { break }
        guard buf[p.i] == UInt8(ascii: "\"") else { return nil }
        // Keys without escapes are compared as bytes; any other key cannot be `a` or `b` unless it
        // decodes to it, so it is decoded.
        let keyStart = p.i + 1
        var j = keyStart
        while j < buf.count, buf[j] != UInt8(ascii: "\""), buf[j] != UInt8(ascii: "\\") { j += 1 }
        var which = 0
        if j < buf.count, buf[j] == UInt8(ascii: "\"") {
          which = equals(a, keyStart..<j) ? 1 : equals(b, keyStart..<j) ? 2 : 0
          p.i = j + 1
        } else {
          let key = try p.parseString()
          which = key == a.description ? 1 : key == b.description ? 2 : 0
        }
        p.skipWhitespace()
        guard p.i < buf.count, buf[p.i] == UInt8(ascii: ":") else { return nil }
        p.i += 1
        p.skipWhitespace()
        if which == 0 {
          try p.skipValue()
        } else {
          guard p.i < buf.count, buf[p.i] == UInt8(ascii: "-") || (buf[p.i] >= 0x30 && buf[p.i] <= 0x39) else { return nil }
          guard let v = JSONValue.number(try p.parseNumber()).intValue else { return nil }
          if which == 1 { guard va == nil else { return nil }; va = v } else { guard vb == nil else { return nil }; vb = v }
        }
        p.skipWhitespace()
        guard p.i < buf.count else { return nil }
        if buf[p.i] == UInt8(ascii: ",") { p.i += 1; continue }
        if buf[p.i] == UInt8(ascii: "}") { break }
        return nil
      }
    } catch { return nil }
    p.i += 1
    p.skipWhitespace()
    guard p.i == buf.count, let va, let vb else { return nil }
    return (va, vb)
  }

  /// The byte ranges of the elements of the array that is the whole of `bytes`, each checked for
  /// syntax but not built: callers parse one element at a time (`parse(_:in:)`), so a file of a
  /// million records never becomes one tree. Returns nil when the top level is not an array.
  public static func scanArray(_ bytes: [UInt8]) throws(JSONSyntaxError) -> [Range<Int>]? {
    try bytes.withUnsafeBufferPointer { buf throws(JSONSyntaxError) -> [Range<Int>]? in
      var p = JSONParser(buf)
      p.skipWhitespace()
      guard p.i < buf.count, buf[p.i] == UInt8(ascii: "[") else { return nil }
      let ranges = try p.elementRanges()
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
  mutating func skipValue() throws(JSONSyntaxError) {
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

  mutating func skipString() throws(JSONSyntaxError) {
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
}
