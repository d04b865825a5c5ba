import AnnotModel

/// Semantic diff of two label documents of one image.
///
/// ### How it works
/// Annotations are paired by id. When ids do not line up (documents from tools without ids)
/// they are paired by `AnnotationMatcher` instead: always with `Matching.geometry`, and with
/// `Matching.automatic` (the default) when both sides have annotations and share no id.
/// Each pair is then compared field by field:
/// - **moved**: the top-left corner of the shape's bounding box moved (dx, dy = new − old);
/// - **resized**: the box's width or height changed (sx, sy = new / old);
/// - **reshaped**: the geometry differs from the old geometry mapped by the box's move and scale
///   (a vertex edit, a mask edit, a keypoint edit or visibility change, a rotation, a kind change);
///   reports the IoU (OKS for keypoints; box IoU for kind changes) of old and new;
/// - **relabeled**, **attributes** (per key, added/removed keys included), **score**;
/// - **other**: `z_order`, `group`, `crowd`, `source_id`, `kind`, and an explicit `bbox` that changed
///   while the geometry did not.
/// Numbers are equal when they differ by at most `Options.tolerance` (pixels for coordinates).
public enum DocumentDiff {
  /// How annotations of the two sides are paired.
  public enum Matching: String, Sendable, Hashable {
    /// By id only.
    case ids
    /// By geometry only (`AnnotationMatcher`).
    case geometry
    /// By id, falling back to geometry when both sides are non-empty and share no id.
    case automatic
  }

  /// Options of a document diff.
  public struct Options: Sendable, Hashable {
    /// Largest difference treated as float noise (pixels, score units, attribute numbers).
    public var tolerance: Double
    /// How annotations are paired.
    public var matching: Matching
    /// Options of the geometry matcher, when it is used.
    public var matcher: AnnotationMatcher.Options
    /// Report changes of `source_id` (the id a source format gave). Off by default: tools
    /// renumber on every export, and such a change is bookkeeping, not a label change.
    public var includeSourceIDs: Bool = false

    /// Defaults: tolerance 1e-6, automatic matching, matcher threshold 0.5.
    public init(tolerance: Double = 1e-6, matching: Matching = .automatic,
                matcher: AnnotationMatcher.Options = AnnotationMatcher.Options()) {
      self.tolerance = tolerance; self.matching = matching; self.matcher = matcher
    }
  }

  /// The differences between two documents of one image.
  public struct Outcome: Sendable, Equatable {
    /// The image record of the old side, nil if there was no document.
    public var oldImage: ImageRecord?
    /// The image record of the new side, nil if there is no document.
    public var newImage: ImageRecord?
    /// Changes of the image record (width, height, media_type, split, source_id, path, attributes.KEY).
    public var imageChanges: [FieldChange]
    /// Annotation changes, sorted by id (then old id).
    public var changes: [AnnotationChange]
    /// True when annotations were paired by geometry instead of id.
    public var matchedByGeometry: Bool

    /// Creates an outcome.
    public init(oldImage: ImageRecord?, newImage: ImageRecord?, imageChanges: [FieldChange] = [],
                changes: [AnnotationChange] = [], matchedByGeometry: Bool = false) {
      self.oldImage = oldImage; self.newImage = newImage; self.imageChanges = imageChanges
      self.changes = changes; self.matchedByGeometry = matchedByGeometry
    }

    /// True when nothing changed.
    public var isEmpty: Bool { imageChanges.isEmpty && changes.isEmpty }
  }

