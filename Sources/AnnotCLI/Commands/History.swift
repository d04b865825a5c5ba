import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

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
  let parentTree = try c.parents.first.map { try repo.commitInfo($0).tree }
  return try repo.diff(old: parentTree, new: c.tree, paths: paths)
}

extension LogFormat.DateStyle: ExpressibleByArgument {}

extension Annot {
  struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show commit history.",
      discussion: """
        --format takes git's built-in names (oneline, short, medium, full) or a
        string of placeholders: %H %h commit, %T %t tree, %P %p parents,
        %an %ae %ad %at author name, email, date, time; %cn %ce %cd %ct committer;
        %s subject, %b body, %B message, %d %D ref names, %n newline, %%;
        colours %Cred %Cgreen %Cblue %Creset %C(yellow).
        """)
    @Flag(help: "One line per commit (--format=oneline with short ids).") var oneline = false
    @Option(name: [.customLong("format"), .customLong("pretty")], help: "Output format: oneline, short, medium, full, or a placeholder string (see below).")
    var format: String?
    @Flag(help: "Draw the commit graph to the left of the history.") var graph = false
    @Flag(inversion: .prefixedNo, help: "Show branch and tag names next to commits (default: on a terminal).") var decorate: Bool?
    @Option(help: "Date style for %ad and the Date: line.") var date: LogFormat.DateStyle = .default
    @Option(name: [.customShort("n"), .customLong("max-count")], help: "Show at most N commits.") var maxCount: Int?
    @Flag(help: "Machine-readable output.") var json = false
    @Flag(name: [.customShort("p"), .customLong("patch")], help: "Show each commit's label diff.") var patch = false
    @Flag(help: "Do not page the output.") var noPager = false
    @Argument(help: "Revision to start from.") var revision: String = "HEAD"
    @Argument(parsing: .postTerminator, help: "Only commits that changed this image (after --).") var paths: [String] = []
    func run() throws {
      let repo = try openRepository()
      let path = try paths.first.map { try repo.datasetPath(fromUserPath: repo.repositoryRelative($0)) }
      var commits: [CommitInfo]
      let unborn = try revision == "HEAD" && repo.headCommit() == nil
      if path == nil, !unborn {
        commits = try GitLogOrder.walk(from: repo.resolveCommit(revision), limit: graph ? nil : maxCount) { try repo.commitInfo($0) }
      } else {
        commits = try repo.log(from: revision, limit: graph ? nil : maxCount, path: path)
      }
      if graph {
        commits = LogGraph.topoOrder(commits)
        if let maxCount { commits = Array(commits.prefix(max(0, maxCount))) }
      }
      if json {
        printJSON(.array(try commits.map { c in
          guard patch, var o = commitJSON(c).objectValue else { return commitJSON(c) }
          o["diff"] = DiffRendering.jsonValue(try commitDiff(repo, c, paths: paths))
          return .object(o)
        }))
        return
      }
      let style: LogFormat = oneline && format == nil ? .oneline : LogFormat.parse(format ?? "medium")
      var usesNames = decorate ?? (isatty(1) == 1)
      if case .custom(let f, _) = style { usesNames = f.contains("%d") || f.contains("%D") }
      let names = usesNames ? try Decorations(repo) : .none
      Pager.start(enabled: !noPager, repository: repo)
      var drawing = graph ? LogGraph(shown: path == nil ? nil : Set(commits.map(\.id))) : nil
      for (n, c) in commits.enumerated() {
        var block: String
        switch style {
        case let .custom(f, terminator):
          block = LogFormat.expand(f, c, decorations: names, dates: date)
          if terminator || n < commits.count - 1 || drawing != nil { block += "\n" }
        default: block = LogFormat.builtIn(style, c, decorations: names, dates: date)
        }
        if patch { block += "\n" + DiffRendering.text(try commitDiff(repo, c, paths: paths), options: .init(color: Console.colorEnabled)) }
        if style != .oneline, style != .onelineFull, !style.isCustom, n < commits.count - 1 { block += "\n" }
        emit(drawing?.draw(c, block) ?? block, terminator: "")
      }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a commit, or an image's labels with REV:PATH.",
      discussion: "REV:images/x.png and REV:labels/x.png.json print that image's document; REV:annot.json the schema.")
    @Flag(help: "Machine-readable output.") var json = false
    @Option(name: [.customLong("format"), .customLong("pretty")], help: "Commit header format, as in 'annot log --format'.") var format: String?
    @Flag(help: "Do not page the output.") var noPager = false
    @Argument(help: "A revision, or REV:PATH.") var object: String = "HEAD"
    func run() throws {
      let repo = try openRepository()
      if let colon = object.firstIndex(of: ":") {
        let rev = String(object[..<colon]).isEmpty ? "HEAD" : String(object[..<colon])
        let path = String(object[object.index(after: colon)...])
        let tree = try repo.tree(of: rev)
        if path == DatasetPath.manifestEntry {
          let m = try repo.manifest(in: tree)
          emit(json ? CanonicalJSON.string(m.json) : String(decoding: m.canonicalBytes(), as: UTF8.self), terminator: json ? "\n" : "")
          return
        }
        let p = repo.datasetPath(fromUserPath: path)
        guard let doc = try repo.document(in: tree, path: p) else { throw AnnotError.noSuchPath(path, revision: rev) }
        if json { printJSON(doc.json) } else { emit(String(decoding: doc.canonicalBytes(), as: UTF8.self), terminator: "") }
        return
      }
      let id = try repo.resolveCommit(object)
      let c = try repo.commitInfo(id)
      let diff = try commitDiff(repo, c, paths: [])
      if json {
        var o = commitJSON(c).objectValue!
        o["diff"] = DiffRendering.jsonValue(diff)
        printJSON(.object(o)); return
      }
      let style = LogFormat.parse(format ?? "medium")
      var usesNames = isatty(1) == 1
      if case .custom(let f, _) = style { usesNames = f.contains("%d") || f.contains("%D") }
      let names = usesNames ? try Decorations(repo) : .none
      Pager.start(enabled: !noPager, repository: repo)
      switch style {
      case let .custom(f, _): emit(LogFormat.expand(f, c, decorations: names, dates: .default))
      default: emit(LogFormat.builtIn(style, c, decorations: names, dates: .default))
      }
      emit(DiffRendering.text(diff, options: .init(color: Console.colorEnabled)), terminator: "")
    }
  }
}
