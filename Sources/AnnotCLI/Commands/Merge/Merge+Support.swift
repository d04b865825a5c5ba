import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension ConflictChoice: ExpressibleByArgument {}

func reportMerge(_ result: Repository.MergeResult, what: String, output: QuietOption = QuietOption()) throws {
  switch result {
  case .upToDate: output.say("Already up to date.")
  case .fastForward(let id): output.say("Fast-forward to \(id.short)")
  case .merged(let id, let notes):
    for n in notes { output.say(n) }
    output.say("\(what) made commit \(id.short)")
  case .conflicts(let conflicts, let notes):
    for n in notes { emit(n) }
    for c in conflicts { emit(Console.red("CONFLICT \(c.description)")) }
    emit("Automatic \(what.lowercased()) found \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"); settle them with 'annot resolve', then run 'annot merge --continue'.")
    throw ExitCode(1)
  }
}
