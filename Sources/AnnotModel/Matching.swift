// The shared annotation matcher: one-to-one pairing of two annotation lists of one image.
// Diff uses it when ids do not line up; importers use `reattachIDs` to give annotations
// from id-less formats the ids they had in the parent revision. See Docs/DIFF.md, "Matching".

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One-to-one matching of two annotation lists of the same image by shape similarity.
///
/// Similarity is defined only between annotations of the same shape kind:
/// - box: IoU of the axis-aligned boxes; **rotation is ignored** (a rotated box is compared as
///   its unrotated rectangle),
/// - polygon, ellipse: area IoU computed by rasterising both shapes on a grid over their joint
///   bounding box (`Options.rasterResolution` cells along the longer side, cell centres
///   sampled). Polygon parts are unioned, each part filled even-odd; ellipses become 64-gons
///   (rotation honoured). The error is about one cell along the outlines: under 1% IoU for
///   shapes that fill the grid at the default 256; identical shapes score exactly 1,
/// - mask: exact pixel IoU of the RLE masks (0 when their sizes differ),
/// - keypoints: COCO's object keypoint similarity (see `oks`),
/// - polyline, points: IoU of their bounding boxes padded by 0.5 px on each side, so single
///   points and straight lines still have an area,
/// - tag: 1 when the labels are equal, else 0 (a tag has no geometry to relabel).
///
/// ### How pairs are chosen
/// 1. **Unchanged annotations pair first.** An annotation whose content (label, shape, box,
///    attributes, score, group, z-order, crowd) is equal on both sides is paired with its copy
///    before anything else, so an untouched annotation always keeps its partner, whatever ids
///    a tool gave it. Several equal copies pair equal `sourceID` first, then in id order.
/// 2. **The rest is one global assignment.** Every remaining same-kind pair at or above
///    `Options.threshold` scores `similarity + labelBonus (same label) + sourceIDBonus (equal
///    non-nil sourceID)`, and the pairs are chosen one-to-one to maximise the total score
///    (Hungarian algorithm, per connected group of overlapping annotations). A source id thus
///    breaks near-ties of geometry but never outweighs a clearly better shape: when a tool
///    renumbers and gives box B the number box A had, A still pairs with A. A group too large
///    for the exact assignment (`Options.exactAssignmentLimit`) is paired greedily by score.
/// Scores are compared after rounding to 1e-9 and ties are broken by the ids sorted (then list
/// position), so the result never depends on hash or input order.
public enum AnnotationMatcher {
  /// How to compare and pair annotations.
  public struct Options: Sendable, Hashable {
    /// The least similarity (IoU or OKS) for two annotations to be paired.
    public var threshold: Double
    /// Grid cells along the longer side of the joint bounding box when rasterising polygons and ellipses.
    public var rasterResolution: Int
    /// Per-keypoint COCO sigma used when `keypointSigmas` is nil or shorter than the keypoint list.
    /// 0.07 is close to the mean of COCO's 17 person sigmas (0.025…0.107).
    public var keypointSigma: Double
    /// Per-keypoint sigmas (COCO's `sigmas` array), by keypoint index.
    public var keypointSigmas: [Double]?
    /// Whether an equal non-nil `sourceID` adds `sourceIDBonus` to a pair's score.
    /// A source id only helps when the geometry also agrees: it never admits a pair below threshold.
    public var preferSourceID: Bool
    /// Added to the score of a pair with the same label (default 0.1): a relabel is still a
    /// match, but between two similar shapes the one with the same label wins.
    public var labelBonus: Double
    /// Added to the score of a pair with equal non-nil source ids (default 0.05, smaller than
    /// `labelBonus`): tools renumber, so a source id only settles shapes that are nearly as similar.
    public var sourceIDBonus: Double
    /// The largest group of mutually overlapping annotations (old × new × min(old, new)) paired
    /// by the exact assignment; larger groups (and any with more than 2²⁰ old × new cells) are
    /// paired greedily by score. The default, 2²⁴, is a group of 256 × 256 annotations, about
    /// 16 M steps.
    public var exactAssignmentLimit: Int

