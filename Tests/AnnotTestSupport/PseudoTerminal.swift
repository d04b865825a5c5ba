import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program on a real pseudo-terminal, as a user's shell would: the child is the leader
/// of a new session whose controlling terminal is the pty, so it is in the foreground process
/// group, `isatty` is true for its stdin, stdout and stderr, and programs it starts (a pager, an
/// editor) can read keys from the terminal. The test reads what the terminal shows and types keys.
///
/// Use: `let t = try PseudoTerminal(annotBinary, ["log"], in: dir)`, then
/// `t.waitFor("commit ")`, `t.send("q")`, `t.waitForExit()`.
public final class PseudoTerminal: @unchecked Sendable {
  public let pid: pid_t
  private let master: Int32
  private var buffer: [UInt8] = []
  private var exitStatus: Int32?
  private var masterClosed = false

  /// Everything the terminal has shown so far (raw bytes as text, escape sequences included).
  public var output: String { String(decoding: buffer, as: UTF8.self) }

  /// Starts `executable` on a new pty of `rows`×`columns`, in `cwd`, with the fixed test author
  /// and date, `TERM=xterm`, and no pager, editor or colour settings inherited from the caller
  /// (nor its git config: HOME is an empty directory).
  /// `env` entries are set last; an empty value removes the variable.
  public init(_ executable: String, _ arguments: [String], in cwd: URL, env extra: [String: String] = [:],
              rows: Int = 24, columns: Int = 80) throws {
    // posix_openpt/unlockpt/ptsname are not imported into Swift; these are the same calls
    // (asm-generic ioctl numbers: TIOCSPTLCK, TIOCGPTN, as used by x86-64 and arm64).
    let m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
    var unlock: Int32 = 0, number: UInt32 = 0
    guard m >= 0, ioctl(m, UInt(0x4004_5431), &unlock) == 0, ioctl(m, UInt(0x8004_5430), &number) == 0 else {
      let why = String(cString: strerror(errno))
      if m >= 0 { close(m) }
      throw PseudoTerminalError("cannot open a pseudo-terminal: \(why)")
    }
    var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
    _ = ioctl(m, UInt(TIOCSWINSZ), &size)
    let slavePath = "/dev/pts/\(number)"
    master = m

    var env = ProcessInfo.processInfo.environment
    for k in ["PAGER", "ANNOT_PAGER", "GIT_PAGER", "LESS", "LV", "NO_COLOR", "EDITOR", "VISUAL", "GIT_EDITOR", "ANNOT_PAGER_IN_USE"] { env[k] = nil }
    env["TERM"] = "xterm"
    // No user or system git config (core.pager, core.editor) leaks into the test.
    env["HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("annot-pty-home").path
    env["XDG_CONFIG_HOME"] = nil
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_AUTHOR_NAME"] = "Test Labeler"; env["GIT_AUTHOR_EMAIL"] = "test@example.com"
    env["GIT_COMMITTER_NAME"] = "Test Labeler"; env["GIT_COMMITTER_EMAIL"] = "test@example.com"
    env["GIT_AUTHOR_DATE"] = "1767225600 +0000"; env["GIT_COMMITTER_DATE"] = "1767225600 +0000"
    for (k, v) in extra { env[k] = v.isEmpty ? nil : v }

    // The shell enters the directory, then becomes the program.
    let script = "cd \"$1\" || exit 127; shift; exec \"$@\""
    let argv = ["/bin/sh", "-c", script, "sh", cwd.path, executable] + arguments

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    // After setsid (done before file actions), opening the pty without O_NOCTTY makes it the
    // controlling terminal, and the new session's group its foreground group.
    posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
    posix_spawn_file_actions_adddup2(&actions, 0, 1)
    posix_spawn_file_actions_adddup2(&actions, 0, 2)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var all = sigset_t(), none = sigset_t()
    sigfillset(&all); sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setflags(&attr, Int16(0x80 /* POSIX_SPAWN_SETSID */ | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in cArgv { free(p) }; for p in cEnv { free(p) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, "/bin/sh", &actions, &attr, &cArgv, &cEnv)
    guard rc == 0 else { close(m); throw PseudoTerminalError("posix_spawn: \(String(cString: strerror(rc)))") }
    pid = child
  }

  deinit {
    if exitStatus == nil { kill(pid, SIGKILL); _ = reap(block: true) }
    if !masterClosed { close(master) }
  }

  /// Types `text` on the terminal's keyboard.
  public func send(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
  }

  /// Reads what the terminal shows for up to `timeout` seconds, until `condition` holds.
  @discardableResult
  public func waitUntil(timeout: TimeInterval, _ condition: (PseudoTerminal) -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if condition(self) { return true }
      if Date() >= deadline { return false }
      pump(milliseconds: 50)
    }
  }

  /// Waits until the terminal has shown `text`.
  @discardableResult
  public func waitFor(_ text: String, timeout: TimeInterval = 20) -> Bool {
    waitUntil(timeout: timeout) { $0.output.contains(text) }
  }

  /// Waits for the program to exit and returns its status (128+N when killed by signal N),
  /// or nil if it is still running after `timeout` seconds.
  public func waitForExit(timeout: TimeInterval = 20) -> Int32? {
    _ = waitUntil(timeout: timeout) { $0.exitStatus != nil || $0.reap(block: false) }
    // Read what is left on the terminal.
    if exitStatus != nil { while pump(milliseconds: 100) {} }
    return exitStatus
  }

  /// True while the program has not exited.
  public var isRunning: Bool { exitStatus == nil && !reap(block: false) }

  /// Processes of the program's session that the kernel has stopped (state T), e.g. a pager
  /// that touched the terminal from a background process group.
  public func stoppedProcesses() -> [String] {
    var out: [String] = []
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
      guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")") else { continue }
      let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
      let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
      // fields: state, ppid, pgrp, session, …
      guard fields.count > 3, Int32(fields[3]) == pid else { continue }
      if fields[0] == "T" || fields[0] == "t" { out.append("\(entry) \(name)") }
    }
    return out
  }

  /// Kills the program (and its session's group) if it is still running.
  public func terminate() {
    guard isRunning else { return }
    kill(-pid, SIGKILL)
    kill(pid, SIGKILL)
    _ = reap(block: true)
  }

  /// Reads once from the terminal, waiting up to `milliseconds`; true if bytes arrived.
  @discardableResult
  private func pump(milliseconds: Int32) -> Bool {
    guard !masterClosed else { usleep(UInt32(milliseconds) * 1000); return false }
    var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
    guard poll(&p, 1, milliseconds) > 0 else { return false }
    var chunk = [UInt8](repeating: 0, count: 65536)
    let r = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
    if r > 0 { buffer += chunk[0..<r]; return true }
    if r == 0 || (errno != EINTR && errno != EAGAIN) {
      // EIO: every slave fd is closed (the program and its children are gone).
      if exitStatus != nil { close(master); masterClosed = true } else { usleep(UInt32(milliseconds) * 1000) }
    }
    return false
  }

  @discardableResult
  private func reap(block: Bool) -> Bool {
    if exitStatus != nil { return true }
    var status: Int32 = 0
    let r = waitpid(pid, &status, block ? 0 : WNOHANG)
    guard r == pid else { return false }
    let sig = status & 0x7F
    exitStatus = sig == 0 ? (status >> 8) & 0xFF : 128 + sig
    return true
  }
}

public struct PseudoTerminalError: Error, CustomStringConvertible {
  public let description: String
  init(_ d: String) { description = d }
}
