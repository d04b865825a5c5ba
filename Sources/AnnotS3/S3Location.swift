/// `s3://BUCKET/PREFIX`: a bucket and a key prefix (no leading or trailing `/`; may be empty).
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
  public var bucket: String
  public var prefix: String

  public init(bucket: String, prefix: String) {
    self.bucket = bucket
    self.prefix = prefix
  }

  /// Parses `s3://bucket[/prefix]`; nil when it is not one. Bucket names follow S3's rules
  /// (3–63 characters of lower-case letters, digits, `.` and `-`).
  public init?(url: String) {
    guard url.hasPrefix("s3://") else { return nil }
    let rest = url.dropFirst(5)
    let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let b = parts.first.map(String.init), (3...63).contains(b.count),
          b.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }) else { return nil }
    var p = parts.count > 1 ? String(parts[1]) : ""
    while p.hasSuffix("/") { p.removeLast() }
    guard !p.hasPrefix("/"), !p.contains("//") else { return nil }
    bucket = b
    prefix = p
  }

  public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

  /// `prefix/rest`, or `rest` when the prefix is empty.
  public func key(_ rest: String) -> String { prefix.isEmpty ? rest : prefix + "/" + rest }
}
