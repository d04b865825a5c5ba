import CPNG
import AnnotModel

/// One RGB colour of a PNG palette or pixel.
public struct PNGColor: Sendable, Hashable {
  public var r: UInt8
  public var g: UInt8
  public var b: UInt8
  /// Makes a colour.
  public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
}

/// A decoded PNG: its size and one sample per pixel, row-major.
public struct DecodedPNG: Sendable, Equatable {
  /// How the pixels are stored, following the file's colour type.
  public enum Pixels: Sendable, Equatable {
    /// Palette image: one palette index per pixel, and the palette (at most 256 colours).
    case indexed(indices: [UInt8], palette: [PNGColor])
    /// Greyscale (alpha, if any, dropped): one 8-bit value per pixel.
    case grey([UInt8])
    /// Truecolour (alpha, if any, dropped): one colour per pixel.
    case rgb([PNGColor])
  }
  public var width: Int
  public var height: Int
  public var pixels: Pixels

  /// Makes a decoded image.
  public init(width: Int, height: Int, pixels: Pixels) { self.width = width; self.height = height; self.pixels = pixels }

  /// The colour of pixel `i` (row-major): palette colour, grey as r = g = b, or the colour.
  public func color(at i: Int) -> PNGColor {
    switch pixels {
    case let .indexed(indices, palette):
      let k = Int(indices[i])
      return k < palette.count ? palette[k] : PNGColor(0, 0, 0)
    case let .grey(v): return PNGColor(v[i], v[i], v[i])
    case let .rgb(c): return c[i]
    }
  }
}

/// PNG decoding and 8-bit palette encoding through libpng's simplified `png_image` API,
/// for segmentation masks (VOC's `SegmentationClass`/`SegmentationObject`, LabelMe `mask`).
///
/// Why `png_image`: it catches libpng's `longjmp` errors itself and reports them in
/// `png_image.message`, which Swift can read; the classic API needs `setjmp`, which Swift cannot call.
/// 16-bit files come back as 8-bit samples; palette files keep their indices and palette.
public enum PNGCodec {
  // libpng's PNG_FORMAT_* bits (composite macros are not imported into Swift).
  static let flagAlpha: UInt32 = 0x01, flagColor: UInt32 = 0x02, flagColormap: UInt32 = 0x08

  /// Decodes a PNG held in memory; `name` labels errors (the file's path).
  public static func decode(_ bytes: [UInt8], name: String) throws(MediaError) -> DecodedPNG {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count >= 8 else { throw .truncated(file: name, detail: "\(bytes.count) bytes, shorter than a PNG signature") }
    guard Array(bytes.prefix(8)) == signature else { throw .invalid(file: name, detail: "not a PNG (bad signature)") }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
    guard began != 0 else { throw failure(&image, name: name) }
    let width = Int(image.width), height = Int(image.height)
    // The header alone decides the buffer size below: a 60-byte PNG may declare 100000x100000.
    if let tooBig = Limits.imageSizeProblem(width: width, height: height) {
      png_image_free(&image)
      throw .invalid(file: name, detail: tooBig)
    }
    let fileFormat = image.format
    let out: DecodedPNG.Pixels
    if fileFormat & flagColormap != 0 {
      // Palette file: ask for 8-bit RGB colormap output, which keeps the file's indices.
      image.format = flagColor | flagColormap
      var indices = [UInt8](repeating: 0, count: width * height)
      var cmap = [UInt8](repeating: 0, count: 256 * 3)
      let ok = indices.withUnsafeMutableBytes { buf in
        cmap.withUnsafeMutableBytes { png_image_finish_read(&image, nil, buf.baseAddress, Int32(width), $0.baseAddress) }
      }
      guard ok != 0 else { throw failure(&image, name: name) }
      let count = min(Int(image.colormap_entries), 256)
      let palette = (0..<count).map { PNGColor(cmap[3 * $0], cmap[3 * $0 + 1], cmap[3 * $0 + 2]) }
      out = .indexed(indices: indices, palette: palette)
    } else if fileFormat & flagColor == 0 {
      image.format = 0  // PNG_FORMAT_GRAY
      var grey = [UInt8](repeating: 0, count: width * height)
      let ok = grey.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width), nil) }
      guard ok != 0 else { throw failure(&image, name: name) }
      out = .grey(grey)
    } else {
      image.format = flagColor  // PNG_FORMAT_RGB
      var rgb = [UInt8](repeating: 0, count: width * height * 3)
      let ok = rgb.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * 3), nil) }
      guard ok != 0 else { throw failure(&image, name: name) }
      out = .rgb((0..<(width * height)).map { PNGColor(rgb[3 * $0], rgb[3 * $0 + 1], rgb[3 * $0 + 2]) })
    }
    return DecodedPNG(width: width, height: height, pixels: out)
  }

  /// Encodes an 8-bit palette PNG: `indices` row-major (`width * height` of them, each below
  /// `palette.count`), `palette` of 1...256 colours. The bytes depend only on the input (and the
  /// zlib build): libpng's simplified writer adds no time or text chunks.
  public static func encodePalette(width: Int, height: Int, indices: [UInt8], palette: [PNGColor],
                                   name: String) throws(MediaError) -> [UInt8] {
    guard width > 0, height > 0, width < 1 << 24, height < 1 << 24 else {
      throw .invalid(file: name, detail: "cannot encode a \(width)x\(height) PNG")
    }
    guard indices.count == width * height else {
      throw .invalid(file: name, detail: "\(indices.count) pixels for a \(width)x\(height) image")
    }
    guard (1...256).contains(palette.count) else { throw .invalid(file: name, detail: "palette of \(palette.count) colours (1...256 allowed)") }
    if let bad = indices.first(where: { Int($0) >= palette.count }) {
      throw .invalid(file: name, detail: "index \(bad) outside a palette of \(palette.count) colours")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width); image.height = UInt32(height)
    image.format = flagColor | flagColormap
    image.colormap_entries = UInt32(palette.count)
    let cmap = palette.flatMap { [$0.r, $0.g, $0.b] }
    var size = 0
    // First call measures, second writes.
    var ok = indices.withUnsafeBytes { px in
      cmap.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, px.baseAddress, Int32(width), $0.baseAddress) }
    }
    guard ok != 0, size > 0 else { throw failure(&image, name: name) }
    var out = [UInt8](repeating: 0, count: size)
    ok = out.withUnsafeMutableBytes { dst in
      indices.withUnsafeBytes { px in
        cmap.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, px.baseAddress, Int32(width), $0.baseAddress) }
      }
    }
    guard ok != 0 else { throw failure(&image, name: name) }
    return Array(out.prefix(size))
  }

  /// libpng's message as a `MediaError`; frees whatever the failed call left allocated.
  static func failure(_ image: inout png_image, name: String) -> MediaError {
    let message = withUnsafeBytes(of: image.message) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    png_image_free(&image)
    let lower = message.lowercased()
    if lower.contains("eof") || lower.contains("truncat") || lower.contains("not enough") || lower.contains("read beyond") {
      return .truncated(file: name, detail: message)
    }
    return .invalid(file: name, detail: message.isEmpty ? "libpng could not read or write the image" : message)
  }
}
