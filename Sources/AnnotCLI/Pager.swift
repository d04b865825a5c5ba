import Foundation
import AnnotKit
#if canImport(Glibc)
import Glibc
#endif

/// Long output (log, diff, show, blame) goes through a pager on a terminal, the way git does it
/// (git's `pager.c`):
///
/// - The pager is `$ANNOT_PAGER`, else the repository's (or the user's) `core.pager`, else
///   `$PAGER`, else `less`. An empty value or `cat` means no pager. `--no-pager` (before or
///   after the command name) and a stdout that is not a terminal print directly.
/// - `LESS=FRX` and `LV=-c` are set for the pager unless already set: quit at once if the
///   output fits on one screen, keep colours, do not clear the screen.
/// - The pager runs in annot's own process group, so it is in the terminal's foreground group
///   and may read keys from the terminal. (A pager in a group of its own, as Foundation's
///   `Process` makes, is stopped by the kernel the moment it touches the terminal.)
/// - annot's stdout (and stderr, if a terminal) become the pipe to the pager, so output
///   streams into it as it is produced. At exit, and on SIGINT, SIGHUP, SIGTERM, SIGQUIT and
///   SIGPIPE, annot closes the pipe and waits for the pager, so the shell's prompt comes back
///   only after the pager has given the terminal back.
enum Pager {
  /// Set by a global `--no-pager` (`annot --no-pager log`).
  nonisolated(unsafe) static var disabledGlobally = false

  /// The pager command to run, or nil for none, by git's precedence with `ANNOT_PAGER` in the
  /// place of `GIT_PAGER`.
  static func command(environment env: [String: String], corePager: String?) -> String? {
    let chosen = env["ANNOT_PAGER"] ?? corePager ?? env["PAGER"] ?? "less"
    let trimmed = chosen.trimmingCharacters(in: .whitespacesAndNewlines)
    return trimmed.isEmpty || trimmed == "cat" ? nil : trimmed
  }

  /// The environment the pager runs with: ours plus `LESS=FRX` and `LV=-c` unless set.
  static func environment(_ env: [String: String]) -> [String: String] {
    var e = env
    if e["LESS"] == nil { e["LESS"] = "FRX" }
    if e["LV"] == nil { e["LV"] = "-c" }
    e["ANNOT_PAGER_IN_USE"] = "true"
    return e
  }

  /// Starts the pager when stdout is a terminal and paging is enabled. From then on everything
  /// written to stdout goes to the pager; call it before printing.
  ///
  /// - Parameters:
  ///   - enabled: false for a command's `--no-pager`.
  ///   - repository: where `core.pager` is read (nil: environment only).
  static func start(enabled: Bool, repository: Repository? = nil) {
    // Decide colours while stdout is still the terminal.
    _ = Console.colorEnabled
    let env = ProcessInfo.processInfo.environment
    guard enabled, !disabledGlobally, pagerPID == 0, isatty(1) == 1, env["ANNOT_PAGER_IN_USE"] == nil else { return }
    let corePager = repository?.config("core.pager")
    guard let command = command(environment: env, corePager: corePager) else { return }
    guard let argv = Subprocess.argv(for: command, environment: env) else {
      // The default pager missing is not worth a word; a pager the user named is.
      if command != "less" { Console.warn("cannot run pager '\(command)': not found; printing directly") }
      return
    }
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    let pid: pid_t
    do { pid = try Subprocess.spawn(argv, environment: environment(env), stdinFD: fds[0]) } catch {
      Console.warn("\(error); printing directly")
      close(fds[0]); close(fds[1])
      return
    }
    close(fds[0])
    fflush(nil)
    dup2(fds[1], 1)
    if isatty(2) == 1 { dup2(fds[1], 2) }
    close(fds[1])
    pagerPID = pid
    for sig in [SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGPIPE] {
      signal(sig) { s in pagerSignal(s) }
    }
    atexit { Pager.finish() }
  }

  /// Starts the pager and prints `text` into it (or directly).
  static func show(_ text: String, enabled: Bool, repository: Repository? = nil) {
    if !text.isEmpty { start(enabled: enabled, repository: repository) }
    emit(text, terminator: "")
  }

  /// Flushes, closes the pipe (the pager sees end of input) and waits for the pager to quit.
  static func finish() {
    guard pagerPID > 0 else { return }
    fflush(nil)
    close(1)
    close(2)
    Subprocess.wait(pagerPID)
    pagerPID = 0
  }
}

/// The running pager's pid, 0 when none (read by the signal handler, hence a plain global).
nonisolated(unsafe) private var pagerPID: pid_t = 0

/// On a fatal signal: let the pager finish with the terminal, then die of the same signal.
/// Only async-signal-safe calls (close, waitpid, signal, raise).
private func pagerSignal(_ sig: Int32) {
  if pagerPID > 0 {
    close(1)
    close(2)
    var status: Int32 = 0
    while waitpid(pagerPID, &status, 0) < 0 && errno == EINTR {}
    pagerPID = 0
  }
  signal(sig, SIG_DFL)
  raise(sig)
}
