import Foundation

/// What `stat(2)` says about a file that tells whether its bytes may have changed: device, inode,
/// size, and modification and change times in nanoseconds (git's index keeps the same). Taken
/// once per file by an importer and handed on, so that the header cache and the stat cache ask
/// the same question of the same answer instead of each calling stat again.
public struct FileStat: Equatable, Sendable {
  public var dev: UInt64, ino: UInt64, size: UInt64, mtimeNs: Int64, ctimeNs: Int64
  public init(dev: UInt64, ino: UInt64, size: UInt64, mtimeNs: Int64, ctimeNs: Int64) {
    self.dev = dev; self.ino = ino; self.size = size; self.mtimeNs = mtimeNs; self.ctimeNs = ctimeNs
  }
  public init(_ st: stat) {
    self.init(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), size: UInt64(st.st_size),
              mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
              ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
  }
  /// Stat data of `path` (following symlinks), or nil if it cannot be stat'ed.
  public static func of(_ path: String) -> FileStat? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return FileStat(st)
  }
}
