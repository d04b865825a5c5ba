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
/// Beside the blob id an entry may hold what the image's header says (size, media type, bit
/// depth), so that an import re-reading a delivery does not open unchanged files to probe them.
///
/// On disk (little-endian): magic `ANNOTSC2`, u32 count, then records sorted by path bytes:
/// u16 path length, path bytes, u64 dev, u64 ino, u64 size, i64 mtime ns, i64 ctime ns, 20-byte id,
/// u32 width, u32 height, u8 media code (0: no header recorded), u8 bit depth. A file of another
/// version (`ANNOTSC1` had no header fields) is ignored and rewritten.
/// Loaded once per operation into one buffer and searched by bisection (no per-entry allocation).
public final class StatCache {
  /// Stat data as the cache compares it (AnnotModel's `FileStat`, shared with the importers).
  public typealias Stat = FileStat

  /// An image header as the cache keeps it; the media code's meaning belongs to the caller.
  public struct Header: Equatable, Sendable {
    public var width: UInt32, height: UInt32, media: UInt8, bitDepth: UInt8
    public init(width: UInt32, height: UInt32, media: UInt8, bitDepth: UInt8) {
      self.width = width; self.height = height; self.media = media; self.bitDepth = bitDepth
    }
  }

  private static let magic = Array("ANNOTSC2".utf8)
  private static let fixed = 5 * 8 + 20 + 10
  private let path: String
  private var data: [UInt8] = []
  /// Offsets of the records in `data`, in path order.
  private var offsets: [Int] = []
  private var added: [String: (Stat, ObjectID, Header?)] = [:]
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
  public func lookup(_ file: String, _ st: Stat) -> ObjectID? { entry(file, st)?.id }

  /// The image header recorded for `file` if its stat data is unchanged.
  public func header(_ file: String, _ st: Stat) -> Header? { entry(file, st)?.header }

  private func entry(_ file: String, _ st: Stat) -> (id: ObjectID, header: Header?)? {
    if let (s, id, h) = added[file] { return s == st ? (id, h) : nil }
    let key = Array(file.utf8)
    var lo = 0, hi = offsets.count
    while lo < hi {
      let mid = (lo + hi) / 2
      let c = compare(offsets[mid], key)
      if c == 0 {
        let at = offsets[mid] + 2 + key.count
        let rec = Stat(dev: u64(data, at), ino: u64(data, at + 8), size: u64(data, at + 16),
                       mtimeNs: Int64(bitPattern: u64(data, at + 24)), ctimeNs: Int64(bitPattern: u64(data, at + 32)))
        guard rec == st else { return nil }
        let media = data[at + 68]
        let header = media == 0 ? nil : Header(width: u32(data, at + 60), height: u32(data, at + 64), media: media, bitDepth: data[at + 69])
        return (ObjectID(bytes: Array(data[(at + 40)..<(at + 60)])), header)
      }
      if c < 0 { lo = mid + 1 } else { hi = mid }
    }
    return nil
  }

  /// Records that `file`, with stat data `st` taken before it was read, hashed to `id`.
  /// Files modified too recently to be trusted are skipped (see the type's comment).
  public func record(_ file: String, _ st: Stat, _ id: ObjectID, header: Header? = nil) {
    let margin: Int64 = 2_000_000_000
    guard max(st.mtimeNs, st.ctimeNs) < startedNs - margin, file.utf8.count <= 0xFFFF else { return }
    added[file] = (st, id, header.flatMap { $0.media == 0 ? nil : $0 })
  }

  /// Writes the cache if anything was recorded: old entries merged with new ones, atomically.
  public func save() {
    guard !added.isEmpty else { return }
    // One merge of two sorted runs straight into the output buffer: old records are copied as
    // byte ranges, so saving a million entries makes no per-entry allocation.
    let fresh = added.map { (key: Array($0.key.utf8), stat: $0.value.0, id: $0.value.1, header: $0.value.2) }
      .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    var out = Self.magic + [0, 0, 0, 0]
    out.reserveCapacity(data.count + fresh.reduce(0) { $0 + 2 + $1.key.count + Self.fixed })
    var n = 0, i = 0
    func recordEnd(_ at: Int) -> Int { at + 2 + (Int(data[at]) | Int(data[at + 1]) << 8) + Self.fixed }
    for f in fresh {
      while i < offsets.count, compare(offsets[i], f.key) < 0 {
        out += data[offsets[i]..<recordEnd(offsets[i])]; n += 1; i += 1
      }
      if i < offsets.count, compare(offsets[i], f.key) == 0 { i += 1 }   // replaced
      out.append(UInt8(f.key.count & 0xFF)); out.append(UInt8(f.key.count >> 8))
      out += f.key
      // Little-endian fields appended in place (no array per field: this runs once per image).
      func le(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
      le(f.stat.dev); le(f.stat.ino); le(f.stat.size)
      le(UInt64(bitPattern: f.stat.mtimeNs)); le(UInt64(bitPattern: f.stat.ctimeNs))
      out += f.id.bytes
      let h = f.header ?? Header(width: 0, height: 0, media: 0, bitDepth: 0)
      withUnsafeBytes(of: h.width.littleEndian) { out.append(contentsOf: $0) }
      withUnsafeBytes(of: h.height.littleEndian) { out.append(contentsOf: $0) }
      out.append(h.media); out.append(h.bitDepth)
      n += 1
    }
    while i < offsets.count { out += data[offsets[i]..<recordEnd(offsets[i])]; n += 1; i += 1 }
    for k in 0..<4 { out[8 + k] = UInt8(truncatingIfNeeded: n >> (8 * k)) }
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
