import Foundation
import AnnotModel

/// Remembers which blob a file on disk hashed to, keyed by what `stat(2)` says about the file,
/// so that a re-delivered dataset whose images did not change is not read and hashed again.
/// It is git's index idea, kept to what annot needs (git: Documentation/technical/racy-git.txt).
///
/// **Validation.** An entry is used only if the file's device, inode, size, modification time and
/// change time (both in nanoseconds) are all equal to the recorded ones, and the blob is still in
/// the object store. Every write to a file changes its mtime and ctime, and ctime cannot be set from
/// user space, so equal stat data means equal bytes, with one exception that git calls "racy": a
/// file rewritten within the same clock tick as the stat that was recorded. Entries are therefore
/// recorded only for files whose mtime and ctime are at least two seconds older than the moment the
/// recording operation started; newer files are hashed again next time.
///
/// **It is a cache.** Deleting the file changes no answer, only the time an import takes. A file
/// that is unreadable, truncated or from another version is ignored and rewritten.
///
/// On disk (little-endian): magic `ANNOTSC1`, u32 count, then records sorted by path bytes:
/// u16 path length, path bytes, u64 dev, u64 ino, u64 size, i64 mtime ns, i64 ctime ns, 20-byte id.
/// Loaded once per operation into one buffer and searched by bisection (no per-entry allocation).
public final class StatCache {
  public struct Stat: Equatable, Sendable {
    public var dev: UInt64, ino: UInt64, size: UInt64, mtimeNs: Int64, ctimeNs: Int64
    public init(dev: UInt64, ino: UInt64, size: UInt64, mtimeNs: Int64, ctimeNs: Int64) {
      self.dev = dev; self.ino = ino; self.size = size; self.mtimeNs = mtimeNs; self.ctimeNs = ctimeNs
    }
    /// Stat data of `path` (following symlinks), or nil if it cannot be stat'ed.
    public static func of(_ path: String) -> Stat? {
      var st = stat()
      guard stat(path, &st) == 0 else { return nil }
      return Stat(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), size: UInt64(st.st_size),
                  mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                  ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }
  }

  private static let magic = Array("ANNOTSC1".utf8)
  private static let fixed = 5 * 8 + 20
  private let path: String
  private var data: [UInt8] = []
  /// Offsets of the records in `data`, in path order.
  private var offsets: [Int] = []
  private var added: [String: (Stat, ObjectID)] = [:]
  /// Files changed at or after this moment (minus the racy margin) are not recorded.
  private let startedNs: Int64

  public init(path: String) {
    self.path = path
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    startedNs = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    if let d = FileManager.default.contents(atPath: path) { load(Array(d)) }
  }

  public var count: Int { offsets.count }

  private func load(_ bytes: [UInt8]) {
    guard bytes.count >= 12, Array(bytes[0..<8]) == Self.magic else { return }
    let n = Int(u32(bytes, 8))
    var offs: [Int] = []
    offs.reserveCapacity(n)
    var at = 12
    for _ in 0..<n {
      guard at + 2 <= bytes.count else { return }
      let len = Int(bytes[at]) | Int(bytes[at + 1]) << 8
      guard at + 2 + len + Self.fixed <= bytes.count else { return }
      offs.append(at)
      at += 2 + len + Self.fixed
    }
    data = bytes
    offsets = offs
  }

  /// The blob recorded for `file` if its stat data is unchanged.
  public func lookup(_ file: String, _ st: Stat) -> ObjectID? {
    if let (s, id) = added[file] { return s == st ? id : nil }
    let key = Array(file.utf8)
    var lo = 0, hi = offsets.count
    while lo < hi {
      let mid = (lo + hi) / 2
      let c = compare(offsets[mid], key)
      if c == 0 {
        let at = offsets[mid] + 2 + key.count
        let rec = Stat(dev: u64(data, at), ino: u64(data, at + 8), size: u64(data, at + 16),
                       mtimeNs: Int64(bitPattern: u64(data, at + 24)), ctimeNs: Int64(bitPattern: u64(data, at + 32)))
        return rec == st ? ObjectID(bytes: Array(data[(at + 40)..<(at + 60)])) : nil
      }
      if c < 0 { lo = mid + 1 } else { hi = mid }
    }
    return nil
  }

  /// Records that `file`, with stat data `st` taken before it was read, hashed to `id`.
  /// Files modified too recently to be trusted are skipped (see the type's comment).
  public func record(_ file: String, _ st: Stat, _ id: ObjectID) {
    let margin: Int64 = 2_000_000_000
    guard max(st.mtimeNs, st.ctimeNs) < startedNs - margin, file.utf8.count <= 0xFFFF else { return }
    added[file] = (st, id)
  }

  /// Writes the cache if anything was recorded: old entries merged with new ones, atomically.
  public func save() {
    guard !added.isEmpty else { return }
    var merged: [([UInt8], [UInt8])] = []   // (path bytes, fixed part)
    merged.reserveCapacity(offsets.count + added.count)
    var newKeys = added.keys.map { Array($0.utf8) }
    newKeys.sort { $0.lexicographicallyPrecedes($1) }
    var i = 0, j = 0
    func fixedPart(_ s: Stat, _ id: ObjectID) -> [UInt8] {
      var out: [UInt8] = []
      out.reserveCapacity(Self.fixed)
      for v in [s.dev, s.ino, s.size, UInt64(bitPattern: s.mtimeNs), UInt64(bitPattern: s.ctimeNs)] {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
      }
      return out + id.bytes
    }
    func oldRecord(_ k: Int) -> ([UInt8], [UInt8]) {
      let at = offsets[k]
      let len = Int(data[at]) | Int(data[at + 1]) << 8
      return (Array(data[(at + 2)..<(at + 2 + len)]), Array(data[(at + 2 + len)..<(at + 2 + len + Self.fixed)]))
    }
    while i < offsets.count || j < newKeys.count {
      let old = i < offsets.count ? oldRecord(i) : nil
      if j < newKeys.count, old == nil || !old!.0.lexicographicallyPrecedes(newKeys[j]) {
        let (s, id) = added[String(decoding: newKeys[j], as: UTF8.self)]!
        merged.append((newKeys[j], fixedPart(s, id)))
        if let old, old.0 == newKeys[j] { i += 1 }
        j += 1
      } else {
        merged.append(old!)
        i += 1
      }
    }
    var out = Self.magic
    out.reserveCapacity(12 + merged.reduce(0) { $0 + 2 + $1.0.count + Self.fixed })
    let n = UInt32(merged.count)
    for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt32(k)))) }
    for (p, f) in merged {
      out.append(UInt8(p.count & 0xFF)); out.append(UInt8(p.count >> 8))
      out += p
      out += f
    }
    // A failure to write a cache is not an error of the operation: the next one hashes again.
    let tmp = path + ".tmp-\(getpid())"
    if FileManager.default.createFile(atPath: tmp, contents: Data(out)), rename(tmp, path) == 0 { return }
    unlink(tmp)
  }

  private func compare(_ at: Int, _ key: [UInt8]) -> Int {
    let len = Int(data[at]) | Int(data[at + 1]) << 8
    let n = min(len, key.count)
    for k in 0..<n {
      let a = data[at + 2 + k], b = key[k]
      if a != b { return a < b ? -1 : 1 }
    }
    return len == key.count ? 0 : (len < key.count ? -1 : 1)
  }

  private func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
  }
  private func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
  }
}