    /// Defaults: threshold 0.5, 256-cell raster, sigma 0.07, source ids preferred, label bonus
    /// 0.1, source-id bonus 0.05, exact assignment up to 256 × 256.
    public init(threshold: Double = 0.5, rasterResolution: Int = 256, keypointSigma: Double = 0.07,
                keypointSigmas: [Double]? = nil, preferSourceID: Bool = true,
                labelBonus: Double = 0.1, sourceIDBonus: Double = 0.05, exactAssignmentLimit: Int = 1 << 24) {
      self.threshold = threshold; self.rasterResolution = rasterResolution; self.keypointSigma = keypointSigma
      self.keypointSigmas = keypointSigmas; self.preferSourceID = preferSourceID
      self.labelBonus = labelBonus; self.sourceIDBonus = sourceIDBonus; self.exactAssignmentLimit = exactAssignmentLimit
    }
  }

  /// One matched pair: positions in the two input lists and their similarity.
  public struct Pair: Sendable, Hashable {
    /// Index into the `old` list.
    public var oldIndex: Int
    /// Index into the `new` list.
    public var newIndex: Int
    /// IoU or OKS of the two annotations, in 0…1.
    public var similarity: Double
    /// Creates a pair.
    public init(oldIndex: Int, newIndex: Int, similarity: Double) {
      self.oldIndex = oldIndex; self.newIndex = newIndex; self.similarity = similarity
    }
  }

  /// The matching: pairs sorted by `oldIndex`, and the indices left over on each side (ascending).
  public struct Outcome: Sendable, Hashable {
    /// Matched pairs, sorted by old index.
    public var pairs: [Pair]
    /// Indices of `old` annotations without a partner.
    public var unmatchedOld: [Int]
    /// Indices of `new` annotations without a partner.
    public var unmatchedNew: [Int]
  }

