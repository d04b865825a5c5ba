import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Remote: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Manage remotes: any git repository (a path, file://, git://, ssh://, https://).",
      subcommands: [List.self, Add.self, RemoveRemote.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
      static let configuration = CommandConfiguration(abstract: "List remotes.")
      @Flag(name: .shortAndLong, help: "Show URLs.") var verbose = false
      @Flag(help: "Machine-readable output.") var json = false
      func run() throws {
        let remotes = try openRepository().remotes()
        if json {
          printJSON(.array(remotes.map { r in
            .object(["name": .string(r.name), "url": .string(r.url), "push_url": .string(r.pushURL ?? r.url),
                     "fetch": .array(r.fetchRefspecs.map { .string($0) })])
          }))
          return
        }
        for r in remotes {
          if verbose { emit("\(r.name)\t\(r.url) (fetch)\n\(r.name)\t\(r.pushURL ?? r.url) (push)") } else { emit(r.name) }
        }
      }
    }

    struct Add: ParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Add a remote.")
      @Argument(help: "Remote name.") var name: String
      @Argument(help: "URL or path of a git repository.") var url: String
      func run() throws { try openRepository().addRemote(name, url: url) }
    }

    struct RemoveRemote: ParsableCommand {
      static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a remote and its remote-tracking refs.", aliases: ["rm"])
      @Argument(help: "Remote name.") var name: String
      func run() throws { try openRepository().removeRemote(name) }
    }
  }
}
