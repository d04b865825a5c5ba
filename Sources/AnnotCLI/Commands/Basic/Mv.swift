import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Mv: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move or rename an image and its labels.")
    @Argument(help: "Source image path.") var source: String
    @Argument(help: "Destination image path.") var destination: String
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      let out = try repo.move(source, to: destination)
      output.say("renamed images/\(out.paths[0]) -> images/\(out.paths[1])")
    }
  }
}
