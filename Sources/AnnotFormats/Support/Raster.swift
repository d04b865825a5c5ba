import Foundation
import AnnotModel

/// Shapes to pixels and pixels to outlines: polygons and ellipses rasterised into masks (VOC
/// segmentation PNGs), and mask outlines traced into polygons (YOLO segment lines).
///
/// A pixel (x, y) covers the square [x, x+1) × [y, y+1); it is foreground when its centre
/// (x + 0.5, y + 0.5) lies inside the shape (even-odd rule per polygon part, parts united), the
/// convention of pycocotools' and OpenCV's fill up to boundary pixels.
enum Raster {
  /// `d` as an Int clamped to lo...hi; NaN gives `lo` (never traps on huge or non-finite values).
  static func clamp(_ d: Double, _ lo: Int, _ hi: Int) -> Int {
    guard d == d else { return lo }
    return d <= Double(lo) ? lo : d >= Double(hi) ? hi : Int(d)
  }

  /// The pixels of a polygon of one or more parts (even-odd within a part, parts united).
  /// Cost: one bitmap, O(rows spanned × edges) plus the filled pixels.
  static func polygon(_ parts: [[Double]], width: Int, height: Int) -> MaskBitmap {
    var bm = MaskBitmap(width: width, height: height)
    guard width > 0, height > 0 else { return bm }
    for flat in parts {
      let n = flat.count / 2
      guard n >= 3 else { continue }
      var minY = Double.infinity, maxY = -Double.infinity
      for k in 0..<n { minY = min(minY, flat[2 * k + 1]); maxY = max(maxY, flat[2 * k + 1]) }
      let y0 = clamp((minY - 0.5).rounded(.up), 0, height), y1 = clamp((maxY - 0.5).rounded(.down), -1, height - 1)
      guard y0 <= y1 else { continue }
      var xs: [Double] = []
      for y in y0...y1 {
        let cy = Double(y) + 0.5
        xs.removeAll(keepingCapacity: true)
        for k in 0..<n {
          let ax = flat[2 * k], ay = flat[2 * k + 1]
          let bx = flat[2 * ((k + 1) % n)], by = flat[2 * ((k + 1) % n) + 1]
          // Half-open on y so a vertex on the scanline counts once.
          if (ay <= cy && by > cy) || (by <= cy && ay > cy) {
            xs.append(ax + (cy - ay) / (by - ay) * (bx - ax))
          }
        }
        xs.sort()
        var i = 0
        while i + 1 < xs.count {
          // Pixels whose centre x + 0.5 lies in [xs[i], xs[i+1]).
          let from = clamp((xs[i] - 0.5).rounded(.up), 0, width), to = clamp((xs[i + 1] - 0.5).rounded(.up) - 1, -1, width - 1)
          if from <= to { for x in from...to { bm.bits[y * width + x] = 1 } }
          i += 2
        }
      }
    }
    // Within a part the spans between sorted crossings are disjoint (even-odd rule); setting
    // rather than toggling pixels unites the parts, in one bitmap whatever their number.
    return bm
  }

  /// The pixels of an ellipse (centre, radii, rotation clockwise in degrees).
  static func ellipse(cx: Double, cy: Double, rx: Double, ry: Double, rotation: Double, width: Int, height: Int) -> MaskBitmap {
    var bm = MaskBitmap(width: width, height: height)
    guard rx > 0, ry > 0, rx.isFinite, ry.isFinite, cx.isFinite, cy.isFinite, width > 0, height > 0 else { return bm }
    let t = rotation * Double.pi / 180, c = cos(t), s = sin(t)
    let reach = max(rx, ry)
    let x0 = clamp(cx - reach - 1, 0, width), x1 = clamp(cx + reach + 1, -1, width - 1)
    let y0 = clamp(cy - reach - 1, 0, height), y1 = clamp(cy + reach + 1, -1, height - 1)
    guard x0 <= x1, y0 <= y1 else { return bm }
    for y in y0...y1 {
      for x in x0...x1 {
        let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
        // Rotate the point back by -rotation into the ellipse's own axes.
        let u = dx * c + dy * s, v = -dx * s + dy * c
        if (u * u) / (rx * rx) + (v * v) / (ry * ry) <= 1 { bm.bits[y * width + x] = 1 }
      }
    }
    return bm
  }