  /// Pairs `old` and `new` one-to-one (see the type's documentation for the rules).
  ///
  /// Cost: one cheap bounding-box test per same-kind pair, a full similarity (raster, RLE
  /// walk or OKS) only for pairs whose boxes overlap, and an assignment per group of
  /// overlapping annotations (cubic in the group's size, bounded by `exactAssignmentLimit`).
  public static func match(_ old: [Annotation], _ new: [Annotation], options: Options = Options()) -> Outcome {
    var partnerOfOld = [Int?](repeating: nil, count: old.count)
    var partnerOfNew = [Int?](repeating: nil, count: new.count)
    var pairs: [Pair] = []
    func less(_ x: String, _ y: String) -> Bool { x.utf8.lexicographicallyPrecedes(y.utf8) }

    let oldOrder = { (x: Int, y: Int) -> Bool in old[x].id != old[y].id ? less(old[x].id, old[y].id) : x < y }
    let newOrder = { (x: Int, y: Int) -> Bool in new[x].id != new[y].id ? less(new[x].id, new[y].id) : x < y }

    // 1. Unchanged content pairs first (each group of equal copies on its own; groups are independent).
    var oldByContent: [Annotation: [Int]] = [:]
    for (i, a) in old.enumerated() { oldByContent[a.identityFree, default: []].append(i) }
    var newByContent: [Annotation: [Int]] = [:]
    for (j, b) in new.enumerated() { newByContent[b.identityFree, default: []].append(j) }
    for (content, js) in newByContent {
      guard let is_ = oldByContent[content] else { continue }
      var os = is_.sorted(by: oldOrder), ns = js.sorted(by: newOrder)
      if options.preferSourceID {
        // Equal source ids first, then in id order.
        var rest: [Int] = []
        for j in ns {
          if let sid = new[j].sourceID, let at = os.firstIndex(where: { old[$0].sourceID == sid }) {
            partnerOfOld[os[at]] = j; partnerOfNew[j] = os[at]
            os.remove(at: at)
          } else {
            rest.append(j)
          }
        }
        ns = rest
      }
      for (i, j) in zip(os, ns) { partnerOfOld[i] = j; partnerOfNew[j] = i }
    }
    for (i, j) in partnerOfOld.enumerated() { if let j { pairs.append(Pair(oldIndex: i, newIndex: j, similarity: 1)) } }

    // 2. Candidates among the rest, scored.
    var candidates: [Candidate] = []
    let oldBoxes = old.map(\.shapeBoundingBox), newBoxes = new.map(\.shapeBoundingBox)
    for (i, a) in old.enumerated() where partnerOfOld[i] == nil {
      for (j, b) in new.enumerated() where partnerOfNew[j] == nil && a.shape.kind == b.shape.kind {
        // Boxes that do not touch cannot reach a positive IoU; keypoints (OKS) and tags are exempt.
        if a.shape.kind != "keypoints" && a.shape.kind != "tag",
           let ba = oldBoxes[i], let bb = newBoxes[j], !touches(ba, bb, pad: 0.5) { continue }
        guard let s = similarity(a, b, options: options), s >= options.threshold else { continue }
        var score = s
        if a.label == b.label { score += options.labelBonus }
        if options.preferSourceID, a.sourceID != nil, a.sourceID == b.sourceID { score += options.sourceIDBonus }
        // Quantised so that float noise below 1e-9 counts as a tie, which the ids then break.
        candidates.append(Candidate(i: i, j: j, similarity: s, weight: max(1, Int64((score * 1e9).rounded()))))
      }
    }

    // 3. One assignment per group of annotations connected by candidates
    //    (union-find over old i and new old.count + j).
    var root = Array(0..<(old.count + new.count))
    func find(_ x: Int) -> Int {
      var x = x
      while root[x] != x { root[x] = root[root[x]]; x = root[x] }
      return x
    }
    for c in candidates {
      let a = find(c.i), b = find(old.count + c.j)
      if a != b { root[max(a, b)] = min(a, b) }
    }
    var groups: [Int: [Candidate]] = [:]
    for c in candidates { groups[find(c.i), default: []].append(c) }
    for key in groups.keys.sorted() {
      let group = groups[key]!
      // Rows and columns in id order, so the assignment does not depend on input order.
      let rows = Array(Set(group.map(\.i))).sorted(by: oldOrder)
      let cols = Array(Set(group.map(\.j))).sorted(by: newOrder)
      let (rc, o1) = rows.count.multipliedReportingOverflow(by: cols.count)
      let (steps, o2) = rc.multipliedReportingOverflow(by: min(rows.count, cols.count))
      // The matrix (rows × cols, 8 bytes a cell) also stays under 8 MB.
      let exact = !o1 && !o2 && steps <= options.exactAssignmentLimit && rc <= 1 << 20 && min(rows.count, cols.count) > 1
      for c in exact ? assign(group, rows: rows, cols: cols) : greedy(group, rows: rows, cols: cols) {
        partnerOfOld[c.i] = c.j; partnerOfNew[c.j] = c.i
        pairs.append(Pair(oldIndex: c.i, newIndex: c.j, similarity: c.similarity))
      }
    }
    pairs.sort { $0.oldIndex < $1.oldIndex }
    return Outcome(pairs: pairs,
                   unmatchedOld: old.indices.filter { partnerOfOld[$0] == nil },
                   unmatchedNew: new.indices.filter { partnerOfNew[$0] == nil })
  }

  /// A pair at or above the threshold: its similarity and its score (similarity plus bonuses,
  /// in units of 1e-9; at least 1, so that 0 means "no candidate" in the assignment matrix).
  struct Candidate { var i: Int, j: Int, similarity: Double, weight: Int64 }

