import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

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
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @Flag(name: [.customShort("p"), .customLong("patch")], help: "Show each commit's label diff.") var patch = false
    @OptionGroup var pagerOption: PagerOption
    var noPager: Bool { pagerOption.noPager }
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
}
