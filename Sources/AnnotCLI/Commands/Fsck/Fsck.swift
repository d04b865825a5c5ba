import ArgumentParser
import Foundation
import AnnotKit

extension Annot {
  struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Verify every reachable object (re-hashed) and that every label document of HEAD parses.",
      discussion: "For git's own checks run 'git --git-dir .annot fsck --strict'; 'annot validate' checks label content.")
    func run() throws {
      let repo = try openRepository()
      let r = try repo.fsck()
      for p in r.problems { emit(p) }
      if r.missingImages > 0 { emit("\(r.missingImages) image blobs not fetched (labels-only clone; 'annot fetch --images' brings them)") }
      emit(r.problems.isEmpty ? "ok: \(r.objects) objects verified" : "\(r.problems.count) problem\(r.problems.count == 1 ? "" : "s") in \(r.objects) objects")
      if !r.problems.isEmpty { throw ExitCode(1) }
    }
  }
}
