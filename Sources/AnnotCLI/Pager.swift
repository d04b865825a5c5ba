import Foundation

/// Shows long output through a pager on a terminal, as git does for diff, log and show.
/// `$ANNOT_PAGER`, then `$PAGER`, then `less -FRX`; `--no-pager` or a pipe prints directly.
enum Pager {
  static func show(_ text: String, enabled: Bool) {
    guard enabled, isatty(1) == 1, !text.isEmpty else { print(text, terminator: ""); return }
    let env = ProcessInfo.processInfo.environment
    let command = env["ANNOT_PAGER"] ?? env["PAGER"] ?? "less -FRX"
    if command.isEmpty || command == "cat" { print(text, terminator: ""); return }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    var penv = env
    if penv["LESS"] == nil { penv["LESS"] = "FRX" }
    p.environment = penv
    let pipe = Pipe()
    p.standardInput = pipe
    do { try p.run() } catch { print(text, terminator: ""); return }
    pipe.fileHandleForWriting.write(Data(text.utf8))
    try? pipe.fileHandleForWriting.close()
    p.waitUntilExit()
  }
}
