// The canonical writer of JSON.swift's values: the one byte form annot stores and prints.

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
    case .number(let d): writeNumber(d, into: &out)
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
    o.keys.sorted(by: utf8Precedes)
  }

  /// `a.utf8.lexicographicallyPrecedes(b.utf8)`, over the strings' contiguous bytes: the generic
  /// form goes through an iterator per byte, and sorting the 200,000 file names of a 100k
  /// export manifest with it took a second and a half on one core.
  public static func utf8Precedes(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { pa in
      b.withUTF8 { pb in
        let n = min(pa.count, pb.count)
        var i = 0
        while i < n {
          if pa[i] != pb[i] { return pa[i] < pb[i] }
          i += 1
        }
        return pa.count < pb.count
      }
    }
  }

  public static func writeString(_ s: String, into out: inout [UInt8]) {
    out.append(0x22)
    // Most strings need no escape: copy them whole.
    let plain = s.utf8.withContiguousStorageIfAvailable { buf -> Bool in
      guard !buf.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
      out.append(contentsOf: buf)
      return true
    }
    if plain == true { out.append(0x22); return }
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
