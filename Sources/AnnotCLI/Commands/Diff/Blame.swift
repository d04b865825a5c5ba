import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Blame: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show, for each annotation of an image, the commit that last changed it.")
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @Option(help: "Revision to blame (default HEAD).") var rev: String = "HEAD"
    @OptionGroup var pagerOption: PagerOption
    var noPager: Bool { pagerOption.noPager }
    @Argument(help: "Image path.") var path: String
    func run() throws {
      let repo = try openRepository()
      let lines = try repo.blame(path, at: rev)
      if json {
        printJSON(.array(lines.map { l in
          .object(["annotation": .string(l.annotation.id), "label": .string(l.annotation.label), "kind": .string(l.annotation.shape.kind),
                   "commit": .string(l.commit.id.hex), "author": .string(l.commit.author.name), "email": .string(l.commit.author.email),
                   "time": .int(Int(l.commit.author.time)), "summary": .string(l.commit.summary)])
        }))
        return
      }
      Pager.start(enabled: !noPager, repository: repo)
      for l in lines {
        let date = formatDate(l.commit.author)
        emit("\(Console.yellow(l.commit.id.short)) (\(l.commit.author.name) \(date)) \(l.annotation.id) \(l.annotation.shape.kind) \(l.annotation.label)  \(l.commit.summary)")
      }
    }
  }
}