  /// The full-image bitmap of a shape that covers an area (polygon, ellipse, mask, box); nil for
  /// the others or a mask that does not cover the image.
  static func bitmap(_ shape: Shape, width: Int, height: Int) -> MaskBitmap? {
    switch shape {
    case .polygon(let parts):
      return polygon(parts, width: width, height: height)
    case .ellipse(let cx, let cy, let rx, let ry, let r):
      return ellipse(cx: cx, cy: cy, rx: rx, ry: ry, rotation: r, width: width, height: height)
    case .mask(let m):
      guard m.width == width, m.height == height else { return nil }
      return MaskBitmap(coco: m)
    case .box(let b, let r):
      return polygon([ShapeMath.boxCorners(b, rotation: r)], width: width, height: height)
    default: return nil
    }
  }

  /// The outer outlines of a mask's connected regions (8-connected foreground), each as a
  /// polygon along pixel borders, in pixel-corner coordinates: a single pixel at (x, y) gives
  /// the square (x, y) (x+1, y) (x+1, y+1) (x, y+1). Collinear corners are dropped, so a box-
  /// shaped region gives 4 points. Holes are not traced (YOLO segment lines have none).
  /// Regions are ordered by their first pixel in row-major order.
  static func outlines(_ bm: MaskBitmap) -> [[Double]] {
    let w = bm.width, h = bm.height
    guard w > 0, h > 0 else { return [] }
    func fg(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < w && y < h && bm.bits[y * w + x] != 0 }
    var label = [Int32](repeating: 0, count: w * h)
    var out: [[Double]] = []
    var next: Int32 = 0
    var stack: [Int] = []
    for start in 0..<(w * h) where bm.bits[start] != 0 && label[start] == 0 {
      next += 1
      // Flood the region (8-connected) so each region is traced once.
      label[start] = next; stack.append(start)
      while let p = stack.popLast() {
        let px = p % w, py = p / w
        for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 {
          let qx = px + dx, qy = py + dy
          if fg(qx, qy) && label[qy * w + qx] == 0 { label[qy * w + qx] = next; stack.append(qy * w + qx) }
        } }
      }
      // Trace the outer border from the region's first pixel (topmost, then leftmost): its top
      // edge starts at corner (sx, sy) going right, with the region on the right-hand side
      // (clockwise in image coordinates).
      let sx = start % w, sy = start / w
      let region = next
      func inR(_ x: Int, _ y: Int) -> Bool { fg(x, y) && label[y * w + x] == region }
      var pts: [(Int, Int)] = []
      // Direction: 0 right, 1 down, 2 left, 3 up. At corner (cx, cy) heading d, the pixels ahead-left
      // and ahead-right decide the turn (region on the right).
      var cx = sx, cy = sy, d = 0
      let limit = 4 * (w + 1) * (h + 1) + 8
      var steps = 0
      repeat {
        pts.append((cx, cy))
        switch d { case 0: cx += 1; case 1: cy += 1; case 2: cx -= 1; default: cy -= 1 }
        // Pixels around the new corner, relative to heading: ahead-right (r) and ahead-left (l).
        let (lx, ly, rx, ry): (Int, Int, Int, Int)
        switch d {
        case 0: (lx, ly, rx, ry) = (cx, cy - 1, cx, cy)
        case 1: (lx, ly, rx, ry) = (cx, cy, cx - 1, cy)
        case 2: (lx, ly, rx, ry) = (cx - 1, cy, cx - 1, cy - 1)
        default: (lx, ly, rx, ry) = (cx - 1, cy - 1, cx, cy - 1)
        }
        let l = inR(lx, ly), r = inR(rx, ry)
        if l { d = (d + 3) % 4 }            // turn left (8-connectivity: prefer the diagonal neighbour)
        else if !r { d = (d + 1) % 4 }      // turn right
        steps += 1
      } while (cx != sx || cy != sy || d != 0) && steps < limit
      // Drop collinear corners.
      var flat: [Double] = []
      let n = pts.count
      for i in 0..<n {
        let (px, py) = pts[(i + n - 1) % n], (x, y) = pts[i], (nx, ny) = pts[(i + 1) % n]
        if (x - px) * (ny - y) - (y - py) * (nx - x) == 0 { continue }
        flat.append(Double(x)); flat.append(Double(y))
      }
      if flat.count >= 6 { out.append(flat) }
    }
    return out
  }
}
