import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create an empty annot repository.")
    @Argument(help: "Directory to create the repository in.") var directory: String = "."
    func run() throws {
      let repo = try Repository.initialize(at: directory)
      print("Initialized empty annot repository in \(repo.gitDir)/")
    }
  }

  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the branch, what is staged, and merge conflicts.")
    @Flag(help: "Machine-readable output.") var json = false
    func run() throws {
      let repo = try openRepository()
      let s = try repo.status()
      if json {
        printJSON(.object([
          "branch": .str(s.branch), "head": .str(s.head?.hex),
          "staged": .object([
            "images_added": .array(s.imagesAdded.map { .string($0) }),
            "images_removed": .array(s.imagesRemoved.map { .string($0) }),
            "images_modified": .array(s.imagesModified.map { .string($0) }),
            "schema_changed": .bool(s.schemaChanged),
            "annotations_by_class": .object(s.annotationsByClass.mapValues { .int($0) }),
          ]),
          "merging": .str(s.merging?.hex),
          // One entry per conflict; "image" repeats "path" under the name scripts look for.
          "conflicts": .array(s.conflicts.map { c in
            guard var o = c.objectValue else { return c }
            if let p = o["path"], o["image"] == nil { o["image"] = p }
            return .object(o)
          }),
        ]))
        return
      }
      print(s.branch.map { "On branch \($0)" } ?? "HEAD detached at \(s.head?.short ?? "?")")
      if s.head == nil { print("\nNo commits yet") }
      if let m = s.merging {
        print("\nYou are merging \(m.short).")
        if s.conflicts.isEmpty { print("  All conflicts settled: run 'annot merge --continue'.") }
      }
      if !s.conflicts.isEmpty {
        print("\nUnresolved conflicts (\(s.conflicts.count)):")
        print("  (use 'annot resolve PATH --ours|--theirs' or '--annotation ID=ours|theirs')")
        for c in s.conflicts { print(Console.red("  " + conflictLine(c))) }
      }
      if s.isClean {
        print(s.conflicts.isEmpty ? "\nnothing to commit" : "")
        return
      }
      let total = s.annotationsByClass.values.reduce(0, +)
      let n = s.imagesAdded.count + s.imagesModified.count + s.imagesRemoved.count
      print("\nStaged: \(n) image\(n == 1 ? "" : "s"), \(total) annotation\(total == 1 ? "" : "s") in changed documents")
      if !s.annotationsByClass.isEmpty {
        let w = s.annotationsByClass.keys.map(\.count).max() ?? 0
        for (k, v) in s.annotationsByClass.sorted(by: { $0.key < $1.key }) {
          print("  " + k.padding(toLength: w, withPad: " ", startingAt: 0) + "  \(v)")
        }
      }
      if s.schemaChanged { print(Console.green("  modified:  annot.json (schema)")) }
      let limit = 20
      func list(_ title: String, _ items: [String], _ paint: (String) -> String) {
        guard !items.isEmpty else { return }
        for p in items.prefix(limit) { print(paint("  \(title) images/\(p)")) }
        if items.count > limit { print("  … and \(items.count - limit) more \(title.trimmingCharacters(in: .whitespaces).dropLast())") }
      }
      list("new image:", s.imagesAdded, Console.green)
      list("modified: ", s.imagesModified, Console.green)
      list("deleted:  ", s.imagesRemoved, Console.red)
    }
  }

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Stage files from the repository directory: images/…, labels/….json, annot.json.")
    @Flag(name: [.customShort("n"), .long], help: "Show what would be staged.") var dryRun = false
    @Argument(help: "Files or directories (recursive).") var paths: [String]
    func run() throws {
      let repo = try openRepository()
      let out = try repo.add(paths, dryRun: dryRun)
      for p in out.paths { print("\(dryRun ? "would add" : "add") 'images/\(p)'") }
      if out.paths.isEmpty { print("nothing to add (\(out.imagesUnchanged) unchanged)") }
    }
  }

  struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove images and their labels from the stage.")
    @Flag(name: .customShort("r"), help: "Allow recursive removal of a directory.") var recursive = false
    @Flag(name: [.customShort("n"), .long], help: "Show what would be removed.") var dryRun = false
    @Argument(help: "Image paths (images/x.png or x.png) or directories with -r.") var paths: [String]
    func run() throws {
      let repo = try openRepository()
      for p in try repo.remove(paths, recursive: recursive, dryRun: dryRun).paths { print("rm 'images/\(p)'") }
    }
  }

  struct Mv: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move or rename an image and its labels.")
    @Argument(help: "Source image path.") var source: String
    @Argument(help: "Destination image path.") var destination: String
    func run() throws {
      let repo = try openRepository()
      let out = try repo.move(source, to: destination)
      print("renamed images/\(out.paths[0]) -> images/\(out.paths[1])")
    }
  }

  struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record the stage as a new commit.")
    @Option(name: .shortAndLong, help: "Commit message.") var message: String
    @Option(help: "Override the author: 'Name <email>'.") var author: String?
    @Flag(help: "Replace the tip of the current branch.") var amend = false
    @Flag(help: "Allow a commit that changes nothing.") var allowEmpty = false
    func run() throws {
      let repo = try openRepository()
      var o = Repository.CommitOptions(message: message)
      o.amend = amend
      o.allowEmpty = allowEmpty
      if let author {
        guard let a = Repository.parseAuthor(author) else { throw ValidationError("--author must look like 'Name <email>'") }
        o.author = a
      }
      let isRoot = try repo.headCommit() == nil
      let id = try repo.commit(o)
      let branch = try repo.currentBranch() ?? "detached HEAD"
      print("[\(branch)\(isRoot ? " (root-commit)" : "") \(id.short)] \(message.split(separator: "\n").first ?? "")")
    }
  }
}

/// One line describing a stored conflict object.
func conflictLine(_ c: JSONValue) -> String {
  let path = c["image"]?.stringValue ?? c["path"]?.stringValue ?? "?"
  let ann = c["annotation"]?.stringValue.map { " annotation \($0)" } ?? ""
  let field = c["field"]?.stringValue.map { " \($0)" } ?? ""
  let kind = c["kind"]?.stringValue.map { " (\($0))" } ?? ""
  func v(_ k: String) -> String { c[k].map { $0.isNull ? "∅" : CanonicalJSON.string($0) } ?? "∅" }
  return "\(path):\(ann)\(field)\(kind): base \(v("base")), ours \(v("ours")), theirs \(v("theirs"))"
}
