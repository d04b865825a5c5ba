import CCrypto

/// The digests, fetched from OpenSSL 3's default provider once. Naming them per call
/// (`EVP_sha256()` passed to `EVP_Digest`) makes OpenSSL look the algorithm up again under a
/// read lock every time: 2.5% of a first import's CPU, which hashes every annotation id.
/// A fetched `EVP_MD` is immutable and may be shared by threads. Should a provider set-up refuse
/// the fetch, the implicit per-call lookup is used as before.
private nonisolated(unsafe) let sha256MD: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()
private nonisolated(unsafe) let sha1MD: OpaquePointer? = EVP_MD_fetch(nil, "SHA1", nil) ?? EVP_sha1()

/// SHA-256 through OpenSSL's libcrypto (already on every Debian machine; no build cost).
public enum SHA256 {
  public static func hash(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBytes { hash($0) }
  }
  public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var len: UInt32 = 0
    _ = EVP_Digest(bytes.baseAddress, bytes.count, &out, &len, sha256MD, nil)
    return out
  }
  public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(hash(bytes)) }
}

/// SHA-1 through libcrypto, for names and keys, not for security (git's object ids are SHA-1).
public enum SHA1 {
  public static func hash(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 20)
    var len: UInt32 = 0
    bytes.withUnsafeBytes { _ = EVP_Digest($0.baseAddress, $0.count, &out, &len, sha1MD, nil) }
    return out
  }

  /// The first 8 bytes of the digest as a big-endian number, without allocating.
  public static func prefix64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { out in
      var len: UInt32 = 0
      _ = EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &len, sha1MD, nil)
      var v: UInt64 = 0
      for i in 0..<8 { v = v << 8 | UInt64(out[i]) }
      return v
    }
  }
}

/// A streaming digest (SHA-1 for pack trailers, SHA-256 for export manifests).
public final class Digest {
  private let ctx: OpaquePointer
  public static func sha1() -> Digest { Digest(sha1MD) }
  public static func sha256() -> Digest { Digest(sha256MD) }
  private init(_ md: OpaquePointer?) {
    ctx = EVP_MD_CTX_new()
    EVP_DigestInit_ex(ctx, md, nil)
  }
  deinit { EVP_MD_CTX_free(ctx) }
  public func update(_ p: UnsafeRawBufferPointer) { if p.count > 0 { EVP_DigestUpdate(ctx, p.baseAddress, p.count) } }
  public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }
  public func finish() -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 64)
    var len: UInt32 = 0
    EVP_DigestFinal_ex(ctx, &out, &len)
    return Array(out.prefix(Int(len)))
  }
}

public enum Hex {
  public static func encode(_ bytes: [UInt8]) -> String {
    let hex = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
  }
  public static func decode(_ s: String) -> [UInt8]? {
    let u = Array(s.utf8)
    guard u.count % 2 == 0 else { return nil }
    func v(_ c: UInt8) -> UInt8? {
      switch c {
      case 0x30...0x39: c - 0x30
      case 0x61...0x66: c - 0x61 + 10
      case 0x41...0x46: c - 0x41 + 10
      default: nil
      }
    }
    var out = [UInt8]()
    var i = 0
    while i < u.count {
      guard let a = v(u[i]), let b = v(u[i + 1]) else { return nil }
      out.append(a << 4 | b); i += 2
    }
    return out
  }
}