  /// Compares `old` with `new`; either may be nil (image added or removed).
  public static func compare(old: LabelDocument?, new: LabelDocument?, options: Options = Options()) -> Outcome {
    let olds = old?.annotations ?? [], news = new?.annotations ?? []
    let byGeometry: Bool
    switch options.matching {
    case .ids: byGeometry = false
    case .geometry: byGeometry = true
    case .automatic:
      byGeometry = !olds.isEmpty && !news.isEmpty && Set(olds.map(\.id)).isDisjoint(with: news.map(\.id))
    }
    var pairs: [(Annotation, Annotation)] = []
    var removed: [Annotation] = [], added: [Annotation] = []
    if byGeometry {
      let m = AnnotationMatcher.match(olds, news, options: options.matcher)
      pairs = m.pairs.map { (olds[$0.oldIndex], news[$0.newIndex]) }
      removed = m.unmatchedOld.map { olds[$0] }
      added = m.unmatchedNew.map { news[$0] }
    } else {
      let newByID = Dictionary(news.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
      let oldIDs = Set(olds.map(\.id))
      for a in olds {
        if let b = newByID[a.id] { pairs.append((a, b)) } else { removed.append(a) }
      }
      added = news.filter { !oldIDs.contains($0.id) }
    }
    var changes: [AnnotationChange] = []
    for a in removed { changes.append(AnnotationChange(id: a.id, status: .removed, old: a, new: nil)) }
    for b in added { changes.append(AnnotationChange(id: b.id, status: .added, old: nil, new: b)) }
    for (a, b) in pairs {
      if let c = compareAnnotations(a, b, options: options) { changes.append(c) }
    }
    changes.sort { x, y in
      if x.id != y.id { return x.id.utf8.lexicographicallyPrecedes(y.id.utf8) }
      return (x.oldID ?? x.id).utf8.lexicographicallyPrecedes((y.oldID ?? y.id).utf8)
    }
    var imageChanges: [FieldChange] = []
    if let o = old?.image, let n = new?.image { imageChanges = compareImages(o, n, tolerance: options.tolerance) }
    return Outcome(oldImage: old?.image, newImage: new?.image, imageChanges: imageChanges, changes: changes,
                   matchedByGeometry: byGeometry)
  }

  // MARK: - Annotation pairs

  /// The change record of one paired annotation, nil if equal within tolerance.
  static func compareAnnotations(_ a: Annotation, _ b: Annotation, options: Options) -> AnnotationChange? {
    let tol = options.tolerance
    var c = AnnotationChange(id: b.id, oldID: a.id == b.id ? nil : a.id, status: .modified, old: a, new: b)
    if a.label != b.label { c.relabeled = .init(from: a.label, to: b.label) }

    let geometryEqual = Geometry.close(a.shape, b.shape, tol)
    if !geometryEqual {
      let ba = a.shapeBoundingBox, bb = b.shapeBoundingBox
      if let ba, let bb {
        if abs(bb.x - ba.x) > tol || abs(bb.y - ba.y) > tol { c.moved = .init(dx: bb.x - ba.x, dy: bb.y - ba.y) }
        if abs(bb.w - ba.w) > tol || abs(bb.h - ba.h) > tol {
          c.resized = .init(sx: ba.w > 0 ? bb.w / ba.w : nil, sy: ba.h > 0 ? bb.h / ba.h : nil)
        }
      }
      if a.shape.kind != b.shape.kind {
        c.fields.append(FieldChange(field: "kind", old: .string(a.shape.kind), new: .string(b.shape.kind)))
        c.reshaped = .init(iou: (ba != nil && bb != nil) ? ba!.iou(bb!) : 0)
      } else if !Geometry.explainedByBox(a.shape, b.shape, from: ba, to: bb, tol) {
        c.reshaped = .init(iou: AnnotationMatcher.similarity(a, b, options: options.matcher) ?? 0)
      }
    } else if !boxesClose(a.bbox, b.bbox, tol) {
      // The source's explicit box changed while the geometry did not.
      c.fields.append(FieldChange(field: "bbox", old: a.bbox.map { numbers($0.array) }, new: b.bbox.map { numbers($0.array) }))
    }

    for key in Set(a.attributes.keys).union(b.attributes.keys).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      let x = a.attributes[key], y = b.attributes[key]
      if !attributesClose(x, y, tol) { c.attributes.append(AttributeChange(key: key, old: x, new: y)) }
    }
    if !optionalClose(a.score, b.score, tol) { c.score = .init(old: a.score, new: b.score) }
    if a.crowd != b.crowd { c.fields.append(FieldChange(field: "crowd", old: .bool(a.crowd), new: .bool(b.crowd))) }
    if a.group != b.group { c.fields.append(FieldChange(field: "group", old: a.group.map { .number(Double($0)) }, new: b.group.map { .number(Double($0)) })) }
    if options.includeSourceIDs, a.sourceID != b.sourceID { c.fields.append(FieldChange(field: "source_id", old: a.sourceID.map { .string($0) }, new: b.sourceID.map { .string($0) })) }
    if a.zOrder != b.zOrder { c.fields.append(FieldChange(field: "z_order", old: a.zOrder.map { .number(Double($0)) }, new: b.zOrder.map { .number(Double($0)) })) }
    c.fields.sort { $0.field.utf8.lexicographicallyPrecedes($1.field.utf8) }
    return c.kinds.isEmpty ? nil : c
  }

