import ArgumentParser
import Foundation
import AnnotKit

extension Annot {
  struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "gc",
      abstract: "Remove what killed commands left behind, prune unreachable objects and repack.",
      discussion: """
        Temporaries (packs of a killed import, stage and merge temporaries) older than an hour are \
        removed; pruning and repacking are git's own (`git gc`, with its grace rules: unreachable \
        objects younger than gc.pruneExpire, two weeks by default, are kept). The stage and a \
        merge in progress are kept like refs.
        """)
    @Option(name: .customLong("prune"), help: ArgumentHelp("Prune unreachable objects older than DATE ('now' for all; also removes every temporary).", valueName: "DATE"))
    var prune: String?
    func run() throws {
      let repo = try openRepository()
      var o = Repository.GCOptions()
      o.prune = prune
      let r = try repo.gc(options: o)
      if !r.removedTemporaries.isEmpty { print("removed \(r.removedTemporaries.count) temporar\(r.removedTemporaries.count == 1 ? "y" : "ies") left by killed commands") }
      if r.repacked { print("objects: \(r.objectsBefore) before, \(r.objectsAfter) after") }
      else { print("\(r.skippedBecause ?? "skipped"): temporaries removed, objects not pruned or repacked") }
    }
  }
}
