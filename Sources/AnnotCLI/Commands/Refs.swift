import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Branch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List, create or delete branches (labeling rounds).")
    @Flag(name: .customShort("d"), help: "Delete a fully merged branch.") var delete = false
    @Flag(name: .customShort("D"), help: "Delete a branch even if not merged.") var forceDelete = false
    @Flag(name: .shortAndLong, help: "Show each branch's commit and subject.") var verbose = false
    @Flag(help: "Machine-readable output.") var json = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Branch name to create or delete.") var name: String?
    @Argument(help: "Where the new branch starts (default HEAD).") var start: String?
    func run() throws {
      let repo = try openRepository()
      if delete || forceDelete {
        guard let name else { throw ValidationError("branch name required") }
        let id = try repo.deleteBranch(name, force: forceDelete)
        output.say("Deleted branch \(name) (was \(id.short)).")
        return
      }
      if let name { _ = try repo.createBranch(name, at: start); return }
      let list = try repo.branches()
      if json {
        printJSON(.array(try list.map { b in
          var o: [String: JSONValue] = ["name": .string(b.name), "commit": .string(b.commit.hex), "current": .bool(b.isCurrent)]
          if verbose { o["subject"] = .string(try repo.commitInfo(b.commit).summary) }
          return .object(o)
        }))
        return
      }
      let width = list.map(\.name.count).max() ?? 0
      for b in list {
        let name = verbose ? b.name.padding(toLength: width, withPad: " ", startingAt: 0) : b.name
        var line = b.isCurrent ? "* " + Console.green(name) : "  " + name
        if verbose { line += " \(Console.yellow(b.commit.short)) \(try repo.commitInfo(b.commit).summary)" }
        emit(line)
      }
    }
  }

  struct Switch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Switch to a branch; -c NEW [START] creates it first (at HEAD, keeping the stage, or at START).")
    @Flag(name: .customShort("c"), help: "Create the branch first.") var create = false
    @Flag(help: "Detach HEAD at a revision.") var detach = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Branch (or revision with --detach).") var name: String
    @Argument(help: "With -c: where the new branch starts (default HEAD).") var start: String?
    func run() throws {
      if start != nil && !create { throw ValidationError("a start point needs -c: 'annot switch -c \(name) \(start!)'") }
      let repo = try openRepository()
      try repo.switchTo(name, create: create, detach: detach, startPoint: start)
      output.say(detach ? "HEAD is now at \(try repo.headCommit()?.short ?? "?")" : (create ? "Switched to a new branch '\(name)'" : "Switched to branch '\(name)'"))
    }
  }

  struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Switch branches (alias of switch; -b NEW [START] creates).")
    @Flag(name: .customShort("b"), help: "Create the branch first.") var create = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Branch or revision.") var name: String
    @Argument(help: "With -b: where the new branch starts (default HEAD).") var start: String?
    func run() throws {
      if start != nil && !create { throw ValidationError("a start point needs -b: 'annot checkout -b \(name) \(start!)'") }
      let repo = try openRepository()
      let isBranch = try repo.branches().contains { $0.name == name }
      try repo.switchTo(name, create: create, detach: !create && !isBranch, startPoint: start)
      output.say(create ? "Switched to a new branch '\(name)'" : (isBranch ? "Switched to branch '\(name)'" : "HEAD is now at \(try repo.headCommit()?.short ?? "?")"))
    }
  }

  struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List, create or delete tags.")
    @Flag(name: .customShort("d"), help: "Delete the tag.") var delete = false
    @Flag(name: .shortAndLong, help: "Replace an existing tag.") var force = false
    @Option(name: .shortAndLong, help: "Make an annotated tag with this message.") var message: String?
    @Flag(help: "Machine-readable output.") var json = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Tag name.") var name: String?
    @Argument(help: "Revision to tag (default HEAD).") var revision: String?
    func run() throws {
      let repo = try openRepository()
      if delete {
        guard let name else { throw ValidationError("tag name required") }
        try repo.deleteTag(name); output.say("Deleted tag '\(name)'"); return
      }
      if let name { _ = try repo.createTag(name, at: revision, message: message, force: force); return }
      let tags = try repo.tags()
      if json { printJSON(.array(tags.map { .object(["name": .string($0.name), "commit": .string($0.commit.hex)]) })); return }
      for t in tags { emit(t.name) }
    }
  }

  struct Reset: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move the current branch; --soft keeps the stage, --hard replaces it.")
    @Flag(help: "Keep the stage.") var soft = false
    @Flag(help: "Replace the stage (default).") var mixed = false
    @Flag(help: "Replace the stage and abandon a merge in progress.") var hard = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Revision (default HEAD).") var revision: String = "HEAD"
    func run() throws {
      let repo = try openRepository()
      let mode: Repository.ResetMode = soft ? .soft : (hard ? .hard : .mixed)
      let id = try repo.reset(to: revision, mode: mode)
      let c = try repo.commitInfo(id)
      output.say(mode == .hard ? "HEAD is now at \(id.short) \(c.summary)" : "Reset to \(id.short)")
    }
  }
}