  static func numbers(_ a: [Double]) -> JSONValue { .array(a.map { .number($0) }) }

  static func optionalClose(_ x: Double?, _ y: Double?, _ tol: Double) -> Bool {
    switch (x, y) {
    case (nil, nil): return true
    case (let p?, let q?): return abs(p - q) <= tol
    default: return false
    }
  }

  static func boxesClose(_ x: Box?, _ y: Box?, _ tol: Double) -> Bool {
    switch (x, y) {
    case (nil, nil): return true
    case (let p?, let q?): return zip(p.array, q.array).allSatisfy { abs($0 - $1) <= tol }
    default: return false
    }
  }

  static func attributesClose(_ x: AttributeValue?, _ y: AttributeValue?, _ tol: Double) -> Bool {
    if case .number(let p)? = x, case .number(let q)? = y { return abs(p - q) <= tol }
    return x == y
  }

  // MARK: - Image records

  static func compareImages(_ o: ImageRecord, _ n: ImageRecord, tolerance: Double) -> [FieldChange] {
    var out: [FieldChange] = []
    func str(_ s: String?) -> JSONValue? { s.map { .string($0) } }
    if o.path != n.path { out.append(FieldChange(field: "path", old: .string(o.path), new: .string(n.path))) }
    if o.width != n.width { out.append(FieldChange(field: "width", old: .number(Double(o.width)), new: .number(Double(n.width)))) }
    if o.height != n.height { out.append(FieldChange(field: "height", old: .number(Double(o.height)), new: .number(Double(n.height)))) }
    if o.mediaType != n.mediaType { out.append(FieldChange(field: "media_type", old: .string(o.mediaType), new: .string(n.mediaType))) }
    if o.split != n.split { out.append(FieldChange(field: "split", old: str(o.split), new: str(n.split))) }
    if o.sourceID != n.sourceID { out.append(FieldChange(field: "source_id", old: str(o.sourceID), new: str(n.sourceID))) }
    for key in Set(o.attributes.keys).union(n.attributes.keys) {
      let x = o.attributes[key], y = n.attributes[key]
      if !attributesClose(x, y, tolerance) { out.append(FieldChange(field: "attributes." + key, old: x?.json, new: y?.json)) }
    }
    out.sort { $0.field.utf8.lexicographicallyPrecedes($1.field.utf8) }
    return out
  }
}

