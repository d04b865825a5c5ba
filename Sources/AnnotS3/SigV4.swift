import Foundation
import AnnotModel
import CCrypto

/// AWS Signature Version 4 for S3 requests, header form, over libcrypto's HMAC-SHA256.
///
/// Hand-written because no Swift package in the mirror signs requests without pulling in a whole
/// AWS SDK (and its own HTTP stack); the algorithm is short and fixed, and the tests check it
/// against AWS's published S3 examples (AKIAIOSFODNN7EXAMPLE). Reference:
/// "Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk".
public struct SigV4Signer: Sendable {
  public var credentials: S3Credentials
  public var region: String
  public var service = "s3"

  public init(credentials: S3Credentials, region: String) {
    self.credentials = credentials
    self.region = region
  }

  /// The payload hash S3 accepts when the body is not hashed (streamed uploads; integrity of
  /// image bytes is checked by their git blob id on download instead).
  public static let unsignedPayload = "UNSIGNED-PAYLOAD"
  /// SHA-256 of the empty body.
  public static let emptyPayload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

  /// The headers to add to a request: `x-amz-date`, `x-amz-content-sha256`,
  /// `x-amz-security-token` (with temporary credentials) and `authorization`.
  ///
  /// - Parameters:
  ///   - path: the request path as sent, already URI-encoded (S3 does not encode it twice).
  ///   - query: unencoded name/value pairs; they are encoded and sorted here.
  ///   - headers: every other header to sign (`host` is required), any case.
  ///   - payloadHash: hex SHA-256 of the body, or ``unsignedPayload``.
  public func sign(method: String, path: String, query: [(String, String)], headers: [String: String],
                   payloadHash: String, date: Date) -> [String: String] {
    let (amzDate, day) = Self.timestamps(date)
    var all: [String: String] = [:]
    for (k, v) in headers { all[k.lowercased()] = v }
    all["x-amz-date"] = amzDate
    all["x-amz-content-sha256"] = payloadHash
    if let token = credentials.sessionToken { all["x-amz-security-token"] = token }
    let names = all.keys.sorted()
    let canonicalHeaders = names.map { "\($0):\(Self.trimmed(all[$0]!))\n" }.joined()
    let signedHeaders = names.joined(separator: ";")
    let canonicalRequest = [method, path, Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash]
      .joined(separator: "\n")
    let scope = "\(day)/\(region)/\(service)/aws4_request"
    let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + SHA256.hex(Array(canonicalRequest.utf8))
    var key = Self.hmac(Array(("AWS4" + credentials.secretAccessKey).utf8), Array(day.utf8))
    for part in [region, service, "aws4_request"] { key = Self.hmac(key, Array(part.utf8)) }
    let signature = Hex.encode(Self.hmac(key, Array(stringToSign.utf8)))
    var out = ["x-amz-date": amzDate, "x-amz-content-sha256": payloadHash,
               "authorization": "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"]
    if let token = credentials.sessionToken { out["x-amz-security-token"] = token }
    return out
  }

  /// `name=value` pairs, both URI-encoded (`/` too), sorted by name then value.
  public static func canonicalQuery(_ query: [(String, String)]) -> String {
    query.map { (uriEncode($0.0, keepSlash: false), uriEncode($0.1, keepSlash: false)) }
      .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
      .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
  }

  /// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, every other byte is `%XX`
  /// (upper-case hex); `/` stays in paths.
  public static func uriEncode(_ s: String, keepSlash: Bool) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    let hex = Array("0123456789ABCDEF")
    for b in s.utf8 {
      switch b {
      case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: out.append(Character(UnicodeScalar(b)))
      case 0x2F where keepSlash: out.append("/")
      default: out.append("%"); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
      }
    }
    return out
  }

  /// Header values with surrounding spaces removed and inner runs of spaces collapsed.
  static func trimmed(_ v: String) -> String {
    v.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
      .trimmingCharacters(in: .whitespaces)
  }

  /// `20130524T000000Z` and `20130524` in UTC, without a date formatter (they are not thread-safe
  /// to share and cost more than the signature).
  static func timestamps(_ date: Date) -> (String, String) {
    var t = time_t(date.timeIntervalSince1970.rounded(.down))
    var tm = tm()
    gmtime_r(&t, &tm)
    let day = String(format: "%04d%02d%02d", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday))
    return (day + String(format: "T%02d%02d%02dZ", Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec)), day)
  }

  static func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var len: UInt32 = 0
    _ = key.withUnsafeBytes { k in
      data.withUnsafeBytes { d in
        HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, &out, &len)
      }
    }
    return out
  }
}
