import AnnotModel

typealias AnnotModelJSON = JSONValue
enum CanonicalJSONBridge {
  static func string(_ v: JSONValue) -> String { CanonicalJSON.string(v) }
}

extension JSONValue {
  static func str(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
  static func int(_ i: Int) -> JSONValue { .number(Double(i)) }
}
