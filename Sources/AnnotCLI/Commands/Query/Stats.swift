import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Counts per class, kind, size, split and attribute value.")
    @Argument(help: "Revision (default HEAD).") var rev: String = "HEAD"
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    func run() throws {
      let s = try openRepository().stats(revision: rev)
      if json { printJSON(s.json); return }
      emit("\(s.images) images, \(s.annotations) annotations, \(s.imagesWithoutAnnotations) images without labels")
      emit("\nclass                annotations   images")
      for c in s.classes { emit(c.label.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%12d %8d", c.annotations, c.images) + (c.inSchema ? "" : "  (not in schema)")) }
      emit("\nkinds: " + s.kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
      emit("box sizes (COCO): small \(s.sizes.small), medium \(s.sizes.medium), large \(s.sizes.large)")
      if !s.splits.isEmpty { emit("splits: " + s.splits.map { "\($0.split ?? "(none)") \($0.images) images" }.joined(separator: ", ")) }
      for (k, v) in s.attributes.sorted(by: { $0.key < $1.key }) {
        emit("attribute \(k): " + v.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
      }
    }
  }
}
