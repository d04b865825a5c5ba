import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel
import AnnotDiff

extension Annot {
  struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write the HTML review page: staged changes against HEAD, plus base/ours/theirs overlays of merge conflicts.",
      discussion: "For two revisions use 'annot diff A B --html FILE'. The page's pictures go to a folder beside it (review.html: review_files/), each once; the page makes no network request.")
    @Argument(help: "The HTML file to write.") var file: String
    func run() throws {
      let repo = try openRepository()
      let sides = try repo.diffSides([])
      let outcome = try repo.diff(old: sides.old, new: sides.new)
      let conflicts = try repo.conflictSides()
      var trees: [String: (ObjectID?, ObjectID?, ObjectID?)] = [:]
      for c in conflicts { trees[c.path] = c.trees }
      func tree(_ path: String, _ side: ReviewSide) -> ObjectID? {
        switch side {
        case .before: sides.old
        case .after: sides.new
        case .base: trees[path]?.0
        case .ours: trees[path]?.1
        case .theirs: trees[path]?.2
        }
      }
      var output = ReviewPageOutput(repo: repo, page: file)
      let page = ReviewPage.render(
        outcome,
        conflicts: conflicts.map {
          ReviewConflict(path: $0.path, caption: $0.caption, width: $0.width, height: $0.height, base: $0.base, ours: $0.ours, theirs: $0.theirs,
                         items: $0.items.map { ReviewConflict.Item(annotationID: $0.annotationID, description: $0.description) })
        },
        options: ReviewPage.Options(title: repo.isMerging ? "annot review: merge in progress" : "annot review: stage against HEAD",
                                    filesFolder: output.folder),
        image: { path, side in
          let tree = tree(path, side)
          let media = (try? tree.flatMap { try repo.document(in: $0, path: path) })??.image.mediaType
          return output.image(in: tree, path: path, mediaType: media)
        },
        context: { path, side in output.annotations(in: tree(path, side), path: path) })
      try _ = output.write(page, to: file)
      print("wrote \(file): \(outcome.images.count) changed images, \(conflicts.count) conflicted images")
    }
  }
}
