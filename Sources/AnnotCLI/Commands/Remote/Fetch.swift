import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Download branches, tags and labels mirrors from a remote; --images fetches image bytes for a labels-only clone.",
      discussion: "With an image store, --images downloads only the selected images (REV, --path, --where), checks each one's blob id on arrival and keeps what arrived when interrupted, so a retry resumes.")
    @Flag(help: "Fetch the image bytes REV needs (all images without REV).") var images = false
    @Option(name: .customLong("path"), help: "With --images: only images under this dataset folder or file (repeatable).") var paths: [String] = []
    @Option(name: .customLong("where"), help: "With --images: only images matching this query filter (see 'annot query').") var filter: String?
    @OptionGroup var output: QuietOption
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @Argument(help: "REMOTE (default: the branch's upstream or origin); with --images: [REMOTE] [REV].") var arguments: [String] = []
    func run() throws {
      let repo = try openRepository()
      let names = Set(try repo.remotes().map(\.name))
      var args = arguments
      let remote = args.first.flatMap { names.contains($0) ? $0 : nil }
      if remote != nil { args.removeFirst() }
      var o = Repository.FetchOptions()
      o.callbacks = transferCallbacks()
      if images {
        guard args.count <= 1 else { throw ValidationError("usage: annot fetch --images [REMOTE] [REV]") }
        if !paths.isEmpty && filter != nil { throw ValidationError("--path and --where cannot be combined") }
        let sel = Repository.ImageSelection(revision: args.first, paths: paths.map { repo.datasetPath(fromUserPath: $0) }, filter: filter)
        let out = try repo.fetchImages(remote, selection: sel, options: o)
        if json { printJSON(.object(["missing": .int(out.missing), "fetched": .int(out.fetched), "bytes": .int(out.receivedBytes)])); return }
        output.say(out.missing == 0 ? "All images present." : "Fetched \(out.fetched) image\(out.fetched == 1 ? "" : "s") (\(out.receivedBytes) bytes).")
        return
      }
      guard paths.isEmpty, filter == nil else { throw ValidationError("--path and --where select images: use them with --images") }
      guard args.isEmpty else { throw ValidationError("unknown remote '\(args[0])' (see 'annot remote -v')") }
      let out = try repo.fetch(remote, options: o)
      for n in out.notes { Console.warn(n) }
      if json {
        printJSON(.object(["remote": .string(out.remote), "objects": .int(out.receivedObjects), "bytes": .int(out.receivedBytes),
                           "updated": .array(out.updated.map { .object(["ref": .string($0.name), "old": .str($0.old?.hex), "new": .string($0.new.hex)]) })]))
        return
      }
      for u in out.updated where !u.name.hasPrefix("refs/annot/") {
        let range = u.old.map { "\($0.short)..\(u.new.short)" } ?? "[new]     "
        output.say("   \(range)  \(shortRef(u.name))")
      }
    }
  }
}
