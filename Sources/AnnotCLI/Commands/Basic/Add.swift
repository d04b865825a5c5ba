import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Stage files from the repository directory: images/…, labels/….json, annot.json.")
    @Flag(name: [.customShort("n"), .long], help: "Show what would be staged.") var dryRun = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Files or directories (recursive).") var paths: [String]
    func run() throws {
      let repo = try openRepository()
      let out = try repo.add(paths, dryRun: dryRun)
      for p in out.paths { output.say("\(dryRun ? "would add" : "add") 'images/\(p)'") }
      if out.paths.isEmpty { output.say("nothing to add (\(out.imagesUnchanged) unchanged)") }
    }
  }
}
