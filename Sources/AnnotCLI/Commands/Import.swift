import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

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
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    func run() throws {
      let formats = Repository.formats()
      if json {
        printJSON(.array(formats.map { .object(["name": .string($0.name), "summary": .string($0.summary), "import": .bool($0.canImport), "export": .bool($0.canExport)]) }))
        return
      }
      for f in formats { emit("\(f.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(f.canExport ? "import/export" : "import       ")  \(f.summary)") }
    }
  }
}
