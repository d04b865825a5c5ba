import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel
import AnnotFormats

extension Annot {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Stage a dataset from another format (coco, yolo, voc, cvat, labelme, labelstudio, annot, or auto).")
    @Argument(help: "Format name, or 'auto' to detect it.") var format: String
    @Argument(help: "The dataset: a file (COCO JSON) or a directory.") var source: String
    @Option(help: "Directory holding the images, when the format's files do not say.") var images: String?
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      let url = URL(fileURLWithPath: source)
      guard FileManager.default.fileExists(atPath: url.path) else { throw AnnotError.invalidFile(file: source, place: "", message: "no such file or directory") }
      let registry = FormatRegistry.builtIn
      let importer = format == "auto" ? try registry.detect(url) : try registry.importer(named: format)
      let stage = try repo.stageTree()
      let options = ImportOptions(imagesDirectory: images.map { URL(fileURLWithPath: $0) }, existingSchema: try repo.manifest(in: stage))
      let dataset = try importer.importDataset(from: url, options: options)
      for w in dataset.warnings { Console.warn(w) }
      let out = try repo.stageImport(dataset) { Console.progress("Importing", $0, $1) }
      output.say("\(importer.name): \(dataset.items.count) images, \(out.annotations) annotations read; " +
            "staged \(out.imagesAdded) new, \(out.imagesUpdated) changed, \(out.imagesUnchanged) unchanged")
    }
  }

  struct Formats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List dataset formats and what each can hold.")
    @Flag(help: "Machine-readable output.") var json = false
    func run() throws {
      let r = FormatRegistry.builtIn
      let exp = Set(r.exporters.map(\.name))
      if json {
        printJSON(.array(r.importers.map { .object(["name": .string($0.name), "summary": .string($0.summary), "import": .bool(true), "export": .bool(exp.contains($0.name))]) }))
        return
      }
      for i in r.importers { print("\(i.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(exp.contains(i.name) ? "import/export" : "import       ")  \(i.summary)") }
    }
  }
}