  /// Greedy one-to-one choice: highest score first, ties by the rows' and columns' order.
  static func greedy(_ group: [Candidate], rows: [Int], cols: [Int]) -> [Candidate] {
    var rank: [Int: Int] = [:], crank: [Int: Int] = [:]
    for (n, i) in rows.enumerated() { rank[i] = n }
    for (n, j) in cols.enumerated() { crank[j] = n }
    let sorted = group.sorted { x, y in
      if x.weight != y.weight { return x.weight > y.weight }
      if rank[x.i]! != rank[y.i]! { return rank[x.i]! < rank[y.i]! }
      return crank[x.j]! < crank[y.j]!
    }
    var usedI = Set<Int>(), usedJ = Set<Int>()
    var out: [Candidate] = []
    for c in sorted where !usedI.contains(c.i) && !usedJ.contains(c.j) {
      usedI.insert(c.i); usedJ.insert(c.j); out.append(c)
    }
    return out
  }

  /// The one-to-one choice with the largest total score (Hungarian algorithm, O(n²m) for
  /// n = min and m = max of the two sides): a maximum-weight bipartite matching, where pairs
  /// that are not candidates weigh 0 and are dropped afterwards.
  static func assign(_ group: [Candidate], rows: [Int], cols: [Int]) -> [Candidate] {
    // Put the shorter side on the rows of the cost matrix.
    let transposed = rows.count > cols.count
    let r = transposed ? cols : rows, c = transposed ? rows : cols
    var rIndex: [Int: Int] = [:], cIndex: [Int: Int] = [:]
    for (k, x) in r.enumerated() { rIndex[x] = k + 1 }
    for (k, x) in c.enumerated() { cIndex[x] = k + 1 }
    let n = r.count, m = c.count
    var cost = [Int64](repeating: 0, count: (n + 1) * (m + 1))
    var byCell: [Int: Candidate] = [:]
    for cand in group {
      let ri = rIndex[transposed ? cand.j : cand.i]!, ci = cIndex[transposed ? cand.i : cand.j]!
      cost[ri * (m + 1) + ci] = -cand.weight
      byCell[ri * (m + 1) + ci] = cand
    }
    // e-maxx's formulation: potentials u (rows), v (columns); p[j] = row assigned to column j.
    let inf = Int64.max / 4
    var u = [Int64](repeating: 0, count: n + 1), v = [Int64](repeating: 0, count: m + 1)
    var p = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
    var minv = [Int64](repeating: inf, count: m + 1), used = [Bool](repeating: false, count: m + 1)
    for i in 1...n {
      p[0] = i
      var j0 = 0
      for j in 0...m { minv[j] = inf; used[j] = false }
      repeat {
        used[j0] = true
        let i0 = p[j0]
        var delta = inf, j1 = 0
        for j in 1...m where !used[j] {
          let cur = cost[i0 * (m + 1) + j] - u[i0] - v[j]
          if cur < minv[j] { minv[j] = cur; way[j] = j0 }
          if minv[j] < delta { delta = minv[j]; j1 = j }
        }
        for j in 0...m {
          if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
        }
        j0 = j1
      } while p[j0] != 0
      repeat {
        let j1 = way[j0]
        p[j0] = p[j1]
        j0 = j1
      } while j0 != 0
    }
    var out: [Candidate] = []
    for j in 1...m where p[j] != 0 {
      if let cand = byCell[p[j] * (m + 1) + j] { out.append(cand) }
    }
    return out
  }

