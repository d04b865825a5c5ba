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
      @OptionGroup var jsonOption: JSONOption
      var json: Bool { jsonOption.json }
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
      static let configuration = CommandConfiguration(
        abstract: "Add a remote.",
        discussion: "With --images s3://BUCKET/PREFIX the images go to that S3-compatible bucket (keys PREFIX/objects/<2 hex>/<blob id>) and the git remote gets labels only: push uploads the missing images first and moves refs after; clones fetch images on demand. Credentials, region and endpoint come from the usual AWS variables and ~/.aws files. See Docs/REMOTES.md, 'Image stores'.")
      @Argument(help: "Remote name.") var name: String
      @Argument(help: "URL or path of a git repository.") var url: String
      @OptionGroup var images: ImageStoreOptions
      func run() throws {
        if let s = try images.settings() { try openRepository().addRemote(name, url: url, images: s) } else {
          try images.refuseStrays()
          try openRepository().addRemote(name, url: url)
        }
      }
    }

    struct RemoveRemote: ParsableCommand {
      static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a remote and its remote-tracking refs.", aliases: ["rm"])
      @Argument(help: "Remote name.") var name: String
      func run() throws { try openRepository().removeRemote(name) }
    }
  }
}
