/// Label Studio's brush RLE: a bit-packed run-length code over the RGBA bytes of the image
/// (thi.ng rle-pack, as label-studio-converter's `brush.py` decodes it).
///
/// Layout, most significant bit first: 32 bits value count, 5 bits word size − 1, four 4-bit
/// run-length field sizes − 1; then chunks: 1 bit repeat flag, 2 bits index into the field
/// sizes, that many bits run length − 1, then one word (repeat) or that many words (literal).
/// Values are RGBA per pixel, row-major; a pixel is foreground when its alpha (4th) is > 0.
enum LabelStudioBrush {
  /// Why a brush RLE could not be read.
  enum Failure: Error, Equatable { case notBytes, truncated, wrongCount(Int, expected: Int), badHeader }

  /// Decodes `rle` (a list of byte values) into a row-major mask of `width`×`height`.
  static func decode(_ rle: [Int], width: Int, height: Int) throws(Failure) -> MaskBitmap {
    guard rle.allSatisfy({ (0...255).contains($0) }) else { throw .notBytes }
    var reader = BitReader(bytes: rle.map(UInt8.init))
    guard let num = reader.read(32), let ws = reader.read(5) else { throw .truncated }
    let wordSize = ws + 1
    var sizes: [Int] = []
    for _ in 0..<4 { guard let s = reader.read(4) else { throw .truncated }; sizes.append(s + 1) }
    let expected = width * height * 4
    guard num == expected else { throw .wrongCount(num, expected: expected) }
    guard wordSize <= 32 else { throw .badHeader }
    var mask = MaskBitmap(width: width, height: height)
    var i = 0
    while i < num {
      guard let repeatFlag = reader.read(1), let idx = reader.read(2), let len = reader.read(sizes[idx]) else { throw .truncated }
      let j = i + 1 + len
      guard j <= num else { throw .wrongCount(j, expected: num) }
      if repeatFlag == 1 {
        guard let v = reader.read(wordSize) else { throw .truncated }
        if v > 0 {
          // Mark the alpha positions in [i, j).
          var k = i + (3 - i % 4)
          while k < j { mask.bits[k / 4] = 1; k += 4 }
        }
        i = j
      } else {
        while i < j {
          guard let v = reader.read(wordSize) else { throw .truncated }
          if i % 4 == 3 && v > 0 { mask.bits[i / 4] = 1 }
          i += 1
        }
      }
    }
    return mask
  }

  /// Encodes a mask the way label-studio-converter's `mask2rle` does: every channel 255 on
  /// foreground, 0 elsewhere; word size 8; field sizes 3, 4, 8, 16; every run as a repeat chunk.
  static func encode(_ mask: MaskBitmap) -> [Int] {
    var w = BitWriter()
    let num = mask.width * mask.height * 4
    w.write(num, 32); w.write(7, 5)
    let sizes = [3, 4, 8, 16]
    for s in sizes { w.write(s - 1, 4) }
    var p = 0
    let pixels = mask.bits.count
    while p < pixels {
      var q = p
      while q < pixels && mask.bits[q] == mask.bits[p] { q += 1 }
      var remaining = (q - p) * 4
      let value = mask.bits[p] != 0 ? 255 : 0
      while remaining > 0 {
        let chunk = min(remaining, 1 << 16)
        let idx = sizes.firstIndex { chunk - 1 < (1 << $0) }!
        w.write(1, 1); w.write(idx, 2); w.write(chunk - 1, sizes[idx]); w.write(value, 8)
        remaining -= chunk
      }
      p = q
    }
    return w.bytes.map(Int.init)
  }

  struct BitReader {
    let bytes: [UInt8]
    var bit = 0
    /// The next `n` bits as an unsigned number, nil past the end.
    mutating func read(_ n: Int) -> Int? {
      guard bit + n <= bytes.count * 8 else { return nil }
      var v = 0
      for _ in 0..<n {
        v = (v << 1) | Int((bytes[bit >> 3] >> (7 - UInt8(bit & 7))) & 1)
        bit += 1
      }
      return v
    }
  }

  struct BitWriter {
    var bytes: [UInt8] = []
    var bit = 0
    mutating func write(_ value: Int, _ n: Int) {
      for k in stride(from: n - 1, through: 0, by: -1) {
        if bit & 7 == 0 { bytes.append(0) }
        if (value >> k) & 1 == 1 { bytes[bytes.count - 1] |= 1 << (7 - UInt8(bit & 7)) }
        bit += 1
      }
    }
  }
}
