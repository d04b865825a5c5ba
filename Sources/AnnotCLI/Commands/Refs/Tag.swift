import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List, create or delete tags.")
    @Flag(name: .customShort("d"), help: "Delete the tag.") var delete = false
    @Flag(name: .shortAndLong, help: "Replace an existing tag.") var force = false
    @Option(name: .shortAndLong, help: "Make an annotated tag with this message.") var message: String?
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @OptionGroup var output: QuietOption
    @Argument(help: "Tag name.") var name: String?
    @Argument(help: "Revision to tag (default HEAD).") var revision: String?
    func run() throws {
      let repo = try openRepository()
      if delete {
        guard let name else { throw ValidationError("tag name required") }
        try repo.deleteTag(name); output.say("Deleted tag '\(name)'"); return
      }
      if let name { _ = try repo.createTag(name, at: revision, message: message, force: force); return }
      let tags = try repo.tags()
      if json { printJSON(.array(tags.map { .object(["name": .string($0.name), "commit": .string($0.commit.hex)]) })); return }
      for t in tags { emit(t.name) }
    }
  }
}
