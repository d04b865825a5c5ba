import AnnotModel

/// A binary mask as one byte per pixel, row-major: the meeting point between the RLE
/// layouts of CVAT (row-major over a sub-box), Label Studio (bit-packed RGBA) and COCO
/// (column-major over the whole image, which the model stores).
struct MaskBitmap: Equatable {
  let width: Int
  let height: Int
  /// `bits[y * width + x]` is 1 for foreground.
  var bits: [UInt8]

  init(width: Int, height: Int) {
    self.width = width; self.height = height
    bits = [UInt8](repeating: 0, count: width * height)
  }

  /// From COCO runs (column-major, starting with background); nil if they do not cover the image.
  init?(coco mask: RLEMask) {
    guard let runs = RLE.runs(mask), mask.width >= 0, mask.height >= 0,
          runs.allSatisfy({ $0 >= 0 }), runs.reduce(0, +) == mask.width * mask.height else { return nil }
    self.init(width: mask.width, height: mask.height)
    var pos = 0
    for (i, len) in runs.enumerated() {
      if i % 2 == 1 {
        for p in pos..<(pos + len) {
          let x = p / height, y = p % height
          bits[y * width + x] = 1
        }
      }
      pos += len
    }
  }

  /// COCO runs: column-major, alternating background/foreground, starting with background.
  var cocoRuns: [Int] {
    var runs: [Int] = []
    var current: UInt8 = 0
    var count = 0
    for x in 0..<width {
      for y in 0..<height {
        let v = bits[y * width + x]
        if v == current { count += 1 } else { runs.append(count); current = v; count = 1 }
      }
    }
    runs.append(count)
    return runs
  }

  /// The model's mask value: COCO's compressed counts string, the form COCO files carry.
  var rleMask: RLEMask {
    RLEMask(height: height, width: width, counts: .compressed(RLE.encode(cocoRuns)))
  }

  /// The tight box around the foreground as (left, top, width, height); nil if empty.
  var tightBox: (left: Int, top: Int, width: Int, height: Int)? {
    var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
    for y in 0..<height {
      for x in 0..<width where bits[y * width + x] != 0 {
        minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
      }
    }
    guard maxX >= 0 else { return nil }
    return (minX, minY, maxX - minX + 1, maxY - minY + 1)
  }

  /// Row-major runs over a sub-box, starting with background (CVAT's `rle` attribute).
  func rowMajorRuns(left: Int, top: Int, width w: Int, height h: Int) -> [Int] {
    var runs: [Int] = []
    var current: UInt8 = 0
    var count = 0
    for y in top..<(top + h) {
      for x in left..<(left + w) {
        let v = bits[y * width + x]
        if v == current { count += 1 } else { runs.append(count); current = v; count = 1 }
      }
    }
    runs.append(count)
    return runs
  }

  /// Paints row-major runs over a sub-box; false if the runs do not cover the box exactly or
  /// the box leaves the bitmap.
  mutating func paintRowMajor(_ runs: [Int], left: Int, top: Int, width w: Int, height h: Int) -> Bool {
    guard left >= 0, top >= 0, w >= 0, h >= 0, left + w <= width, top + h <= height,
          runs.allSatisfy({ $0 >= 0 }), runs.reduce(0, +) == w * h else { return false }
    var pos = 0
    for (i, len) in runs.enumerated() {
      if i % 2 == 1 {
        for p in pos..<(pos + len) { bits[(top + p / w) * width + left + p % w] = 1 }
      }
      pos += len
    }
    return true
  }
}
