// Geometry helpers of the annotation matcher (Matching.swift).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AnnotationMatcher {
  static func touches(_ a: Box, _ b: Box, pad p: Double) -> Bool {
    a.x - p <= b.maxX + p && b.x - p <= a.maxX + p && a.y - p <= b.maxY + p && b.y - p <= a.maxY + p
  }

  static func pad(_ b: Box, _ p: Double) -> Box { Box(x: b.x - p, y: b.y - p, w: b.w + 2 * p, h: b.h + 2 * p) }

  /// Closed outlines (flat xy lists) of a polygon or an ellipse.
  static func outlines(_ shape: Shape) -> [[Double]] {
    switch shape {
    case .polygon(let parts): return parts.filter { $0.count >= 6 }
    case .ellipse(let cx, let cy, let rx, let ry, let rotation):
      return [ellipsePolygon(cx: cx, cy: cy, rx: rx, ry: ry, rotation: rotation, segments: 64)]
    default: return []
    }
  }

  /// An ellipse as a polygon with `segments` vertices; rotation in degrees clockwise (y down).
  public static func ellipsePolygon(cx: Double, cy: Double, rx: Double, ry: Double, rotation: Double, segments: Int) -> [Double] {
    let t = rotation * Double.pi / 180
    let c = cos(t), s = sin(t)
    var out: [Double] = []
    out.reserveCapacity(2 * segments)
    for k in 0..<segments {
      let a = 2 * Double.pi * Double(k) / Double(segments)
      let x = rx * cos(a), y = ry * sin(a)
      out.append(cx + x * c - y * s)
      out.append(cy + x * s + y * c)
    }
    return out
  }

  /// Area IoU of two sets of outlines, sampled at cell centres on a shared grid.
  static func rasterIoU(_ a: [[Double]], _ b: [[Double]], resolution: Int) -> Double {
    guard let ba = Box.bounding(a.flatMap { $0 }), let bb = Box.bounding(b.flatMap { $0 }) else { return 0 }
    let x0 = min(ba.x, bb.x), y0 = min(ba.y, bb.y)
    let x1 = max(ba.maxX, bb.maxX), y1 = max(ba.maxY, bb.maxY)
    let side = max(x1 - x0, y1 - y0)
    guard side > 0 else { return 0 }
    let n = max(8, resolution)
    let cell = side / Double(n)
    let gw = max(1, Int(((x1 - x0) / cell).rounded(.up))), gh = max(1, Int(((y1 - y0) / cell).rounded(.up)))
    let ma = fill(a, x0: x0, y0: y0, cell: cell, gw: gw, gh: gh)
    let mb = fill(b, x0: x0, y0: y0, cell: cell, gw: gw, gh: gh)
    var inter = 0, union = 0
    for k in 0..<(gw * gh) {
      if ma[k] && mb[k] { inter += 1 }
      if ma[k] || mb[k] { union += 1 }
    }
    return union > 0 ? Double(inter) / Double(union) : 0
  }

  /// Scanline fill: each part even-odd, parts unioned.
  static func fill(_ parts: [[Double]], x0: Double, y0: Double, cell: Double, gw: Int, gh: Int) -> [Bool] {
    var grid = [Bool](repeating: false, count: gw * gh)
    var xs: [Double] = []
    for p in parts {
      let m = p.count / 2
      guard m >= 3 else { continue }
      for r in 0..<gh {
        let yc = y0 + (Double(r) + 0.5) * cell
        xs.removeAll(keepingCapacity: true)
        for e in 0..<m {
          let ax = p[2 * e], ay = p[2 * e + 1]
          let bx = p[2 * ((e + 1) % m)], by = p[2 * ((e + 1) % m) + 1]
          if (ay <= yc && yc < by) || (by <= yc && yc < ay) {
            xs.append(ax + (yc - ay) * (bx - ax) / (by - ay))
          }
        }
        xs.sort()
        var k = 0
        while k + 1 < xs.count {
          // Cells whose centre lies in [xs[k], xs[k+1]).
          let c0 = max(0, Int(((xs[k] - x0) / cell - 0.5).rounded(.up)))
          let c1 = min(gw - 1, Int(((xs[k + 1] - x0) / cell - 0.5).rounded(.up)) - 1)
          if c0 <= c1 { for c in c0...c1 { grid[r * gw + c] = true } }
          k += 2
        }
      }
    }
    return grid
  }
}

extension Annotation {
  /// The annotation without its identity (id and source id): equal for an untouched annotation
  /// whatever ids a tool gave it.
  var identityFree: Annotation {
    var copy = self
    copy.id = ""
    copy.sourceID = nil
    return copy
  }

  /// The box enclosing the geometry itself, ignoring an explicit `bbox` given by the source.
  public var shapeBoundingBox: Box? {
    var copy = self
    copy.bbox = nil
    return copy.boundingBox
  }
}
