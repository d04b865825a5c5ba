import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel
import AnnotStore
import AnnotMerge

/// Transfer callbacks that draw progress on a terminal (stderr) and stay quiet when piped.
func transferCallbacks() -> TransferCallbacks {
  guard Console.progressEnabled else { return TransferCallbacks() }
  return TransferCallbacks(progress: { p in
    guard p.total > 0 else { return }
    let mb = p.bytes > 0 ? String(format: ", %.2f MiB", Double(p.bytes) / 1_048_576) : ""
    let end = p.done == p.total ? "\n" : ""
    FileHandle.standardError.write(Data("\r\(p.phase.rawValue): \(p.done * 100 / p.total)% (\(p.done)/\(p.total))\(mb)\(end)".utf8))
  })
}

func shortRef(_ name: String) -> String {
  for p in ["refs/remotes/", "refs/heads/", "refs/tags/", "refs/annot/remotes/", "refs/annot/"] where name.hasPrefix(p) { return String(name.dropFirst(p.count)) }
  return name
}

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
          if verbose { print("\(r.name)\t\(r.url) (fetch)\n\(r.name)\t\(r.pushURL ?? r.url) (push)") } else { print(r.name) }
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

  struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Clone a repository into a new directory (DIR/.annot).",
      discussion: "With --labels-only, only the history of labels travels; 'annot fetch --images [REV]' fetches image bytes later. A remote pushed with an image store is always cloned labels-only: its bucket is found through refs/annot/storage (or given with --images) and images come on demand. See Docs/REMOTES.md.")
    @Flag(help: "Fetch the labels history without image bytes.") var labelsOnly = false
    @Option(name: .shortAndLong, help: "Branch to check out instead of the remote's HEAD.") var branch: String?
    @Argument(help: "Repository URL or path.") var url: String
    @Argument(help: "Directory to create (default: the URL's last component).") var directory: String?
    @OptionGroup var images: ImageStoreOptions
    @OptionGroup var output: QuietOption
    func run() throws {
      var o = Repository.CloneOptions()
      o.imageStore = try images.settings()
      if o.imageStore == nil { try images.refuseStrays() }
      o.labelsOnly = labelsOnly
      o.branch = branch
      o.callbacks = transferCallbacks()
      let dir = directory ?? Repository.cloneDirectoryName(for: url)
      if !output.quiet { FileHandle.standardError.write(Data("Cloning into '\(dir)'\(labelsOnly ? " (labels only)" : "")...\n".utf8)) }
      let out = try Repository.clone(url, into: dir, options: o)
      for n in out.fetch.notes { Console.warn(n) }
      if out.fetch.remoteBranches.isEmpty { Console.warn("You appear to have cloned an empty repository.") }
      output.say("Cloned \(url) into \(dir) (branch \(out.branch ?? "-"), \(out.fetch.receivedObjects) objects, \(out.fetch.receivedBytes) bytes)")
    }
  }

  struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Download branches, tags and labels mirrors from a remote; --images fetches image bytes for a labels-only clone.",
      discussion: "With an image store, --images downloads only the selected images (REV, --path, --where), checks each one's blob id on arrival and keeps what arrived when interrupted, so a retry resumes.")
    @Flag(help: "Fetch the image bytes REV needs (all images without REV).") var images = false
    @Option(name: .customLong("path"), help: "With --images: only images under this dataset folder or file (repeatable).") var paths: [String] = []
    @Option(name: .customLong("where"), help: "With --images: only images matching this query filter (see 'annot query').") var filter: String?
    @OptionGroup var output: QuietOption
    @Flag(help: "Machine-readable output.") var json = false
    @Argument(help: "REMOTE (default: the branch's upstream or origin); with --images: [REMOTE] [REV].") var arguments: [String] = []
    func run() throws {
      let repo = try openRepository()
      let names = Set(try repo.remotes().map(\.name))
      var args = arguments
      let remote = args.first.flatMap { names.contains($0) ? $0 : nil }
      if remote != nil { args.removeFirst() }
      var o = Repository.FetchOptions()
      o.callbacks = transferCallbacks()
      if images {
        guard args.count <= 1 else { throw ValidationError("usage: annot fetch --images [REMOTE] [REV]") }
        if !paths.isEmpty && filter != nil { throw ValidationError("--path and --where cannot be combined") }
        let sel = Repository.ImageSelection(revision: args.first, paths: paths.map { repo.datasetPath(fromUserPath: $0) }, filter: filter)
        let out = try repo.fetchImages(remote, selection: sel, options: o)
        if json { printJSON(.object(["missing": .int(out.missing), "fetched": .int(out.fetched), "bytes": .int(out.receivedBytes)])); return }
        output.say(out.missing == 0 ? "All images present." : "Fetched \(out.fetched) image\(out.fetched == 1 ? "" : "s") (\(out.receivedBytes) bytes).")
        return
      }
      guard paths.isEmpty, filter == nil else { throw ValidationError("--path and --where select images: use them with --images") }
      guard args.isEmpty else { throw ValidationError("unknown remote '\(args[0])' (see 'annot remote -v')") }
      let out = try repo.fetch(remote, options: o)
      for n in out.notes { Console.warn(n) }
      if json {
        printJSON(.object(["remote": .string(out.remote), "objects": .int(out.receivedObjects), "bytes": .int(out.receivedBytes),
                           "updated": .array(out.updated.map { .object(["ref": .string($0.name), "old": .str($0.old?.hex), "new": .string($0.new.hex)]) })]))
        return
      }
      for u in out.updated where !u.name.hasPrefix("refs/annot/") {
        let range = u.old.map { "\($0.short)..\(u.new.short)" } ?? "[new]     "
        output.say("   \(range)  \(shortRef(u.name))")
      }
    }
  }

  struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fetch, then merge the remote branch into the current one, per annotation (conflicts as in 'annot merge').")
    @Option(name: .customShort("X"), help: "Settle every conflict one way: ours or theirs.") var strategy: ConflictChoice?
    @Flag(help: "Create a merge commit even when a fast-forward is possible.") var noFf = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Remote (default: upstream or origin).") var remote: String?
    @Argument(help: "Remote branch (default: the upstream branch).") var branch: String?
    func run() throws {
      let repo = try openRepository()
      var m = Repository.MergeOptions()
      m.strategy = strategy
      m.noFastForward = noFf
      var o = Repository.FetchOptions()
      o.callbacks = transferCallbacks()
      let out = try repo.pull(remote, branch: branch, merge: m, options: o)
      for n in out.fetch.notes { Console.warn(n) }
      try reportMerge(out.merge, what: "Merge", output: output)
    }
  }

  struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Upload a branch (and its labels mirror and new image shards) to a remote.")
    @Flag(help: "Push all tags too.") var tags = false
    @Flag(name: .shortAndLong, help: "Overwrite the remote branch even when it is not a fast-forward.") var force = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Remote (default: upstream or origin).") var remote: String?
    @Argument(help: "Branch (default: the current branch).") var branch: String?
    func run() throws {
      var o = Repository.PushOptions()
      o.tags = tags
      o.force = force
      o.callbacks = transferCallbacks()
      let out = try openRepository().push(remote, branch: branch, options: o)
      if out.upToDate && out.updated.allSatisfy({ $0 == "refs/heads/\(out.branch)" }) { output.say("Everything up-to-date"); return }
      let range = out.old.map { "\($0.short)..\(out.new.short)" } ?? "* [new branch]"
      output.say("To \(out.remote)\n   \(range)  \(out.branch) -> \(out.branch)\(force ? " (forced)" : "")")
    }
  }

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
