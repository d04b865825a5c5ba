import Foundation
import Testing
import AnnotMedia
import AnnotTestSupport

/// PNGCodec: files written by Pillow (bytes embedded, pixel values set in the generating
/// script) and round trips through our own encoder.
@Suite struct PNGCodecTests {
  static func b64(_ s: String) -> [UInt8] { [UInt8](Data(base64Encoded: s)!) }

  /// Pillow: `Image.new('P', (3,2))`, palette black, (128,0,0), (0,128,0), data [0,1,2,2,1,0]
  /// (Pillow stores it at bit depth 2).
  static let pillowPalette = b64("iVBORw0KGgoAAAANSUhEUgAAAAMAAAACAgMAAADgGo6JAAAACVBMVEUAAACAAAAAgACmUGVTAAAADElEQVR4nGOQYJgAAADcAKls58AjAAAAAElFTkSuQmCC")
  /// Pillow: `Image.new('L', (2,2))`, data [0,255,7,100].
  static let pillowGrey = b64("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNg+M/IHgsABHABZbgBrPMAAAAASUVORK5CYII=")
  /// Pillow: `Image.new('RGB', (2,1))`, data [(1,2,3), (250,128,0)].
  static let pillowRGB = b64("iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAD0lEQVR4nGNgZGL+1cAAAAQRAYFbjalTAAAAAElFTkSuQmCC")

  @Test func decodesPillowPalette() throws {
    let d = try PNGCodec.decode(Self.pillowPalette, name: "p.png")
    #expect(d.width == 3 && d.height == 2)
    #expect(d.pixels == .indexed(indices: [0, 1, 2, 2, 1, 0],
                                 palette: [PNGColor(0, 0, 0), PNGColor(128, 0, 0), PNGColor(0, 128, 0)]))
    #expect(d.color(at: 1) == PNGColor(128, 0, 0))
  }

  @Test func decodesPillowGreyAndRGB() throws {
    let g = try PNGCodec.decode(Self.pillowGrey, name: "g.png")
    #expect(g.width == 2 && g.height == 2 && g.pixels == .grey([0, 255, 7, 100]))
    let c = try PNGCodec.decode(Self.pillowRGB, name: "c.png")
    #expect(c.width == 2 && c.height == 1 && c.pixels == .rgb([PNGColor(1, 2, 3), PNGColor(250, 128, 0)]))
  }

  @Test func paletteRoundTripIsExactAndDeterministic() throws {
    let palette = (0..<256).map { PNGColor(UInt8($0), UInt8(255 - $0), UInt8($0 / 2)) }
    let indices: [UInt8] = (0..<(7 * 5)).map { UInt8(($0 * 37) % 256) }
    let a = try PNGCodec.encodePalette(width: 7, height: 5, indices: indices, palette: palette, name: "a.png")
    let b = try PNGCodec.encodePalette(width: 7, height: 5, indices: indices, palette: palette, name: "a.png")
    #expect(a == b)
    #expect(Array(a.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    // No tIME chunk: the bytes must not depend on the clock.
    #expect(!String(decoding: a, as: UTF8.self).contains("tIME"))
    let d = try PNGCodec.decode(a, name: "a.png")
    #expect(d == DecodedPNG(width: 7, height: 5, pixels: .indexed(indices: indices, palette: palette)))
  }

  @Test func smallPaletteRoundTrip() throws {
    let palette = [PNGColor(0, 0, 0), PNGColor(128, 0, 0), PNGColor(224, 224, 192)]
    let bytes = try PNGCodec.encodePalette(width: 3, height: 2, indices: [0, 1, 2, 2, 1, 0], palette: palette, name: "s.png")
    #expect(try PNGCodec.decode(bytes, name: "s.png").pixels == .indexed(indices: [0, 1, 2, 2, 1, 0], palette: palette))
  }

  @Test func errorsNameTheFile() throws {
    let cut = Array(Self.pillowPalette.prefix(Self.pillowPalette.count - 20))
    #expect {
      try PNGCodec.decode(cut, name: "masks/x.png")
    } throws: { e in
      guard let m = e as? MediaError else { return false }
      return "\(m)".hasPrefix("masks/x.png: ")
    }
    #expect(throws: MediaError.invalid(file: "j.png", detail: "not a PNG (bad signature)")) {
      try PNGCodec.decode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0], name: "j.png")
    }
    #expect(throws: MediaError.truncated(file: "t.png", detail: "3 bytes, shorter than a PNG signature")) {
      try PNGCodec.decode([0x89, 0x50, 0x4E], name: "t.png")
    }
    #expect(throws: MediaError.invalid(file: "e.png", detail: "index 3 outside a palette of 3 colours")) {
      try PNGCodec.encodePalette(width: 1, height: 1, indices: [3], palette: [PNGColor(0, 0, 0), PNGColor(1, 1, 1), PNGColor(2, 2, 2)], name: "e.png")
    }
  }
}
