import Foundation
import AnnotModel

/// A JSON value together with the file it came from and its place in it, so every type
/// error becomes `FormatError.invalid(file:place:message:)` without bookkeeping at call sites.
struct JSONNode {
  let value: JSONValue
  let file: String
  let place: String

  /// Parses `bytes`; a syntax error names the line and column.
  static func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> JSONNode {
    do {
      return JSONNode(value: try JSONParser.parse(bytes), file: file, place: "")
    } catch {
      throw FormatError.invalid(file: file, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
    }
  }

  func fail(_ message: String) -> FormatError { .invalid(file: file, place: place, message: message) }

  /// The node at `key`, nil if absent or null.
  func optional(_ key: String) -> JSONNode? {
    guard case .object(let o) = value, let v = o[key], !v.isNull else { return nil }
    return JSONNode(value: v, file: file, place: place.isEmpty ? key : "\(place).\(key)")
  }
  /// The node at `key`; throws if absent.
  func required(_ key: String) throws(FormatError) -> JSONNode {
    guard let n = optional(key) else {
      throw FormatError.invalid(file: file, place: place.isEmpty ? key : "\(place).\(key)", message: "missing")
    }
    return n
  }
  /// The same value under another place name (e.g. `annotations[3] (id 7)`).
  func renamed(_ newPlace: String) -> JSONNode { JSONNode(value: value, file: file, place: newPlace) }

  func object() throws(FormatError) -> [String: JSONValue] {
    guard case .object(let o) = value else { throw fail("expected an object, found \(value.typeName)") }
    return o
  }
  func array() throws(FormatError) -> [JSONNode] {
    guard case .array(let a) = value else { throw fail("expected an array, found \(value.typeName)") }
    return a.enumerated().map { JSONNode(value: $1, file: file, place: "\(place)[\($0)]") }
  }
  func string() throws(FormatError) -> String {
    guard case .string(let s) = value else { throw fail("expected a string, found \(value.typeName)") }
    return s
  }
  func number() throws(FormatError) -> Double {
    guard case .number(let d) = value else { throw fail("expected a number, found \(value.typeName)") }
    guard d.isFinite else { throw fail("number is not finite") }
    return d
  }
  func int() throws(FormatError) -> Int {
    let d = try number()
    guard let i = JSONValue.number(d).intValue else { throw fail("expected an integer, found \(CanonicalJSON.number(d))") }
    return i
  }
  func bool() throws(FormatError) -> Bool {
    guard case .bool(let b) = value else { throw fail("expected true or false, found \(value.typeName)") }
    return b
  }
  func numbers() throws(FormatError) -> [Double] {
    var out: [Double] = []
    for e in try array() { out.append(try e.number()) }
    return out
  }
  /// An attribute object: values must be booleans, numbers or strings.
  func attributes() throws(FormatError) -> [String: AttributeValue] {
    var out: [String: AttributeValue] = [:]
    for (k, v) in try object() {
      switch v {
      case .bool(let b): out[k] = .bool(b)
      case .number(let d): out[k] = .number(d)
      case .string(let s): out[k] = .string(s)
      default:
        throw FormatError.invalid(file: file, place: "\(place).\(k)", message: "attribute values are booleans, numbers or strings, found \(v.typeName)")
      }
    }
    return out
  }
}
