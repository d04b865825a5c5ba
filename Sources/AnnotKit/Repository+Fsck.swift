import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  /// `annot fsck`: every object reachable from refs, HEAD and the stage is read and re-hashed;
  /// then every label document of HEAD (or `rev`) must parse. Labels-only clones report the
  /// image blobs they have not fetched separately, as that is expected there.
  public func fsck(documentsAt rev: String? = nil) throws -> (objects: Int, problems: [String], missingImages: Int) {
    let refIssues = refProblems()
    // Nothing below can read a damaged HEAD: report the refs alone.
    if refIssues.contains(where: { $0.hasPrefix("HEAD:") }) { return (0, refIssues, 0) }
    // A damaged ref must not stop the object check: refProblems reports it, from the files.
    var roots = (try? git.references(prefix: "refs/").map(\.id)) ?? refRoots()
    if let h = try headCommit() { roots.append(h) }
    if let m = try pendingMergeHead() { roots.append(m) }
    var (count, problems) = try git.verifyReachable(from: roots)
    var missingImages = 0
    if isLabelsOnly {
      let images = Set(try roots.flatMap { r -> [ObjectID] in
        guard let t = try? git.commit(r).tree, let e = try git.entry(tree: t, path: "images"), e.isTree else { return [] }
        return try git.leafEntries(under: e.id).map(\.id)
      })
      let before = problems.count
      problems.removeAll { p in images.contains(p.id) && p.message.hasPrefix("missing") }
      missingImages = before - problems.count
    }
    var out = refIssues + problems.map(\.description)
    let stage = try stageTree()
    if !git.exists(stage) { out.append("stage tree \(stage.hex) is missing") }
    let hasHead = try headCommit() != nil
    if let rev = rev ?? (hasHead ? "HEAD" : nil) {
      for problem in try validate(rev).problems where problem.structural || problem.message.contains("JSON") || problem.message.contains("missing") || problem.message.contains("no image") {
        out.append(problem.description)
      }
    }
    return (count, out, missingImages)
  }
}
