import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program (git) as a child that lives and dies with the command that started it.
///
/// Why not Foundation's `Process`: on Linux it spawns every child with `POSIX_SPAWN_SETPGROUP`
/// (a process group of its own) and closes every inherited descriptor. A `kill -9` of annot's
/// process group, or Ctrl-C in a terminal, then killed annot but not `git gc`, which went on
/// repacking and pruning with annot's writer lock already released: the next writer could run
/// beside `git prune`, and a `git fsck` run meanwhile saw the old packs vanish under it
/// ("packfile … index not opened"). Here the child stays in annot's process group, so whatever
/// signal reaches the group reaches git too, and it inherits the writer lock's descriptor as fd
/// 3 (flock locks belong to the open file, which git then shares), so the lock stays held until
/// git and every process it started have exited, even if annot alone is killed.
public enum ChildProcess {
  public struct Outcome: Sendable {
    /// The exit status, or nil when a signal ended the child.
    public var exitStatus: Int32?
    /// The signal that ended the child, if one did.
    public var signal: Int32?
    /// Everything the child wrote to standard error.
    public var standardError: [UInt8]
  }

  public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let executable: String
    public let code: Int32
    public var description: String { "cannot run \(executable): \(String(cString: strerror(code)))" }
  }

  /// Runs `executable` with `arguments` and exactly `environment`; stdin and stdout are /dev/null,
  /// stderr is collected. With `lock`, the child holds the writer lock as its fd 3.
  public static func run(_ executable: String, _ arguments: [String], environment: [String: String],
                         holding lock: RepositoryLock? = nil) throws -> Outcome {
    var pipeFDs: [Int32] = [-1, -1]
    guard pipe(&pipeFDs) == 0 else { throw SpawnError(executable: executable, code: errno) }
    for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var readEnd = pipeFDs[0]
    let writeEnd = pipeFDs[1]
    defer { if readEnd >= 0 { close(readEnd) } }
    // The lock, duplicated above any descriptor the actions below target, so that dup2 onto 3
    // is a real duplication (which clears close-on-exec) and not a no-op.
    var lockCopy: Int32 = -1
    if let lock {
      lockCopy = fcntl(lock.fileDescriptor, F_DUPFD_CLOEXEC, 10)
      guard lockCopy >= 0 else { let e = errno; close(writeEnd); throw SpawnError(executable: executable, code: e) }
    }
    defer { if lockCopy >= 0 { close(lockCopy) } }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
    var keep: Int32 = 2
    if lockCopy >= 0 { posix_spawn_file_actions_adddup2(&actions, lockCopy, 3); keep = 3 }
    // Nothing else of annot's reaches git: close every other descriptor (most are close-on-exec
    // already; the close of one that is gone by then is ignored by glibc).
    for fd in openDescriptors() where fd > keep { posix_spawn_file_actions_addclose(&actions, fd) }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Default dispositions and an empty mask, whatever annot's threads ignore or block. No
    // POSIX_SPAWN_SETPGROUP: the child stays in annot's process group.
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &mask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    close(writeEnd)
    guard rc == 0 else { throw SpawnError(executable: executable, code: rc) }

    // Read stderr to its end (every process holding it has exited or closed it), then reap.
    var collected: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
      if n > 0 { collected.append(contentsOf: buffer[0..<n]) } else if n == 0 || errno != EINTR { break }
    }
    close(readEnd)
    readEnd = -1
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      guard errno == EINTR else { throw SpawnError(executable: executable, code: errno) }
    }
    // wait(2) status: low 7 bits are the terminating signal (0: exited), bits 8–15 the exit status.
    let signal = status & 0x7f
    return signal == 0
      ? Outcome(exitStatus: (status >> 8) & 0xff, signal: nil, standardError: collected)
      : Outcome(exitStatus: nil, signal: signal, standardError: collected)
  }

  /// This process's open descriptors (from /proc/self/fd; a generous range where it is missing).
  static func openDescriptors() -> [Int32] {
    if let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
      return names.compactMap { Int32($0) }.sorted()
    }
    return Array(0..<Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 4096)))
  }
}
