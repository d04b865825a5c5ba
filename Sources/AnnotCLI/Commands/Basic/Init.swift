import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create an empty annot repository.")
    @OptionGroup var output: QuietOption
    @Argument(help: "Directory to create the repository in.") var directory: String = "."
    func run() throws {
      let repo = try Repository.initialize(at: directory)
      output.say("Initialized empty annot repository in \(repo.gitDir)/")
    }
  }
}
