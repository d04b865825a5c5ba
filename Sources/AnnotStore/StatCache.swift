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
  /// Records of this run, encoded as on disk one after another (a later one for a path wins),
  /// and where each starts. Flat bytes, not a dictionary: an import of 1M images records 1M of
  /// them, and a dictionary of strings and ids came to ~220 bytes an entry, more while saving.
  /// A path recorded in this run is not looked up again in it (a cache may miss; it never lies).
  private var added: [UInt8] = []
  private var addedAt: [Int] = []
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
    addedAt.append(added.count)
    let n = file.utf8.count
    added.append(UInt8(n & 0xFF)); added.append(UInt8(n >> 8))
    added.append(contentsOf: file.utf8)
    // Little-endian fields appended in place (no array per field: this runs once per image).
    func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { added.append(contentsOf: $0) } }
    le(st.dev); le(st.ino); le(st.size); le(UInt64(bitPattern: st.mtimeNs)); le(UInt64(bitPattern: st.ctimeNs))
    added.append(contentsOf: id.bytes)
    let h = header.flatMap { $0.media == 0 ? nil : $0 } ?? Header(width: 0, height: 0, media: 0, bitDepth: 0)
    le(h.width); le(h.height); added.append(h.media); added.append(h.bitDepth)
  }

  /// Writes the cache if anything was recorded: old entries merged with new ones, atomically.
  public func save() {
    guard !addedAt.isEmpty else { return }
    // New records sorted by path (of several for one path, the last recorded); then one merge of
    // two sorted runs, both copied as byte ranges, streamed to the file.
    func path(_ buf: [UInt8], _ at: Int) -> ArraySlice<UInt8> {
      buf[(at + 2)..<(at + 2 + (Int(buf[at]) | Int(buf[at + 1]) << 8))]
    }
    func end(_ buf: [UInt8], _ at: Int) -> Int { at + 2 + (Int(buf[at]) | Int(buf[at + 1]) << 8) + Self.fixed }
    let addedAt = self.addedAt
    let fresh: [Int] = added.withUnsafeBytes { buf in
      // Path bytes compared with memcmp: generic slice comparison made sorting 1M paths slow.
      func cmp(_ a: Int, _ b: Int) -> Int32 {
        let x = addedAt[a], y = addedAt[b]
        let la = Int(buf[x]) | Int(buf[x + 1]) << 8, lb = Int(buf[y]) | Int(buf[y + 1]) << 8
        let c = memcmp(buf.baseAddress! + x + 2, buf.baseAddress! + y + 2, min(la, lb))
        return c != 0 ? c : la == lb ? 0 : la < lb ? -1 : 1
      }
      var order = Array(addedAt.indices)
      order.sort { a, b in let c = cmp(a, b); return c != 0 ? c < 0 : a < b }
      var fresh: [Int] = []
      fresh.reserveCapacity(order.count)
      for k in order {
        if let last = fresh.last, cmp(last, k) == 0 { fresh[fresh.count - 1] = k } else { fresh.append(k) }
      }
      return fresh
    }
    guard var out = BufferedFileWriter(path: self.path) else { return }
    out.append(Self.magic); out.append([0, 0, 0, 0])
    var n = 0, i = 0
    for k in fresh {
      let at = addedAt[k]
      let key = Array(path(added, at))
      while i < offsets.count, compare(offsets[i], key) < 0 {
        out.append(data[offsets[i]..<end(data, offsets[i])]); n += 1; i += 1
      }
      if i < offsets.count, compare(offsets[i], key) == 0 { i += 1 }   // replaced
      out.append(added[at..<end(added, at)])
      n += 1
    }
    while i < offsets.count { out.append(data[offsets[i]..<end(data, offsets[i])]); n += 1; i += 1 }
    out.patch((0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }, at: 8)
    // A failure to write a cache is not an error of the operation: the next one hashes again.
    _ = out.commit()
  }

  private func compare(_ at: Int, _ key: [UInt8]) -> Int {
    let len = Int(data[at]) | Int(data[at + 1]) << 8
    let n = min(len, key.count)
    let c = n == 0 ? 0 : data.withUnsafeBytes { d in key.withUnsafeBytes { k in memcmp(d.baseAddress! + at + 2, k.baseAddress!, n) } }
    if c != 0 { return c < 0 ? -1 : 1 }
    return len == key.count ? 0 : (len < key.count ? -1 : 1)
  }

  private func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
  }
  private func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
    (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
  }
}
