/// Checks a document for values annot never stores: non-finite numbers, negative sizes,
/// malformed shapes, labels outside the schema. Boxes that leave the image are reported,
/// not silently clipped: importers decide (see Docs/FORMAT.md, "Validation").
public enum DocumentValidation {
  public struct Problem: Sendable, Equatable, CustomStringConvertible {
    public var annotationID: String?
    public var message: String
    public var description: String { annotationID.map { "annotation \($0): \(message)" } ?? message }
  }

  public static func problems(_ doc: LabelDocument, schema: DatasetManifest?, tolerance: Double = 0.5) -> [Problem] {
    var out: [Problem] = []
    let W = Double(doc.image.width), H = Double(doc.image.height)
    if doc.image.width <= 0 || doc.image.height <= 0 { out.append(Problem(annotationID: nil, message: "image size \(doc.image.width)x\(doc.image.height)")) }
    if let tooBig = Limits.imageSizeProblem(width: doc.image.width, height: doc.image.height) {
      // Nothing below is checked: mask checks would walk runs over a huge image.
      return out + [Problem(annotationID: nil, message: tooBig)]
    }
    var ids = Set<String>()
    for a in doc.annotations {
      func bad(_ m: String) { out.append(Problem(annotationID: a.id, message: m)) }
      if !ids.insert(a.id).inserted { bad("duplicate id") }
      if let schema, schema.labelClass(named: a.label) == nil { bad("label \"\(a.label)\" is not a class of the schema") }
      let nums: [Double]
      switch a.shape {
      case .box(let b, let r): nums = b.array + [r]
      case .polygon(let parts): nums = parts.flatMap { $0 }
        for p in parts where p.count < 6 || p.count % 2 != 0 { bad("polygon part with \(p.count / 2) points (needs at least 3)") }
      case .polyline(let p), .points(let p): nums = p
        if p.count % 2 != 0 { bad("odd number of coordinates") }
      case .ellipse(let cx, let cy, let rx, let ry, let r): nums = [cx, cy, rx, ry, r]
        if rx < 0 || ry < 0 { bad("negative ellipse radius") }
      case .keypoints(let k): nums = k
      case .mask(let m):
        nums = []
        if m.height != doc.image.height || m.width != doc.image.width {
          bad("mask size \(m.width)x\(m.height) differs from the image \(doc.image.width)x\(doc.image.height)")
        }
        if RLE.runs(m) == nil { bad("malformed RLE counts") }
        else if let r = RLE.runs(m), r.reduce(0, +) != m.height * m.width { bad("RLE runs cover \(r.reduce(0, +)) pixels, not \(m.height * m.width)") }
      case .tag: nums = []
      }
      if nums.contains(where: { !$0.isFinite }) || (a.bbox?.array.contains { !$0.isFinite } ?? false) || (a.score.map { !$0.isFinite } ?? false)
          || (a.sourceArea.map { !$0.isFinite } ?? false) {
        bad("non-finite number"); continue
      }
      if let ar = a.sourceArea, ar < 0 { bad("negative area \(CanonicalJSON.number(ar))") }
      if case .box(let b, _) = a.shape, b.w <= 0 || b.h <= 0 { bad("box size \(CanonicalJSON.number(b.w))x\(CanonicalJSON.number(b.h)) is not positive") }
      if let b = a.boundingBox, W > 0, H > 0, a.shape.kind != "mask" {
        if b.x < -tolerance || b.y < -tolerance || b.maxX > W + tolerance || b.maxY > H + tolerance {
          bad("extends outside the \(doc.image.width)x\(doc.image.height) image: [\(b.array.map(CanonicalJSON.number).joined(separator: ", "))]")
        }
      }
      if case .keypoints(let k) = a.shape, let schema, let c = schema.labelClass(named: a.label), !c.keypoints.isEmpty, k.count / 3 != c.keypoints.count {
        bad("\(k.count / 3) keypoints, class \"\(a.label)\" defines \(c.keypoints.count)")
      }
    }
    return out
  }
}
