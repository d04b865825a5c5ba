import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a commit, or an image's labels with REV:PATH.",
      discussion: "REV:images/x.png and REV:labels/x.png.json print that image's document; REV:annot.json the schema.")
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @Option(name: [.customLong("format"), .customLong("pretty")], help: "Commit header format, as in 'annot log --format'.") var format: String?
    @OptionGroup var pagerOption: PagerOption
    var noPager: Bool { pagerOption.noPager }
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
