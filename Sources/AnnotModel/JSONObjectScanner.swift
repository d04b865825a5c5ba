// Finding the members of a huge top-level JSON object (a COCO file) in one pass over chunks of
// it, so the file is never held whole: callers read what they need again by offset.

/// Where the members of a top-level JSON object are, by byte offset, and for the arrays named
/// in `arrays` where each element is.
public struct JSONObjectLayout: Sendable {
  public struct Member: Sendable {
    public var key: String
    /// The bytes of the value, from its first to its last byte.
    public var value: Range<Int>
    /// For a member named in `arrays` whose value is an array: each element's bytes.
    public var elements: [Range<Int>]?
  }
  public var members: [Member]
}

/// Scans a top-level JSON object fed in chunks of any size, with what `JSONParser.scanObject`
/// checks: the object's own syntax (keys, colons, commas, no duplicate keys), and of every value
/// only its strings and nesting (the values are checked when they are parsed). It keeps no
/// bytes but the keys'.
///
/// The scanner only says whether the input looked as expected. When it did not (`feed` or
/// `finish` gives false or nil), the caller runs `JSONParser.scanObject` over the whole input for
/// the exact error and its line and column: a broken file is rare, and the reference reader then
/// decides, so the two can never disagree about what an error says.
public struct JSONObjectScanner {
  private enum Phase { case start, beforeKey, key, afterKey, beforeValue, value, afterValue, elementBefore, elementAfter, end }
  private enum Kind { case string, nested, scalar }
  private let arrays: Set<String>
  private var phase = Phase.start
  private var first = true
  private var offset = 0
  // The value being skipped.
  private var kind = Kind.scalar
  private var escaped = false
  private var inString = false
  private var depth = 0
  private var valueStart = 0
  private var inElements = false
  // The member being read.
  private var keyBytes: [UInt8] = []
  private var key = ""
  private var arrayStart = 0
  private var elements: [Range<Int>] = []
  private var keys = Set<String>()
  private var members: [JSONObjectLayout.Member] = []
  private var failed = false

  /// Keys longer than this are not expected in a file of this kind; the reference reader decides.
  static let maxKeyBytes = 4096

  public init(arrays: Set<String>) { self.arrays = arrays }

