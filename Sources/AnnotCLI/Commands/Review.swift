import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel
import AnnotDiff

extension Annot {
  struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write the HTML review page: staged changes against HEAD, plus base/ours/theirs overlays of merge conflicts.",
      discussion: "For two revisions use 'annot diff A B --html FILE'. The page is one self-contained file and makes no network request.")
    @Argument(help: "The HTML file to write.") var file: String
    func run() throws {
      let repo = try openRepository()
      let sides = try repo.diffSides([])
      let outcome = try repo.diff(old: sides.old, new: sides.new)
      let conflicts = try repo.conflictSides()
      var trees: [String: (ObjectID?, ObjectID?, ObjectID?)] = [:]
      for c in conflicts { trees[c.path] = c.trees }
      let page = ReviewPage.render(
        outcome,
        conflicts: conflicts.map { ReviewConflict(path: $0.path, caption: $0.caption, width: $0.width, height: $0.height, base: $0.base, ours: $0.ours, theirs: $0.theirs) },
        options: ReviewPage.Options(title: repo.isMerging ? "annot review: merge in progress" : "annot review: stage against HEAD")
      ) { path, side in
        let tree: ObjectID?
        switch side {
        case .before: tree = sides.old
        case .after: tree = sides.new
        case .base: tree = trees[path]?.0
        case .ours: tree = trees[path]?.1
        case .theirs: tree = trees[path]?.2
        }
        guard let bytes = (try? repo.imageBytes(in: tree, path: path)) ?? nil else { return nil }
        let media = (try? tree.flatMap { try repo.document(in: $0, path: path) })??.image.mediaType ?? "image/png"
        return ReviewImage(bytes: bytes, mediaType: media)
      }
      try writeOutputFile(file, Array(page.utf8))
      print("wrote \(file): \(outcome.images.count) changed images, \(conflicts.count) conflicted images")
    }
  }
}
