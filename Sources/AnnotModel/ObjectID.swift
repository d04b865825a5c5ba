/// The id of a stored object (a git SHA-1 today). Opaque bytes, so SHA-256 can come later.
public struct ObjectID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let bytes: [UInt8]
  public init(bytes: [UInt8]) { self.bytes = bytes }
  public init?(hex: String) {
    guard hex.utf8.count == 40 || hex.utf8.count == 64, let b = Hex.decode(hex) else { return nil }
    bytes = b
  }
  public var hex: String { Hex.encode(bytes) }
  public var short: String { String(hex.prefix(7)) }
  public var description: String { hex }
  public static func < (a: ObjectID, b: ObjectID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// Errors any object store may report, whatever its backend.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
  case notFound(String)
  case wrongKind(String, expected: String)
  public var description: String {
    switch self {
    case .notFound(let id): "object \(id) is missing from the object store"
    case let .wrongKind(id, expected): "object \(id) is not a \(expected)"
    }
  }
}

/// Reads blobs by id. Diff, merge, index and formats depend on this, never on libgit2.
public protocol ObjectReading {
  func blob(_ id: ObjectID) throws -> [UInt8]
}

/// One changed entry of a git tree diff: a path and its blob on each side (nil = absent).
public struct EntryChange: Sendable, Hashable {
  /// The tree path: `images/<path>`, `labels/<path>.json` or `annot.json`. Others are ignored.
  public var path: String
  /// The blob before, nil if the entry was added.
  public var oldBlob: ObjectID?
  /// The blob after, nil if the entry was deleted.
  public var newBlob: ObjectID?
  /// Creates an entry change.
  public init(path: String, oldBlob: ObjectID?, newBlob: ObjectID?) { self.path = path; self.oldBlob = oldBlob; self.newBlob = newBlob }
}