  /// Scans the next chunk; false once the input is not as expected (later calls do nothing).
  public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
    guard !failed else { return false }
    failed = !scan(chunk)
    offset += chunk.count
    return !failed
  }

  /// The layout, once the whole input was fed; nil if it ended early or was not as expected.
  public mutating func finish() -> JSONObjectLayout? {
    guard !failed, phase == .end else { return nil }
    return JSONObjectLayout(members: members)
  }

  private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

  private mutating func scan(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    let n = b.count
    while i < n {
      let c = b[i]
      switch phase {
      case .start:
        if Self.isSpace(c) { i += 1; continue }
        guard c == UInt8(ascii: "{") else { return false }
        phase = .beforeKey; first = true; i += 1
      case .beforeKey:
        if Self.isSpace(c) { i += 1; continue }
        if c == UInt8(ascii: "}") && first { phase = .end; i += 1; continue }
        guard c == UInt8(ascii: "\"") else { return false }
        keyBytes = [c]; escaped = false; phase = .key; i += 1
      case .key:
        // A key is copied byte by byte up to its closing quote, escapes and all; it is decoded
        // (and checked) by the strict parser when it ends.
        while i < n {
          let k = b[i]
          keyBytes.append(k); i += 1
          guard keyBytes.count <= Self.maxKeyBytes else { return false }
          if escaped { escaped = false; continue }
          if k == UInt8(ascii: "\\") { escaped = true; continue }
          if k == UInt8(ascii: "\"") {
            guard let decoded = JSONParser.decodeString(keyBytes), keys.insert(decoded).inserted else { return false }
            key = decoded
            phase = .afterKey
            break
          }
        }
      case .afterKey:
        if Self.isSpace(c) { i += 1; continue }
        guard c == UInt8(ascii: ":") else { return false }
        phase = .beforeValue; i += 1
      case .beforeValue:
        if Self.isSpace(c) { i += 1; continue }
        if c == UInt8(ascii: "[") && arrays.contains(key) {
          arrayStart = offset + i; elements = []; first = true; phase = .elementBefore; i += 1
          continue
        }
        guard startValue(c, at: offset + i, inElements: false) else { return false }
        if kind != .scalar { i += 1 }
      case .elementBefore:
        if Self.isSpace(c) { i += 1; continue }
        if c == UInt8(ascii: "]") && first {
          i += 1
          endArray(at: offset + i)
          continue
        }
        guard startValue(c, at: offset + i, inElements: true) else { return false }
        if kind != .scalar { i += 1 }
      case .value:
        switch kind {
        case .string:
          while i < n {
            let k = b[i]; i += 1
            if escaped { escaped = false } else if k == UInt8(ascii: "\\") { escaped = true } else if k == UInt8(ascii: "\"") { endValue(at: offset + i); break }
          }
        case .nested:
          while i < n {
            let k = b[i]; i += 1
            if inString {
              if escaped { escaped = false } else if k == UInt8(ascii: "\\") { escaped = true } else if k == UInt8(ascii: "\"") { inString = false }
              continue
            }
            switch k {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
              depth += 1
              if depth > JSONParser.maxDepth { return false }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
              depth -= 1
              if depth == 0 { endValue(at: offset + i) }
            default: break
            }
            if phase != .value { break }
          }
        case .scalar:
          while i < n {
            let k = b[i]
            if k == UInt8(ascii: ",") || k == UInt8(ascii: "]") || k == UInt8(ascii: "}") || Self.isSpace(k) { endValue(at: offset + i); break }
            i += 1
          }
        }
      case .elementAfter:
        if Self.isSpace(c) { i += 1; continue }
        if c == UInt8(ascii: ",") { first = false; phase = .elementBefore; i += 1; continue }
        guard c == UInt8(ascii: "]") else { return false }
        i += 1
        endArray(at: offset + i)
      case .afterValue:
        if Self.isSpace(c) { i += 1; continue }
        if c == UInt8(ascii: ",") { first = false; phase = .beforeKey; i += 1; continue }
        guard c == UInt8(ascii: "}") else { return false }
        phase = .end; i += 1
      case .end:
        guard Self.isSpace(c) else { return false }
        i += 1
      }
    }
    return true
  }

  private mutating func startValue(_ c: UInt8, at position: Int, inElements: Bool) -> Bool {
    self.inElements = inElements
    valueStart = position
    escaped = false
    switch c {
    case UInt8(ascii: "\""): kind = .string
    case UInt8(ascii: "{"), UInt8(ascii: "["): kind = .nested; depth = 1; inString = false
    case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ":"): return false
    default: kind = .scalar
    }
    phase = .value
    return true
  }

  private mutating func endValue(at end: Int) {
    if inElements {
      elements.append(valueStart..<end)
      phase = .elementAfter
    } else {
      members.append(.init(key: key, value: valueStart..<end, elements: nil))
      phase = .afterValue
    }
  }

  private mutating func endArray(at end: Int) {
    members.append(.init(key: key, value: arrayStart..<end, elements: elements))
    elements = []
    phase = .afterValue
  }
}

extension JSONParser {
  /// The string a JSON string literal's bytes (quotes included) stand for, with the strict
  /// parser's checks; nil when they are not exactly one valid string.
  public static func decodeString(_ literal: [UInt8]) -> String? {
    literal.withUnsafeBufferPointer { buf -> String? in
      var p = JSONParser(buf)
      guard buf.count >= 2, buf[0] == UInt8(ascii: "\""), let s = try? p.parseString(), p.i == buf.count else { return nil }
      return s
    }
  }
}
