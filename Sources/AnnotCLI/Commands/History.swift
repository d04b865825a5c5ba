import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel
import AnnotStore
import AnnotDiff

func formatDate(_ s: Signature) -> String {
  let f = DateFormatter()
  f.locale = Locale(identifier: "en_US_POSIX")
  f.timeZone = TimeZone(secondsFromGMT: s.offsetMinutes * 60)
  f.dateFormat = "EEE MMM d HH:mm:ss yyyy Z"
  return f.string(from: Date(timeIntervalSince1970: TimeInterval(s.time)))
}

func commitJSON(_ c: CommitInfo) -> JSONValue {
  func sig(_ s: Signature) -> JSONValue {
    .object(["name": .string(s.name), "email": .string(s.email), "time": .int(Int(s.time)), "offset_minutes": .int(s.offsetMinutes)])
  }
  return .object([
    "id": .string(c.id.hex), "tree": .string(c.tree.hex), "parents": .array(c.parents.map { .string($0.hex) }),
    "author": sig(c.author), "committer": sig(c.committer), "message": .string(c.message),
  ])
}

/// The label diff a commit introduced, against its first parent (an empty tree for a root commit).
func commitDiff(_ repo: Repository, _ c: CommitInfo, paths: [String]) throws -> DatasetDiff.Outcome {
  let parentTree = try c.parents.first.map { try repo.git.commit($0).tree }
  return try repo.diff(old: parentTree, new: c.tree, paths: paths)
}

extension Annot {
  struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show commit history.")
    @Flag(help: "One line per commit.") var oneline = false
    @Option(name: [.customShort("n"), .customLong("max-count")], help: "Show at most N commits.") var maxCount: Int?
    @Flag(help: "Machine-readable output.") var json = false
    @Flag(name: [.customShort("p"), .customLong("patch")], help: "Show each commit's label diff.") var patch = false
    @Flag(help: "Do not page the output.") var noPager = false
    @Argument(help: "Revision to start from.") var revision: String = "HEAD"
    @Argument(parsing: .postTerminator, help: "Only commits that changed this image (after --).") var paths: [String] = []
    func run() throws {
      let repo = try openRepository()
      let path = try paths.first.map { try repo.datasetPath(fromUserPath: repo.repositoryRelative($0)) }
      let commits = try repo.log(from: revision, limit: maxCount, path: path)
      if json {
        printJSON(.array(try commits.map { c in
          guard patch, var o = commitJSON(c).objectValue else { return commitJSON(c) }
          o["diff"] = DiffRendering.jsonValue(try commitDiff(repo, c, paths: paths))
          return .object(o)
        }))
        return
      }
      var out = ""
      for c in commits {
        if oneline { out += "\(Console.yellow(c.id.short)) \(c.summary)\n" } else {
          out += Console.yellow("commit \(c.id.hex)") + "\n"
          if c.parents.count > 1 { out += "Merge: " + c.parents.map(\.short).joined(separator: " ") + "\n" }
          out += "Author: \(c.author.name) <\(c.author.email)>\nDate:   \(formatDate(c.author))\n\n"
          for l in c.message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(c.message.hasSuffix("\n") ? 1 : 0) { out += "    \(l)\n" }
          out += "\n"
        }
        if patch { out += DiffRendering.text(try commitDiff(repo, c, paths: paths), options: .init(color: Console.colorEnabled)) + "\n" }
      }
      Pager.show(out, enabled: !noPager)
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a commit, or an image's labels with REV:PATH.",
      discussion: "REV:images/x.png and REV:labels/x.png.json print that image's document; REV:annot.json the schema.")
    @Flag(help: "Machine-readable output.") var json = false
    @Argument(help: "A revision, or REV:PATH.") var object: String = "HEAD"
    func run() throws {
      let repo = try openRepository()
      if let colon = object.firstIndex(of: ":") {
        let rev = String(object[..<colon]).isEmpty ? "HEAD" : String(object[..<colon])
        let path = String(object[object.index(after: colon)...])
        let tree = try repo.tree(of: rev)
        if path == DatasetPath.manifestEntry {
          let m = try repo.manifest(in: tree)
          print(json ? CanonicalJSON.string(m.json) : String(decoding: m.canonicalBytes(), as: UTF8.self), terminator: json ? "\n" : "")
          return
        }
        let p = repo.datasetPath(fromUserPath: path)
        guard let doc = try repo.document(in: tree, path: p) else { throw AnnotError.noSuchPath(path, revision: rev) }
        if json { printJSON(doc.json) } else { print(String(decoding: doc.canonicalBytes(), as: UTF8.self), terminator: "") }
        return
      }
      let id = try repo.resolveCommit(object)
      let c = try repo.git.commit(id)
      let diff = try commitDiff(repo, c, paths: [])
      if json {
        var o = commitJSON(c).objectValue!
        o["diff"] = DiffRendering.jsonValue(diff)
        printJSON(.object(o)); return
      }
      print(Console.yellow("commit \(c.id.hex)"))
      if c.parents.count > 1 { print("Merge: " + c.parents.map(\.short).joined(separator: " ")) }
      print("Author: \(c.author.name) <\(c.author.email)>")
      print("Date:   \(formatDate(c.author))\n")
      for l in c.message.split(separator: "\n") { print("    \(l)") }
      print()
      print(DiffRendering.text(diff, options: .init(color: Console.colorEnabled)), terminator: "")
    }
  }
}
