import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct CatImage: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cat-image", abstract: "Write an image's original bytes (REV:images/PATH) to stdout or a file.")
    @Option(name: .shortAndLong, help: "Write to this file instead of stdout.") var output: String?
    @Argument(help: "REV:images/PATH (REV defaults to HEAD).") var object: String
    func run() throws {
      let repo = try openRepository()
      let (rev, path) = object.firstIndex(of: ":").map { (String(object[..<$0]), String(object[object.index(after: $0)...])) } ?? ("HEAD", object)
      let bytes = try repo.imageBytes(repo.datasetPath(fromUserPath: path), in: repo.tree(of: rev.isEmpty ? "HEAD" : rev))
      if let output { try Data(bytes).write(to: URL(fileURLWithPath: output)) } else { FileHandle.standardOutput.write(Data(bytes)) }
    }
  }
}