  /// Similarity of two annotations in 0…1, or nil when their shape kinds differ.
  public static func similarity(_ a: Annotation, _ b: Annotation, options: Options = Options()) -> Double? {
    switch (a.shape, b.shape) {
    case (.box(let x, _), .box(let y, _)):
      return x == y ? 1 : x.iou(y)
    case (.polygon, .polygon), (.ellipse, .ellipse), (.polygon, .ellipse), (.ellipse, .polygon):
      guard a.shape.kind == b.shape.kind else { return nil }
      if a.shape == b.shape { return 1 }
      return rasterIoU(outlines(a.shape), outlines(b.shape), resolution: options.rasterResolution)
    case (.mask(let x), .mask(let y)):
      return RLE.iou(x, y) ?? 0
    case (.keypoints(let x), .keypoints(let y)):
      return oks(x, y, areaA: a.boundingBox?.area ?? 0, areaB: b.boundingBox?.area ?? 0, options: options)
    case (.polyline, .polyline), (.points, .points):
      guard let x = a.shapeBoundingBox, let y = b.shapeBoundingBox else { return 0 }
      return pad(x, 0.5).iou(pad(y, 0.5))
    case (.tag, .tag):
      return a.label == b.label ? 1 : 0
    default:
      return nil
    }
  }

  /// COCO object keypoint similarity, made symmetric.
  ///
  /// `OKS = Σ exp(-dᵢ² / (2 s² kᵢ²)) / n` with `kᵢ = 2σᵢ`, where `s²` is the mean of the two
  /// annotations' box areas (at least 1 px²), and the sum and `n` run over keypoints visible
  /// (v > 0) on either side; a keypoint visible on one side only contributes 0. Lists of
  /// different lengths score 0; two lists with no visible keypoint score 1.
  public static func oks(_ a: [Double], _ b: [Double], areaA: Double, areaB: Double, options: Options = Options()) -> Double {
    guard a.count == b.count, a.count % 3 == 0 else { return 0 }
    let s2 = max((areaA + areaB) / 2, 1)
    var sum = 0.0, n = 0
    for i in 0..<(a.count / 3) {
      let va = a[3 * i + 2] > 0, vb = b[3 * i + 2] > 0
      guard va || vb else { continue }
      n += 1
      guard va && vb else { continue }
      let dx = a[3 * i] - b[3 * i], dy = a[3 * i + 1] - b[3 * i + 1]
      let sigma = options.keypointSigmas.flatMap { i < $0.count ? $0[i] : nil } ?? options.keypointSigma
      let k = 2 * sigma
      sum += exp(-(dx * dx + dy * dy) / (2 * s2 * k * k))
    }
    return n == 0 ? 1 : sum / Double(n)
  }

  /// Re-attaches parent ids to a freshly imported document of the same image.
  ///
  /// Each imported annotation matched to a parent annotation (`match(parent, imported)` with
  /// `threshold`) takes the parent's id. Unmatched ones keep their ids unless the id is also a
  /// parent id or already taken; those get a deterministic fresh id derived from the image path
  /// and the old id, so importing the same file twice, or on two machines, gives the same ids.
  /// Everything else of the imported annotations (label, geometry, attributes) is kept.
  public static func reattachIDs(imported: LabelDocument, parent: LabelDocument?, threshold: Double = 0.5) -> LabelDocument {
    guard let parent, !parent.annotations.isEmpty else { return imported }
    let outcome = match(parent.annotations, imported.annotations, options: Options(threshold: threshold))
    var result = imported.annotations
    var taken = Set(parent.annotations.map(\.id))
    var matched = [Bool](repeating: false, count: result.count)
    for p in outcome.pairs {
      result[p.newIndex].id = parent.annotations[p.oldIndex].id
      matched[p.newIndex] = true
    }
    // Unmatched in id order, so the fresh ids do not depend on the input order.
    let unmatched = result.indices.filter { !matched[$0] }
      .sorted { result[$0].id.utf8.lexicographicallyPrecedes(result[$1].id.utf8) }
    for k in unmatched {
      var id = result[k].id
      var n = 0
      while taken.contains(id) {
        n += 1
        id = AnnotationID.make(imagePath: imported.image.path, seed: "reattach\u{0}\(result[k].id)\u{0}\(n)")
      }
      taken.insert(id)
      result[k].id = id
    }
    return LabelDocument(image: imported.image, annotations: result)
  }
}
