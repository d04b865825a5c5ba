import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove images and their labels from the stage.")
    @Flag(name: .customShort("r"), help: "Allow recursive removal of a directory.") var recursive = false
    @Flag(name: [.customShort("n"), .long], help: "Show what would be removed.") var dryRun = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Image paths (images/x.png or x.png) or directories with -r.") var paths: [String]
    func run() throws {
      let repo = try openRepository()
      for p in try repo.remove(paths, recursive: recursive, dryRun: dryRun).paths { output.say("rm 'images/\(p)'") }
    }
  }
}
