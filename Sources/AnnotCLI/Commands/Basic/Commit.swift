import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Record the stage as a new commit.",
      discussion: """
        Without -m, opens an editor on .annot/COMMIT_EDITMSG, as git does: the
        first of $ANNOT_EDITOR, $GIT_EDITOR, core.editor, $VISUAL, $EDITOR, vi.
        Lines starting with '#' are dropped; an empty message aborts the commit.
        """)
    @Option(name: .shortAndLong, help: "Commit message (without it, an editor opens).") var message: String?
    @Option(help: "Override the author: 'Name <email>'.") var author: String?
    @Flag(help: "Replace the tip of the current branch.") var amend = false
    @Flag(help: "Allow a commit that changes nothing.") var allowEmpty = false
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      var authorOverride: (String, String)?
      if let author {
        guard let a = Repository.parseAuthor(author) else { throw ValidationError("--author must look like 'Name <email>'") }
        authorOverride = a
      }
      let text: String
      if let message { text = message } else {
        // Refuse before the editor opens when there is nothing to record.
        if !amend && !allowEmpty && !repo.isMerging, try repo.stageTree() == (try repo.headTreeOrEmpty()) {
          throw AnnotError.nothingToCommit
        }
        text = try CommitMessageEditor.edit(repo, template: try CommitMessageEditor.template(repo, amend: amend))
      }
      var o = Repository.CommitOptions(message: text)
      o.amend = amend
      o.allowEmpty = allowEmpty
      o.author = authorOverride
      let isRoot = try repo.headCommit() == nil
      let id = try repo.commit(o)
      let branch = try repo.currentBranch() ?? "detached HEAD"
      output.say("[\(branch)\(isRoot ? " (root-commit)" : "") \(id.short)] \(text.split(separator: "\n").first ?? "")")
    }
  }
}
