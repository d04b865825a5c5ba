import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write the HTML review page: staged changes against HEAD, plus base/ours/theirs overlays of merge conflicts.",
      discussion: "For two revisions use 'annot diff A B --html FILE'. The page's pictures go to a folder beside it (review.html: review_files/), each once; the page makes no network request.")
    @Argument(help: "The HTML file to write.") var file: String
    func run() throws {
      let outcome = try openRepository().writeReviewPage(to: file)
      emit("wrote \(file): \(outcome.changedImages) changed images, \(outcome.conflictedImages) conflicted images")
    }
  }
}
