import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting the programs a user names (pager, editor) the way git does: in annot's own process
/// group, so they stay in the terminal's foreground group and may read keys and set the terminal
/// mode. Foundation's `Process` puts its child in a new process group (`POSIX_SPAWN_SETPGROUP`),
/// where the kernel stops `less` with SIGTTOU/SIGTTIN as soon as it touches the terminal.
enum Subprocess {
  /// Shell metacharacters that make git run a command through `sh -c` instead of exec'ing it.
  static let shellMetacharacters = Set("|&;<>()$`\\\"' \t\n*?[#~=%")

  /// The argv that runs `command` with `arguments`: `sh -c 'command "$@"' command ARGS…` when it
  /// needs a shell, else the command itself (found on PATH), like git's `prepare_shell_cmd`.
  /// nil when a plain command is not found on PATH.
  static func argv(for command: String, arguments: [String] = [], environment: [String: String]) -> [String]? {
    let trimmed = command.trimmingCharacters(in: .whitespaces)
    if trimmed.contains(where: { shellMetacharacters.contains($0) }) {
      // Words or metacharacters: let the shell split them, as git does.
      return ["/bin/sh", "-c", arguments.isEmpty ? trimmed : trimmed + " \"$@\"", trimmed] + arguments
    }
    guard let path = lookup(trimmed, environment: environment) else { return nil }
    return [path] + arguments
  }

  /// The full path of `name` on `PATH` (or `name` itself if it holds a slash and is executable).
  static func lookup(_ name: String, environment: [String: String]) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
      var st = stat()
      if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
  }

  /// Spawns `argv` in this process's group (no `POSIX_SPAWN_SETPGROUP`), with default signal
  /// dispositions and an empty signal mask. `stdinFD`, if given, becomes the child's fd 0.
  /// - Returns: the child's pid.
  static func spawn(_ argv: [String], environment: [String: String], stdinFD: Int32? = nil) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdinFD { posix_spawn_file_actions_adddup2(&actions, stdinFD, 0) }

    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var all = sigset_t(), none = sigset_t()
    sigfillset(&all)
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let env = environment.map { "\($0.key)=\($0.value)" }.sorted()
    var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer { for p in cArgv { free(p) }; for p in cEnv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, &attr, &cArgv, &cEnv)
    guard rc == 0 else { throw AnnotCLIError.cannotRun(argv[0], String(cString: strerror(rc))) }
    return pid
  }

  /// Waits for `pid`, retrying on EINTR. Returns the exit status (128+N for a signal).
  @discardableResult
  static func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return -1 }
    }
    let termsig = status & 0x7F
    return termsig == 0 ? (status >> 8) & 0xFF : 128 + termsig
  }
}

/// Errors of the CLI's own plumbing (not repository errors).
enum AnnotCLIError: Error, CustomStringConvertible {
  case cannotRun(String, String)
  case editorFailed(String, Int32)
  case emptyMessage

  var description: String {
    switch self {
    case let .cannotRun(what, why): "cannot run '\(what)': \(why)"
    case let .editorFailed(editor, status):
      "there was a problem with the editor '\(editor)' (exit status \(status)); the commit was not made (use -m MESSAGE to skip the editor)"
    case .emptyMessage: "aborting commit due to empty commit message"
    }
  }
}
