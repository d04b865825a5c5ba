import AnnotModel

/// Finds annotations both sides added under different ids for the same object.
///
/// Temporary and local to AnnotMerge: a shared `AnnotationMatcher` (AnnotModel/Matching.swift)
/// will replace it. The rule here: same label, same shape kind, and bounding-box IoU ≥ threshold
/// (image-level tags have no box: two tags with the same label are the same object). Pairs are
/// one-to-one, chosen greedily by highest IoU; ties break on the ids sorted, so swapping the sides
/// finds the same pairs.
enum SameObject {
  struct Pair { var ours: Annotation; var theirs: Annotation; var iou: Double }

  static func pairs(ours: [Annotation], theirs: [Annotation], threshold: Double) -> [Pair] {
    var candidates: [Pair] = []
    for o in ours {
      for t in theirs where o.label == t.label && o.shape.kind == t.shape.kind {
        let iou: Double
        if case .tag = o.shape { iou = 1 } else if let a = o.boundingBox, let b = t.boundingBox { iou = a.iou(b) } else { continue }
        if iou >= threshold { candidates.append(Pair(ours: o, theirs: t, iou: iou)) }
      }
    }
    func key(_ p: Pair) -> (String, String) {
      utf8Less(p.ours.id, p.theirs.id) ? (p.ours.id, p.theirs.id) : (p.theirs.id, p.ours.id)
    }
    candidates.sort { a, b in
      if a.iou != b.iou { return a.iou > b.iou }
      let ka = key(a), kb = key(b)
      return ka.0 != kb.0 ? utf8Less(ka.0, kb.0) : utf8Less(ka.1, kb.1)
    }
    var usedO = Set<String>(), usedT = Set<String>()
    var out: [Pair] = []
    for c in candidates where !usedO.contains(c.ours.id) && !usedT.contains(c.theirs.id) {
      usedO.insert(c.ours.id); usedT.insert(c.theirs.id)
      out.append(c)
    }
    return out.sorted { utf8Less($0.ours.id, $1.ours.id) }
  }
}
