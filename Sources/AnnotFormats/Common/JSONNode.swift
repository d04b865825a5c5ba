import Foundation
import AnnotModel

/// A JSON value together with the file it came from and its place in it, so every type
/// error becomes `FormatError.invalid(file:place:message:)` without bookkeeping at call sites.
struct JSONNode {
  let value: JSONValue
  let file: String
  private let at: Place

  /// Where the node is, as errors print it: `annotations[3] (id 7).bbox`.
  var place: String { at.text }

  init(value: JSONValue, file: String, place: String) { self.init(value: value, file: file, at: Place(base: place)) }
  init(value: JSONValue, file: String, at: Place) { self.value = value; self.file = file; self.at = at }

  /// A place kept in parts and spelled out only when an error prints it: converting a million
  /// annotations asks for tens of millions of places and prints none of them.
  struct Place {
    var base: String
    var index: Int? = nil
    var id: Int? = nil
    var key: String? = nil
    var text: String {
      var s = base
      if let index { s += "[\(index)]" }
      if let id { s += " (id \(id))" }
      if let key { s = s.isEmpty ? key : s + "." + key }
      return s
    }
    func child(_ k: String) -> Place {
      if key == nil { var p = self; p.key = k; return p }
      return Place(base: text, key: k)
    }
    func element(_ i: Int) -> Place {
      if index == nil, id == nil, key == nil { var p = self; p.index = i; return p }
      return Place(base: text, index: i)
    }
    func withID(_ n: Int) -> Place {
      if id == nil, key == nil { var p = self; p.id = n; return p }
      return Place(base: text, id: n)
    }
  }

  /// Parses `bytes`; a syntax error names the line and column.
  static func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> JSONNode {
    do {
      return JSONNode(value: try JSONParser.parse(bytes), file: file, place: "")
    } catch {
      throw FormatError.invalid(file: file, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
    }
  }

  func fail(_ message: String) -> FormatError { .invalid(file: file, place: at.text, message: message) }

  /// The node at `key`, nil if absent or null.
  func optional(_ key: String) -> JSONNode? {
    guard case .object(let o) = value, let v = o[key], !v.isNull else { return nil }
    return JSONNode(value: v, file: file, at: at.child(key))
  }
  /// The node at `key`; throws if absent.
  func required(_ key: String) throws(FormatError) -> JSONNode {
    guard let n = optional(key) else {
      throw FormatError.invalid(file: file, place: at.child(key).text, message: "missing")
    }
    return n
  }
  /// The same value under another place name (e.g. `annotations[3] (id 7)`).
  func renamed(_ newPlace: String) -> JSONNode { JSONNode(value: value, file: file, place: newPlace) }
  /// The same value with the id it was given after its place: `annotations[3] (id 7)`.
  func withID(_ id: Int) -> JSONNode { JSONNode(value: value, file: file, at: at.withID(id)) }

  func object() throws(FormatError) -> [String: JSONValue] {
    guard case .object(let o) = value else { throw fail("expected an object, found \(value.typeName)") }
    return o
  }
  func array() throws(FormatError) -> [JSONNode] {
    guard case .array(let a) = value else { throw fail("expected an array, found \(value.typeName)") }
    return a.enumerated().map { JSONNode(value: $1, file: file, at: at.element($0)) }
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
    guard case .array(let a) = value else { throw fail("expected an array, found \(value.typeName)") }
    var out: [Double] = []
    out.reserveCapacity(a.count)
    for (i, e) in a.enumerated() {
      // A node (and its error) only for an element that is not a finite number.
      if case .number(let d) = e, d.isFinite { out.append(d) } else { out.append(try JSONNode(value: e, file: file, at: at.element(i)).number()) }
    }
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
