import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
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
}
