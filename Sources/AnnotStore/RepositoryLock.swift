import Foundation

/// An exclusive lock that serialises writers of one repository.
///
/// `flock(2)` on `path` (the Kit's `.annot/annot/lock`): the kernel releases it when the process dies, so a crash
/// never leaves a stale lock. The holder writes its pid and command into the file so a waiting
/// process can say who holds it.
public final class RepositoryLock {
  private let fd: Int32
  public let path: String
  /// The locked descriptor: a child given a copy (`ChildProcess.run(holding:)`) keeps the lock held
  /// until it exits, since flock belongs to the open file, not to the process.
  public var fileDescriptor: Int32 { fd }

  /// Waits up to `timeout` seconds for the lock, then throws naming the holder.
  public init(path: String, command: String, timeout: Double = 3) throws {
    self.path = path
    try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw LockError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
    let deadline = Date().addingTimeInterval(timeout)
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      if Date() >= deadline {
        var buf = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buf, buf.count, 0)
        let holder = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
        close(fd)
        throw LockError.busy(path: path, holder: holder)
      }
      usleep(20_000)
    }
    let info = Array("pid \(getpid()): annot \(command)\n".utf8)
    ftruncate(fd, 0)
    _ = info.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
  }

  deinit {
    ftruncate(fd, 0)
    flock(fd, LOCK_UN)
    close(fd)
  }
}

public enum LockError: Error, Sendable, CustomStringConvertible {
  case cannotOpen(path: String, reason: String)
  case busy(path: String, holder: String)
  public var description: String {
    switch self {
    case let .cannotOpen(path, reason): "cannot open lock file \(path): \(reason)"
    case let .busy(path, holder): "another annot process is writing this repository (\(holder)); wait for it to finish (lock: \(path))"
    }
  }
}
