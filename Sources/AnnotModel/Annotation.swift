/// An attribute value: annot keeps the three kinds every labeling tool has.
public enum AttributeValue: Sendable, Hashable, CustomStringConvertible {
  case bool(Bool)
  case number(Double)
  case string(String)

  public var description: String {
    switch self {
    case .bool(let b): String(b)
    case .number(let d): CanonicalJSON.number(d)
    case .string(let s): "\"\(s)\""
    }
  }
  /// The attribute a JSON scalar holds; nil for null, arrays and objects.
  public init?(_ json: JSONValue) {
    switch json {
    case .bool(let b): self = .bool(b)
    case .number(let d): self = .number(d)
    case .string(let s): self = .string(s)
    default: return nil
    }
  }

  public var json: JSONValue {
    switch self {
    case .bool(let b): .bool(b)
    case .number(let d): .number(d)
    case .string(let s): .string(s)
    }
  }
}

/// An axis-aligned box in pixels: top-left corner, width, height.
public struct Box: Sendable, Hashable {
  public var x: Double, y: Double, w: Double, h: Double
  public init(x: Double, y: Double, w: Double, h: Double) { self.x = x; self.y = y; self.w = w; self.h = h }
  public var area: Double { w * h }
  public var maxX: Double { x + w }
  public var maxY: Double { y + h }
  public var array: [Double] { [x, y, w, h] }
  /// Intersection over union; 0 for empty boxes.
  public func iou(_ o: Box) -> Double {
    let ix = max(0, min(maxX, o.maxX) - max(x, o.x))
    let iy = max(0, min(maxY, o.maxY) - max(y, o.y))
    let inter = ix * iy
    let union = area + o.area - inter
    return union > 0 ? inter / union : 0
  }
  /// The bounding box of a flat [x0, y0, x1, y1, …] list.
  public static func bounding(_ flat: [Double]) -> Box? {
    guard flat.count >= 2 else { return nil }
    var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
    var k = 0
    while k + 1 < flat.count {
      minX = min(minX, flat[k]); maxX = max(maxX, flat[k])
      minY = min(minY, flat[k + 1]); maxY = max(maxY, flat[k + 1])
      k += 2
    }
    return Box(x: minX, y: minY, w: maxX - minX, h: maxY - minY)
  }
}

/// A run-length encoded mask in COCO's layout (column-major runs, starting with zeros).
public struct RLEMask: Sendable, Hashable {
  public enum Counts: Sendable, Hashable {
    /// COCO's compressed string form.
    case compressed(String)
    /// Plain run lengths.
    case runs([Int])
  }
  public var height: Int
  public var width: Int
  public var counts: Counts
  public init(height: Int, width: Int, counts: Counts) { self.height = height; self.width = width; self.counts = counts }
}

/// The geometry of an annotation. Coordinates are pixels, origin at the top-left corner.
public enum Shape: Sendable, Hashable {
  /// A box, optionally rotated by `rotation` degrees clockwise about its centre.
  case box(Box, rotation: Double)
  /// A polygon of one or more parts, each a flat [x0, y0, x1, y1, …] list.
  case polygon([[Double]])
  /// An open line, flat [x0, y0, …].
  case polyline([Double])
  /// Free points, flat [x0, y0, …].
  case points([Double])
  /// An ellipse: centre, radii, rotation in degrees.
  case ellipse(cx: Double, cy: Double, rx: Double, ry: Double, rotation: Double)
  /// A pixel mask.
  case mask(RLEMask)
  /// Keypoints, flat [x0, y0, v0, …] with COCO visibility (0 absent, 1 hidden, 2 visible).
  case keypoints([Double])
  /// An image-level tag (classification); no geometry.
  case tag

  /// The kind name used in documents and the index.
  public var kind: String {
    switch self {
    case .box: "box"
    case .polygon: "polygon"
    case .polyline: "polyline"
    case .points: "points"
    case .ellipse: "ellipse"
    case .mask: "mask"
    case .keypoints: "keypoints"
    case .tag: "tag"
    }
  }

  public static let kinds = ["box", "polygon", "polyline", "points", "ellipse", "mask", "keypoints", "tag"]
}

/// One annotation: a stable id, a class label, a shape and optional extras.
public struct Annotation: Sendable, Hashable, Identifiable {
  /// Stable identity across revisions; unique within its document.
  public var id: String
  /// The class name; must be a class of the dataset schema.
  public var label: String
  public var shape: Shape
  /// A box given by the source next to a non-box shape (COCO's `bbox`); nil means derived.
  public var bbox: Box?
  public var attributes: [String: AttributeValue]
  public var score: Double?
  public var group: Int?
  public var zOrder: Int?
  /// COCO's iscrowd.
  public var crowd: Bool
  /// The id the source format gave it (COCO annotation id, CVAT/Label Studio region id).
  public var sourceID: String?
  /// The area the source gave (COCO's `area`, kept to its last digit and written back); nil
  /// means derived from the shape. Document key `area`; part of the geometry for merges.
  public var sourceArea: Double?

  public init(id: String, label: String, shape: Shape, bbox: Box? = nil, attributes: [String: AttributeValue] = [:],
              score: Double? = nil, group: Int? = nil, zOrder: Int? = nil, crowd: Bool = false, sourceID: String? = nil,
              sourceArea: Double? = nil) {
    self.id = id; self.label = label; self.shape = shape; self.bbox = bbox; self.attributes = attributes
    self.score = score; self.group = group; self.zOrder = zOrder; self.crowd = crowd; self.sourceID = sourceID
    self.sourceArea = sourceArea
  }

  /// The box that encloses the shape: the explicit `bbox` if given, else derived.
  public var boundingBox: Box? {
    if let bbox { return bbox }
    switch shape {
    case .box(let b, _): return b
    case .polygon(let parts): return Box.bounding(parts.flatMap { $0 })
    case .polyline(let p), .points(let p): return Box.bounding(p)
    case .ellipse(let cx, let cy, let rx, let ry, _): return Box(x: cx - rx, y: cy - ry, w: 2 * rx, h: 2 * ry)
    case .mask(let m): return RLE.boundingBox(m)
    case .keypoints(let k):
      var flat: [Double] = []
      var i = 0
      while i + 2 < k.count { if k[i + 2] > 0 { flat.append(k[i]); flat.append(k[i + 1]) }; i += 3 }
      return Box.bounding(flat)
    case .tag: return nil
    }
  }

  /// Area in pixels: the source's `sourceArea` if given, else derived: polygon area by the
  /// shoelace formula, mask pixel count, box w×h.
  public var area: Double { sourceArea ?? derivedArea }

  /// The area computed from the shape alone.
  public var derivedArea: Double {
    switch shape {
    case .box(let b, _): return b.area
    case .polygon(let parts):
      return parts.reduce(0) { acc, p in acc + Self.shoelace(p) }
    case .ellipse(_, _, let rx, let ry, _): return Double.pi * rx * ry
    case .mask(let m): return Double(RLE.area(m))
    case .polyline, .points, .keypoints: return boundingBox?.area ?? 0
    case .tag: return 0
    }
  }

  static func shoelace(_ p: [Double]) -> Double {
    let n = p.count / 2
    guard n >= 3 else { return 0 }
    var s = 0.0
    for i in 0..<n {
      let j = (i + 1) % n
      s += p[2 * i] * p[2 * j + 1] - p[2 * j] * p[2 * i + 1]
    }
    return abs(s) / 2
  }
}
