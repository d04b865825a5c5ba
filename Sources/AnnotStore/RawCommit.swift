import CGit2
import AnnotModel
import Foundation

/// A commit as its raw bytes say it: the tree, the parents, every other header line in order
/// (author, committer, extra fields such as `annot-real`; continuation lines stay with their
/// field) and the message bytes. The labels mirror rewrites commits through this value so
/// that the bytes it writes are exactly the ones it read, apart from what it changes.
public struct RawCommit: Sendable, Hashable {
  public var tree: ObjectID
  public var parents: [ObjectID]
  /// Header lines other than `tree` and `parent`, in their order.
  public var headers: [String]
  public var message: [UInt8]

  public init(tree: ObjectID, parents: [ObjectID], headers: [String], message: [UInt8]) {
    (self.tree, self.parents, self.headers, self.message) = (tree, parents, headers, message)
  }

  /// Parses raw commit bytes. Nil when there is no valid `tree` line.
  public init?(parsing raw: [UInt8]) {
    var i = 0
    while i + 1 < raw.count, !(raw[i] == 0x0A && raw[i + 1] == 0x0A) { i += 1 }
    let head = String(decoding: raw[0..<min(i, raw.count)], as: UTF8.self)
    var lines: [String] = []
    for l in head.split(separator: "\n", omittingEmptySubsequences: false) {
      if l.hasPrefix(" "), !lines.isEmpty { lines[lines.count - 1] += "\n" + l } else { lines.append(String(l)) }
    }
    var tree: ObjectID?
    var parents: [ObjectID] = [], headers: [String] = []
    for l in lines {
      if l.hasPrefix("tree ") { tree = ObjectID(hex: String(l.dropFirst(5))) }
      else if l.hasPrefix("parent ") { guard let p = ObjectID(hex: String(l.dropFirst(7))) else { return nil }; parents.append(p) }
      else { headers.append(l) }
    }
    guard let tree else { return nil }
    self.init(tree: tree, parents: parents, headers: headers, message: Array(raw[min(i + 2, raw.count)...]))
  }

  /// The value of the first header line named `field`.
  public func header(_ field: String) -> String? {
    headers.first { $0.hasPrefix(field + " ") }.map { String($0.dropFirst(field.count + 1)) }
  }

  /// The raw bytes git stores: tree, parents, the other headers, a blank line, the message.
  public var bytes: [UInt8] {
    var head = "tree \(tree.hex)\n" + parents.map { "parent \($0.hex)\n" }.joined()
    for l in headers { head += l + "\n" }
    return Array(head.utf8) + [0x0A] + message
  }
}

extension GitRepository {
  /// The commit `id` parsed from its raw bytes.
  public func rawCommit(_ id: ObjectID) throws -> RawCommit {
    guard let c = RawCommit(parsing: try rawObject(id)) else { throw StoreError.wrongKind(id.hex, expected: "commit") }
    return c
  }

  /// Writes `commit` exactly as its bytes say.
  public func write(_ commit: RawCommit) throws -> ObjectID { try writeRawCommit(commit.bytes) }

  /// The raw bytes of an object (for commits: the header lines, a blank line, the message).
  public func rawObject(_ id: ObjectID) throws -> [UInt8] {
    try sync {
      var odb: OpaquePointer?
      try check("git_repository_odb", git_repository_odb(&odb, raw))
      defer { git_odb_free(odb) }
      var oid = id.git
      var obj: OpaquePointer?
      let rc = git_odb_read(&obj, odb, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(id.hex) }
      try check("git_odb_read", rc)
      defer { git_odb_object_free(obj) }
      let n = git_odb_object_size(obj)
      guard n > 0, let p = git_odb_object_data(obj) else { return [] }
      return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
  }

  /// Writes a commit object from its raw bytes (the caller built a valid header).
  public func writeRawCommit(_ bytes: [UInt8]) throws -> ObjectID {
    try sync {
      var odb: OpaquePointer?
      try check("git_repository_odb", git_repository_odb(&odb, raw))
      defer { git_odb_free(odb) }
      var out = git_oid()
      _ = try bytes.withUnsafeBytes { p in
        try check("git_odb_write", git_odb_write(&out, odb, p.baseAddress, p.count, GIT_OBJECT_COMMIT))
      }
      return ObjectID(out)
    }
  }
}
