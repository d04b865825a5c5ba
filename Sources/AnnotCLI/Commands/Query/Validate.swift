import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check labels: undefined classes, boxes outside images, bad sizes, NaN, duplicate ids, short polygons, mask and keypoint mismatches.")
    @Argument(help: "Revision (default HEAD; ':stage' for the stage).") var rev: String = "HEAD"
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    func run() throws {
      let repo = try openRepository()
      let (n, problems) = try repo.validate(rev)
      if json {
        printJSON(.object(["images": .int(n), "problems": .array(problems.map { .object(["file": .string($0.file), "annotation": .str($0.annotation), "message": .string($0.message)]) })]))
      } else {
        for p in problems { emit(p.description) }
        emit(problems.isEmpty ? "\(n) images checked, no problems" : "\(n) images checked, \(problems.count) problem\(problems.count == 1 ? "" : "s")")
      }
      if !problems.isEmpty { throw ExitCode(1) }
    }
  }
}
