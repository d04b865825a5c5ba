import AnnotModel

/// How a folder with many entries is spread over git trees (Docs/FORMAT.md, "Large folders").
///
/// A folder of 1M images stored as one git tree is a 40 MB object, and every commit that changes
/// one entry writes all of it again. So a folder holding more than `limit` entries is stored as up
/// to 16 subtrees named `@0` … `@f`, chosen by the first hex digit of the SHA-1 of each entry's
/// name; a bucket that still holds more than `limit` entries is split the same way by the next
/// digit, and so on. A change then rewrites one small leaf and the few buckets above it, so what a
/// commit adds grows with what changed, not with the folder (the reason git notes fan out).
///
/// The shape depends only on the set of names in the folder, never on history: the same content
/// gives the same tree id however it was reached, so identical subtrees still compare by id.
/// Readers need no threshold: a tree whose entries are all directories named `@<hex digit>` is a
/// fan-out node, and its buckets' entries are the folder's. Dataset paths may not contain such a
/// component (`DatasetPath.validate`), so the reading is unambiguous.
public enum FanOut {
  /// The most entries a tree node holds directly.
  public static let limit = 64
  /// A node this deep (all 40 hex digits of the name's hash used) is never split further.
  public static let maxDepth = 40

  /// Whether `name` is a bucket name: `@` and one lowercase hex digit.
  public static func isBucketName<C: Collection>(_ name: C) -> Bool where C.Element == UInt8 {
    guard name.count == 2, name.first == UInt8(ascii: "@"), let d = name.dropFirst().first else { return false }
    return (0x30...0x39).contains(d) || (0x61...0x66).contains(d)
  }

  /// The bucket name for digit `d` (0…15).
  public static func bucketName(_ d: Int) -> String { "@" + String(d, radix: 16) }

  /// The 40 hex digits (as values 0…15) of the SHA-1 of `name`'s UTF-8 bytes.
  public static func digits<C: Collection>(of name: C) -> [UInt8] where C.Element == UInt8 {
    let h = SHA1.hash(Array(name))
    var out = [UInt8](repeating: 0, count: 40)
    for (i, b) in h.enumerated() { out[2 * i] = b >> 4; out[2 * i + 1] = b & 15 }
    return out
  }

  /// The first 16 digits of the name's hash, as one number (digit 0 in the top four bits).
  static func hashPrefix(of name: [UInt8]) -> UInt64 {
    name.withUnsafeBytes { SHA1.prefix64($0) }
  }

  static func hashPrefix(of name: String) -> UInt64 {
    var name = name
    return name.withUTF8 { SHA1.prefix64(UnsafeRawBufferPointer($0)) }
  }

  /// The digit (0…15) that places `name` under a node at `depth`.
  public static func digit(of name: String, depth: Int) -> Int { Int(digits(of: name.utf8)[depth]) }
}
