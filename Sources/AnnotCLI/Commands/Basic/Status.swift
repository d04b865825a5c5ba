import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the branch, what is staged, and merge conflicts.")
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    func run() throws {
      let repo = try openRepository()
      let s = try repo.status()
      if json {
        printJSON(.object([
          "branch": .str(s.branch), "head": .str(s.head?.hex),
          "staged": .object([
            "images_added": .array(s.imagesAdded.map { .string($0) }),
            "images_removed": .array(s.imagesRemoved.map { .string($0) }),
            "images_modified": .array(s.imagesModified.map { .string($0) }),
            "schema_changed": .bool(s.schemaChanged),
            "annotations_by_class": .object(s.annotationsByClass.mapValues { .int($0) }),
          ]),
          "merging": .str(s.merging?.hex),
          // One entry per conflict; "image" repeats "path" under the name scripts look for.
          "conflicts": .array(s.conflicts.map { c in
            guard var o = c.objectValue else { return c }
            if let p = o["path"], o["image"] == nil { o["image"] = p }
            return .object(o)
          }),
        ]))
        return
      }
      emit(s.branch.map { "On branch \($0)" } ?? "HEAD detached at \(s.head?.short ?? "?")")
      if s.head == nil { emit("\nNo commits yet") }
      if let m = s.merging {
        emit("\nYou are merging \(m.short).")
        if s.conflicts.isEmpty { emit("  All conflicts settled: run 'annot merge --continue'.") }
      }
      if !s.conflicts.isEmpty {
        emit("\nUnresolved conflicts (\(s.conflicts.count)):")
        emit("  (use 'annot resolve PATH --ours|--theirs' or '--annotation ID=ours|theirs')")
        for c in s.conflicts { emit(Console.red("  " + conflictLine(c))) }
      }
      if s.isClean {
        emit(s.conflicts.isEmpty ? "\nnothing to commit" : "")
        return
      }
      let total = s.annotationsByClass.values.reduce(0, +)
      let n = s.imagesAdded.count + s.imagesModified.count + s.imagesRemoved.count
      emit("\nStaged: \(n) image\(n == 1 ? "" : "s"), \(total) annotation\(total == 1 ? "" : "s") in changed documents")
      if !s.annotationsByClass.isEmpty {
        let w = s.annotationsByClass.keys.map(\.count).max() ?? 0
        for (k, v) in s.annotationsByClass.sorted(by: { $0.key < $1.key }) {
          emit("  " + k.padding(toLength: w, withPad: " ", startingAt: 0) + "  \(v)")
        }
      }
      if s.schemaChanged { emit(Console.green("  modified:  annot.json (schema)")) }
      let limit = 20
      func list(_ title: String, _ items: [String], _ paint: (String) -> String) {
        guard !items.isEmpty else { return }
        for p in items.prefix(limit) { emit(paint("  \(title) images/\(p)")) }
        if items.count > limit { emit("  … and \(items.count - limit) more \(title.trimmingCharacters(in: .whitespaces).dropLast())") }
      }
      list("new image:", s.imagesAdded, Console.green)
      list("modified: ", s.imagesModified, Console.green)
      list("deleted:  ", s.imagesRemoved, Console.red)
    }
  }
}
