import Foundation
import AnnotModel

extension COCOImporter {
  /// One COCO annotation → one model annotation, or two when it has both a segmentation and
  /// keypoints (the keypoints become `coco:<id>:keypoints` with the same source id).
  func annotations(_ n: JSONNode, id: Int, label lc: LabelClass, image: ImageRecord) throws(FormatError) -> [Annotation] {
    let W = Double(image.width), H = Double(image.height), tol = Self.tolerance
    func inside(_ flat: [Double], _ node: JSONNode, stride: Int = 2) throws(FormatError) {
      var k = 0
      while k + 1 < flat.count {
        let visible = stride == 2 || flat[k + 2] > 0
        if visible && (flat[k] < -tol || flat[k] > W + tol || flat[k + 1] < -tol || flat[k + 1] > H + tol) {
          throw node.fail("point (\(CanonicalJSON.number(flat[k])), \(CanonicalJSON.number(flat[k + 1]))) is outside the \(image.width)x\(image.height) image")
        }
        k += stride
      }
    }

    var bbox: Box?
    if let b = n.optional("bbox") {
      let v = try b.numbers()
      guard v.count == 4 else { throw b.fail("expected 4 numbers [x, y, w, h], found \(v.count)") }
      guard v[2] >= 0, v[3] >= 0 else { throw b.fail("negative box size \(CanonicalJSON.number(v[2]))x\(CanonicalJSON.number(v[3]))") }
      let box = Box(x: v[0], y: v[1], w: v[2], h: v[3])
      if box.x < -tol || box.y < -tol || box.maxX > W + tol || box.maxY > H + tol {
        throw b.fail("box [\(v.map(CanonicalJSON.number).joined(separator: ", "))] extends outside the \(image.width)x\(image.height) image by more than \(tol) px")
      }
      bbox = box
    }

    var crowd = false
    if let c = n.optional("iscrowd") {
      if case .bool(let b) = c.value { crowd = b } else {
        let v = try c.int()
        guard v == 0 || v == 1 else { throw c.fail("expected 0 or 1, found \(v)") }
        crowd = v == 1
      }
    }
    var attributes = try n.optional("attributes")?.attributes() ?? [:]
    let score = try n.optional("score")?.number()
    var area: Double?
    if let an = n.optional("area"), !an.value.isNull {
      let v = try an.number()
      guard v >= 0 else { throw an.fail("negative area \(CanonicalJSON.number(v))") }
      area = v
    }

    var segShape: Shape?
    if let s = n.optional("segmentation") {
      switch s.value {
      case .array(let parts) where !parts.isEmpty:
        var ps: [[Double]] = []
        for p in try s.array() {
          let flat = try p.numbers()
          guard flat.count >= 6, flat.count % 2 == 0 else { throw p.fail("a polygon needs an even number of coordinates, at least 6; found \(flat.count)") }
          try inside(flat, p)
          ps.append(flat)
        }
        segShape = .polygon(ps)
      case .array: break
      case .object:
        let size = try s.required("size").array().map { x throws(FormatError) in try x.int() }
        guard size.count == 2 else { throw s.fail("size: expected [height, width]") }
        guard size[0] == image.height, size[1] == image.width else {
          throw s.fail("mask size \(size[1])x\(size[0]) differs from the \(image.width)x\(image.height) image")
        }
        let c = try s.required("counts")
        let mask: RLEMask
        switch c.value {
        case .string(let str):
          guard RLE.decode(str) != nil else { throw c.fail("malformed compressed RLE counts") }
          mask = RLEMask(height: size[0], width: size[1], counts: .compressed(str))
        default:
          let runs = try c.array().map { x throws(FormatError) in try x.int() }
          guard runs.allSatisfy({ $0 >= 0 }) else { throw c.fail("negative run length") }
          mask = RLEMask(height: size[0], width: size[1], counts: .runs(runs))
        }
        let total = RLE.runs(mask)!.reduce(0, +)
        guard total == image.width * image.height else { throw c.fail("RLE runs cover \(total) pixels, the image has \(image.width * image.height)") }
        segShape = .mask(mask)
      default:
        throw s.fail("expected a list of polygons or an RLE object, found \(s.value.typeName)")
      }
    }

    var kpShape: Shape?
    if let k = n.optional("keypoints") {
      let flat = try k.numbers()
      if !flat.isEmpty {
        guard flat.count % 3 == 0 else { throw k.fail("expected [x, y, v] triples, found \(flat.count) numbers") }
        if !lc.keypoints.isEmpty && flat.count / 3 != lc.keypoints.count {
          throw k.fail("\(flat.count / 3) keypoints, category \"\(lc.name)\" defines \(lc.keypoints.count)")
        }
        var v = 2
        while v < flat.count {
          guard [0, 1, 2].contains(flat[v]) else { throw k.fail("visibility \(CanonicalJSON.number(flat[v])) is not 0, 1 or 2") }
          v += 3
        }
        try inside(flat, k, stride: 3)
        kpShape = .keypoints(flat)
      } else if let nk = try n.optional("num_keypoints")?.int(), nk > 0 {
        throw k.fail("num_keypoints is \(nk) but keypoints is empty")
      }
    }

    var primary: Shape
    var rotation = 0.0
    if let s = segShape { primary = s } else if let k = kpShape { primary = k; kpShape = nil } else {
      guard let b = bbox else { throw n.fail("has no bbox, segmentation or keypoints") }
      // CVAT writes a rotated box's angle as the `rotation` attribute; annot keeps it in the shape.
      if case .number(let r)? = attributes["rotation"] { rotation = r; attributes["rotation"] = nil }
      guard b.w > 0, b.h > 0 else { throw n.fail("box size \(CanonicalJSON.number(b.w))x\(CanonicalJSON.number(b.h)) is not positive") }
      primary = .box(b, rotation: rotation)
    }
    let keptBox: Box? = if case .box = primary { nil } else { bbox }
    var first = Annotation(id: AnnotationID.make(imagePath: image.path, seed: "coco:\(id)"), label: lc.name, shape: primary,
                           bbox: keptBox, attributes: attributes, score: score, crowd: crowd, sourceID: String(id))
    // The source's area is kept when it differs from what annot would derive (COCO's own areas
    // come from pycocotools' polygon rasterisation, not the shoelace sum), and written back.
    if let area, area != COCOExporter.derivedArea(first) { first.sourceArea = area }
    var out = [first]
    if let k = kpShape {
      out.append(Annotation(id: AnnotationID.make(imagePath: image.path, seed: "coco:\(id):keypoints"), label: lc.name, shape: k,
                            bbox: bbox, attributes: attributes, score: score, crowd: crowd, sourceID: String(id)))
    }
    return out
  }
}
