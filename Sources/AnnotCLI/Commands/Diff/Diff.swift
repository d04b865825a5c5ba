import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show label changes: moved, resized, reshaped, relabeled, attributes, added, removed.",
      discussion: """
        annot diff            stage against HEAD
        annot diff A          A against the stage
        annot diff A B        A against B (also A..B)
        annot diff A B -- images/train/0001.png     limit to images or directories
        """)
    @Flag(help: "Counts per class and per change kind.") var stat = false
    @Flag(help: "One line per changed image: A, D, M or R and the path.") var nameStatus = false
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @Option(help: "IoU (or OKS) threshold for matching annotations by geometry when ids do not line up.") var iou: Double = 0.5
    @Flag(help: "Match annotations by geometry even when ids are present.") var byGeometry = false
    @Flag(help: "Also report changed source ids (ids the source format gave).") var sourceIds = false
    @Option(help: "Write an HTML review page with before/after overlays to FILE, its pictures to FILE's _files folder beside it.") var html: String?
    @Flag(help: "Exit with status 1 if there are label or schema changes, 0 if none.") var exitCode = false
    @Flag(help: "Print nothing; exit 1 if there are changes (implies --exit-code).") var quiet = false
    @OptionGroup var pagerOption: PagerOption
    var noPager: Bool { pagerOption.noPager }
    @Argument(help: "The old revision (default: HEAD, comparing with the stage).") var first: String?
    @Argument(help: "The new revision (default: the stage).") var second: String?
    @Argument(parsing: .postTerminator, help: "Limit to these images or directories (after --).") var paths: [String] = []

    func run() throws {
      let repo = try openRepository()
      let sides = try repo.diffSides([first, second].compactMap { $0 })
      var options = DatasetDiff.Options()
      options.document.matcher.threshold = iou
      if byGeometry { options.document.matching = .geometry }
      options.document.includeSourceIDs = sourceIds
      let outcome = try repo.diff(old: sides.old, new: sides.new, paths: paths, options: options)
      let differs = !outcome.images.isEmpty || outcome.schema != nil
      if quiet { if differs { throw ExitCode(1) } else { return } }
      try show(repo, sides, outcome)
      if exitCode && differs { throw ExitCode(1) }
    }

    /// Prints (or writes) the outcome as the flags ask.
    func show(_ repo: Repository, _ sides: Repository.DiffSides, _ outcome: DatasetDiff.Outcome) throws {
      if let html {
        let page = try repo.writeDiffPage(outcome, sides: sides, to: html)
        FileHandle.standardError.write(Data("wrote review page \(html) (\(page.changedImages) changed images, \(page.pictures) pictures in \(page.folder)/)\n".utf8))
        if !json && !stat && !nameStatus { return }
      }
      if json { emit(String(decoding: DiffRendering.json(outcome), as: UTF8.self)); return }
      let text = TextOptionsFactory.text(color: Console.colorEnabled)
      if stat { Pager.show(DiffRendering.stat(outcome, options: text), enabled: !noPager, repository: repo); return }
      if nameStatus { Pager.show(DiffRendering.nameStatus(outcome), enabled: !noPager, repository: repo); return }
      Pager.show(DiffRendering.text(outcome, options: text), enabled: !noPager, repository: repo)
    }
  }
}
