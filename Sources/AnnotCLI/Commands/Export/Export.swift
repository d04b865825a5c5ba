import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a revision as a dataset in a training format, byte-reproducibly, with a manifest.")
    @Argument(help: "Revision to export.") var revision: String
    @Option(help: "coco, yolo, voc, cvat, labelme or labelstudio.") var format: String
    @Option(help: "Directory to write (new, empty, or an earlier export).") var to: String
    @Option(help: "Only images whose path starts with this prefix (repeatable).") var path: [String] = []
    @Option(help: "Only images of this split (image split, or first path component).") var split: [String] = []
    @Option(name: .customLong("option"), help: "Format option KEY=VALUE (coco: first-id=0|1; yolo: task=detect|segment, layout=ultralytics|darknet).") var formatOptions: [String] = []
    @Option(help: "Only images that match this query filter (Docs/INDEX.md).") var `where`: String?
    @Flag(help: "Fail if the format cannot hold everything in the revision.") var strict = false
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      var opts: [String: String] = [:]
      for o in formatOptions {
        let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2 else { throw ValidationError("--option takes KEY=VALUE, not '\(o)'") }
        opts[kv[0]] = kv[1]
      }
      let prefixes = path.map { p in p.hasPrefix("images/") ? String(p.dropFirst(7)) : p }
      let splits = Set(split)
      let matching = try `where`.map { try repo.imagesMatching($0, at: revision) }
      let include: ((LabelDocument) -> Bool)? = (prefixes.isEmpty && splits.isEmpty && matching == nil) ? nil : { doc in
        if let matching, !matching.contains(doc.image.path) { return false }
        let p = doc.image.path
        let okPath = prefixes.isEmpty || prefixes.contains { p == $0 || p.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        let s = doc.image.split ?? String(p.split(separator: "/").first ?? "")
        return okPath && (splits.isEmpty || splits.contains(s))
      }
      let out = try repo.export(revision, format: format, to: URL(fileURLWithPath: to), options: opts, include: include, strict: strict,
                                 progress: { Console.progress("Exporting", $0, $1) })
      if json {
        printJSON(.object(["commit": .string(out.commit.hex), "format": .string(format), "images": .int(out.images), "files": .int(out.files),
                           "losses": .object(out.report.losses.mapValues { .int($0) })]))
        return
      }
      output.say("exported \(out.images) images of \(out.commit.short) as \(format) to \(to) (\(out.files) files + \(ExportManifest.fileName))")
      if !out.report.losses.isEmpty { Console.warn("\(format) could not hold: \(out.report.lossSummary)") }
    }
  }
}
