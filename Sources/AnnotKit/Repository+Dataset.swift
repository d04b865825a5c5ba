import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  /// One problem `annot validate` found.
  public struct ValidationProblem: Sendable {
    public var file: String
    public var annotation: String?
    public var message: String
    /// A tree rule (name, mode, canonical form: IncomingCheck.swift), not a document's content.
    public var structural = false
    public var description: String {
      let f = DisplayText.quoted(file)
      return annotation.map { "\(f): annotation \($0): \(message)" } ?? "\(f): \(message)"
    }
  }

  /// Checks every document of `rev` against the schema and the image it describes. Computed
  /// from the documents themselves, not from the index, so it also catches what an index
  /// would not hold.
  public func validate(_ rev: String) throws -> (images: Int, problems: [ValidationProblem]) {
    let tree = try self.tree(of: rev)
    var out: [ValidationProblem] = []
    var schema = DatasetManifest()
    do { schema = try manifest(in: tree) } catch let e as StoreError {
      out.append(ValidationProblem(file: DatasetPath.manifestEntry, message: e.description))
    }
    // Names, modes, gitlinks, symlinks, canonical form, images that are not images.
    for p in revisionProblems(tree: tree, documents: false) {
      out.append(ValidationProblem(file: p.path, message: p.message, structural: true))
    }
    let all = try entries(in: tree)
    for e in all {
      let file = DatasetPath.labelEntry(e.path)
      guard let labels = e.labels else { out.append(ValidationProblem(file: DatasetPath.imageEntry(e.path), message: "image has no label document")); continue }
      if e.image == nil { out.append(ValidationProblem(file: file, message: "no image images/\(e.path)")) }
      let doc: LabelDocument
      do { doc = try LabelDocument.decode(git.blob(labels)) } catch let e as StoreError {
        out.append(ValidationProblem(file: file, message: e.description)); continue
      } catch {
        out.append(ValidationProblem(file: file, message: "\(error)")); continue
      }
      if doc.image.path != e.path { out.append(ValidationProblem(file: file, message: "image.path is \"\(doc.image.path)\"")) }
      for p in DocumentValidation.problems(doc, schema: schema) {
        out.append(ValidationProblem(file: file, annotation: p.annotationID, message: p.message))
      }
    }
    return (all.count, out)
  }

  /// Assigns train/val/test (or any named) splits deterministically and stores them in the
  /// documents on the stage: an image's bucket depends only on its path and `seed`, so adding
  /// images never moves existing ones. With `stratify`, images are grouped by their most
  /// frequent class and each group is divided in the given ratios.
  public func split(ratios: [(String, Double)], seed: String = "", stratify: Bool = false,
                    only: Set<String>? = nil) throws -> [String: Int] {
    let tx = try StageTransaction(self, command: "split")
    let total = ratios.map(\.1).reduce(0, +)
    guard total > 0, ratios.allSatisfy({ $0.1 >= 0 }) else { throw AnnotError.other("split ratios must be non-negative and not all zero") }
    let stage = tx.base
    func rank(_ path: String) -> UInt64 {
      SHA256.hash(Array((seed + "\u{0}" + path).utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
    var docs: [(path: String, blob: ObjectID, doc: LabelDocument)] = []
    for e in try entries(in: stage) {
      guard let b = e.labels, only?.contains(e.path) ?? true else { continue }
      docs.append((e.path, b, try decodeDocument(b, path: DatasetPath.labelEntry(e.path))))
    }
    var groups: [String: [Int]] = [:]
    for (i, d) in docs.enumerated() {
      var key = ""
      if stratify {
        var counts: [String: Int] = [:]
        for a in d.doc.annotations { counts[a.label, default: 0] += 1 }
        key = counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? ""
      }
      groups[key, default: []].append(i)
    }
    var assigned: [Int: String] = [:]
    for (_, members) in groups {
      let ordered = members.sorted { rank(docs[$0].path) < rank(docs[$1].path) }
      if !stratify {
        // Each image independently by its hash: stable when images are added.
        for i in ordered {
          let u = Double(rank(docs[i].path)) / Double(UInt64.max) * total
          var acc = 0.0
          assigned[i] = ratios.last!.0
          for (name, r) in ratios { acc += r; if u < acc { assigned[i] = name; break } }
        }
      } else {
        var start = 0
        for (k, (name, r)) in ratios.enumerated() {
          let end = k == ratios.count - 1 ? ordered.count : min(ordered.count, start + Int((Double(ordered.count) * r / total).rounded()))
          for i in ordered[start..<end] { assigned[i] = name }
          start = end
        }
      }
    }
    var counts: [String: Int] = [:]
    for (i, d) in docs.enumerated() {
      let s = assigned[i]!
      counts[s, default: 0] += 1
      if d.doc.image.split == s { continue }
      var doc = d.doc
      doc.image.split = s
      try tx.putDocument(doc)
    }
    try tx.finish()
    return counts
  }
}
