/// COCO run-length masks: decoding the compressed string form and simple measures.
///
/// Written here because no maintained Swift library implements COCO's RLE; the algorithm
/// follows pycocotools' maskApi.c (rleFrString / rleToString) exactly.
public enum RLE {
  /// Run lengths of a mask, whichever form it is stored in.
  public static func runs(_ m: RLEMask) -> [Int]? {
    switch m.counts {
    case .runs(let r): return r
    case .compressed(let s): return decode(s)
    }
  }

  /// Decodes COCO's compressed counts string; nil if malformed.
  public static func decode(_ s: String) -> [Int]? {
    let bytes = Array(s.utf8)
    var counts: [Int] = []
    var p = 0
    while p < bytes.count {
      var x = 0, k = 0, more = true
      while more {
        guard p < bytes.count else { return nil }
        let c = Int(bytes[p]) - 48
        guard c >= 0, c < 64 else { return nil }
        x |= (c & 0x1f) << (5 * k)
        more = (c & 0x20) != 0
        p += 1; k += 1
        if !more && (c & 0x10) != 0 { x |= -1 << (5 * k) }
        if k > 12 { return nil }
      }
      if counts.count > 2 { x += counts[counts.count - 2] }
      guard x >= 0 else { return nil }
      counts.append(x)
    }
    return counts
  }

  /// Encodes run lengths to COCO's compressed string.
  public static func encode(_ counts: [Int]) -> String {
    var out: [UInt8] = []
    for i in 0..<counts.count {
      var x = counts[i]
      if i > 2 { x -= counts[i - 2] }
      var more = true
      while more {
        var c = x & 0x1f
        x >>= 5
        more = (c & 0x10) != 0 ? x != -1 : x != 0
        if more { c |= 0x20 }
        out.append(UInt8(c + 48))
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Number of foreground pixels.
  public static func area(_ m: RLEMask) -> Int {
    guard let r = runs(m) else { return 0 }
    var a = 0
    var i = 1
    while i < r.count { a += r[i]; i += 2 }
    return a
  }

  /// The tight bounding box of the foreground (column-major runs).
  public static func boundingBox(_ m: RLEMask) -> Box? {
    guard let r = runs(m), m.height > 0 else { return nil }
    var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
    var pos = 0
    for (i, len) in r.enumerated() {
      if i % 2 == 1 && len > 0 {
        let start = pos, end = pos + len - 1
        let x0 = start / m.height, x1 = end / m.height
        minX = min(minX, x0); maxX = max(maxX, x1)
        if x0 == x1 {
          minY = min(minY, start % m.height); maxY = max(maxY, end % m.height)
        } else {
          minY = 0; maxY = m.height - 1
        }
      }
      pos += len
    }
    guard maxX >= 0 else { return Box(x: 0, y: 0, w: 0, h: 0) }
    return Box(x: Double(minX), y: Double(minY), w: Double(maxX - minX + 1), h: Double(maxY - minY + 1))
  }

  /// Intersection over union of two masks of the same size; nil if sizes differ or malformed.
  public static func iou(_ a: RLEMask, _ b: RLEMask) -> Double? {
    guard a.height == b.height, a.width == b.width, let ra = runs(a), let rb = runs(b) else { return nil }
    // Walk both run lists together.
    var ia = 0, ib = 0, ca = ra.first ?? 0, cb = rb.first ?? 0
    var va = false, vb = false
    var inter = 0, union = 0
    let total = a.height * a.width
    var pos = 0
    while pos < total {
      while ca == 0 && ia < ra.count - 1 { ia += 1; ca = ra[ia]; va.toggle() }
      while cb == 0 && ib < rb.count - 1 { ib += 1; cb = rb[ib]; vb.toggle() }
      if ca == 0 && cb == 0 { break }
      let step: Int
      if ca == 0 { step = cb; va = false } else if cb == 0 { step = ca; vb = false } else { step = min(ca, cb) }
      if va && vb { inter += step }
      if va || vb { union += step }
      ca = max(0, ca - step); cb = max(0, cb - step)
      pos += step
    }
    return union > 0 ? Double(inter) / Double(union) : 1
  }
}