/// Geometry comparisons used by the document diff.
enum Geometry {
  /// Equal shapes within `tol` (masks: equal decoded runs).
  static func close(_ a: Shape, _ b: Shape, _ tol: Double) -> Bool {
    func eq(_ x: [Double], _ y: [Double]) -> Bool { x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= tol } }
    switch (a, b) {
    case (.box(let x, let r), .box(let y, let s)): return eq(x.array + [r], y.array + [s])
    case (.polygon(let x), .polygon(let y)): return x.count == y.count && zip(x, y).allSatisfy { eq($0, $1) }
    case (.polyline(let x), .polyline(let y)), (.points(let x), .points(let y)), (.keypoints(let x), .keypoints(let y)):
      return eq(x, y)
    case (.ellipse(let a1, let a2, let a3, let a4, let a5), .ellipse(let b1, let b2, let b3, let b4, let b5)):
      return eq([a1, a2, a3, a4, a5], [b1, b2, b3, b4, b5])
    case (.mask(let x), .mask(let y)):
      return x.height == y.height && x.width == y.width && RLE.runs(x) == RLE.runs(y)
    case (.tag, .tag): return true
    default: return false
    }
  }

  /// True when `b` is `a` moved and scaled as its bounding box moved and scaled (same kind assumed).
  static func explainedByBox(_ a: Shape, _ b: Shape, from ba: Box?, to bb: Box?, _ tol: Double) -> Bool {
    switch (a, b) {
    case (.box(_, let r), .box(_, let s)), (.ellipse(_, _, _, _, let r), .ellipse(_, _, _, _, let s)):
      // Both are fully described by their box apart from the rotation.
      return abs(r - s) <= tol
    case (.tag, .tag): return true
    case (.polygon(let x), .polygon(let y)):
      guard let ba, let bb, x.count == y.count else { return false }
      return zip(x, y).allSatisfy { mapped($0, $1, ba, bb, tol) }
    case (.polyline(let x), .polyline(let y)), (.points(let x), .points(let y)):
      guard let ba, let bb else { return false }
      return mapped(x, y, ba, bb, tol)
    case (.keypoints(let x), .keypoints(let y)):
      guard let ba, let bb, x.count == y.count else { return false }
      var i = 0
      while i + 2 < x.count {
        if x[i + 2] != y[i + 2] { return false }
        if x[i + 2] > 0, !pointMapped(x[i], x[i + 1], y[i], y[i + 1], ba, bb, tol) { return false }
        i += 3
      }
      return true
    case (.mask(let x), .mask(let y)):
      return maskTranslated(x, y)
    default:
      return false
    }
  }

  static func mapped(_ x: [Double], _ y: [Double], _ ba: Box, _ bb: Box, _ tol: Double) -> Bool {
    guard x.count == y.count else { return false }
    var i = 0
    while i + 1 < x.count {
      if !pointMapped(x[i], x[i + 1], y[i], y[i + 1], ba, bb, tol) { return false }
      i += 2
    }
    return true
  }

  static func pointMapped(_ px: Double, _ py: Double, _ qx: Double, _ qy: Double, _ ba: Box, _ bb: Box, _ tol: Double) -> Bool {
    let sx = ba.w > 0 ? bb.w / ba.w : 1, sy = ba.h > 0 ? bb.h / ba.h : 1
    let ex = bb.x + (px - ba.x) * sx, ey = bb.y + (py - ba.y) * sy
    return abs(ex - qx) <= tol && abs(ey - qy) <= tol
  }

  /// True when `b`'s foreground is `a`'s shifted by one constant offset in column-major order,
  /// which is exactly a translation that keeps the object inside the image.
  static func maskTranslated(_ a: RLEMask, _ b: RLEMask) -> Bool {
    guard a.height == b.height, a.width == b.width, let ra = RLE.runs(a), let rb = RLE.runs(b) else { return false }
    func intervals(_ r: [Int]) -> [(Int, Int)] {
      var out: [(Int, Int)] = [], pos = 0
      for (i, len) in r.enumerated() {
        if i % 2 == 1 && len > 0 { out.append((pos, len)) }
        pos += len
      }
      return out
    }
    let ia = intervals(ra), ib = intervals(rb)
    guard ia.count == ib.count, let fa = ia.first, let fb = ib.first else { return ia.isEmpty && ib.isEmpty }
    let shift = fb.0 - fa.0
    return zip(ia, ib).allSatisfy { $0.1 == $1.1 && $1.0 - $0.0 == shift }
  }
}
