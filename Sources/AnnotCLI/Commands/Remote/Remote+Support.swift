import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

/// Transfer callbacks that draw progress on a terminal (stderr) and stay quiet when piped.
/// `git credential` may prompt only when stdin is a terminal; tokens come from the environment.
func transferCallbacks() -> TransferCallbacks {
  let environment = ProcessInfo.processInfo.environment, prompt = isatty(0) == 1
  guard Console.progressEnabled else { return TransferCallbacks(allowPrompt: prompt, environment: environment) }
  return TransferCallbacks(progress: { p in
    guard p.total > 0 else { return }
    let mb = p.bytes > 0 ? String(format: ", %.2f MiB", Double(p.bytes) / 1_048_576) : ""
    let end = p.done == p.total ? "\n" : ""
    FileHandle.standardError.write(Data("\r\(p.phase.rawValue): \(p.done * 100 / p.total)% (\(p.done)/\(p.total))\(mb)\(end)".utf8))
  }, allowPrompt: prompt, environment: environment)
}

func shortRef(_ name: String) -> String {
  for p in ["refs/remotes/", "refs/heads/", "refs/tags/", "refs/annot/remotes/", "refs/annot/"] where name.hasPrefix(p) { return String(name.dropFirst(p.count)) }
  return name
}
