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
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
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
}
