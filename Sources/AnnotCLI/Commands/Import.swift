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
      let out = try repo.importDataset(from: URL(fileURLWithPath: source), format: format,
                                       imagesDirectory: images.map { URL(fileURLWithPath: $0) }) { Console.progress("Importing", $0, $1) }
      for w in out.stage.warnings { Console.warn(w) }
      output.say("\(out.format): \(out.imagesRead) images, \(out.stage.annotations) annotations read; " +
            "staged \(out.stage.imagesAdded) new, \(out.stage.imagesUpdated) changed, \(out.stage.imagesUnchanged) unchanged")
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
