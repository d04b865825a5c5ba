import CGit2
import CZlib
import CSys
import CCrypto
import AnnotModel
import Foundation

/// Writes many blobs (or trees) as one git pack plus its .idx, then hands both to libgit2.
///
/// Why by hand: libgit2's loose objects cap near 45 MB/s on incompressible images (zlib level 1 +
/// collision-detecting SHA-1), and its packbuilder near 8 MB/s (delta search). A pack of undeltified
/// objects, framed on all cores, plus a .idx v2 written here reaches several hundred MB/s and is
/// byte-for-byte the format git documents (Documentation/gitformat-pack.txt); `git fsck --strict`
/// verifies every object. Images do not compress, so they are stored-deflate streams (zlib level 0,
/// no compression work); documents and trees are deflated at level 1.
///
/// Crash safety: the pack is written under `tmpDir` (the Kit's `.annot/annot/tmp`, on the
/// same file system as the objects), synced, and renamed into
/// `objects/pack/` — .pack first, .idx last — so git never sees a pack without its index and an
/// interrupted import leaves only a temporary file that the next run removes.
public final class PackWriter {
  private let repo: GitRepository
  private let tmpDir: String
  private let tmpPath: String
  private let fd: Int32
  private var offset: UInt64 = 12
  /// The objects written, for the index: ids as 20-byte runs in one buffer, beside their crc32s
  /// and offsets. Flat rather than an array per id: a pack of 1M images had ~110 bytes an entry.
  private var ids: [UInt8] = []
  private var crcs: [UInt32] = []
  private var offsets: [UInt64] = []
  private var seen: Set<PackedID> = []
  /// An object id held inline, for `seen` (no heap allocation per object).
  private struct PackedID: Hashable {
    var a: UInt64, b: UInt64, c: UInt32
    init(_ bytes: [UInt8]) {
      a = 0; b = 0; c = 0
      for k in 0..<8 { a = a << 8 | UInt64(bytes[k]); b = b << 8 | UInt64(bytes[8 + k]) }
      for k in 16..<min(20, bytes.count) { c = c << 8 | UInt32(bytes[k]) }
    }
  }
  private var finished = false
  /// Bytes of object content added (not counting skipped duplicates).
  public private(set) var bytesAdded = 0

  public init(repository: GitRepository, tmpDir: String) throws {
    repo = repository
    self.tmpDir = tmpDir
    try FileManager.default.createDirectory(atPath: tmpDir, withIntermediateDirectories: true)
    tmpPath = tmpDir + "/pack-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).pack"
    fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw StoreIOError(path: tmpPath, message: String(cString: strerror(errno))) }
    // Header with a placeholder count, patched in finish().
    try writeAll([0x50, 0x41, 0x43, 0x4B, 0, 0, 0, 2, 0, 0, 0, 0])
  }

  deinit {
    if !finished { close(fd); unlink(tmpPath) }
  }

  /// The git blob id of `bytes` (SHA-1 over "blob <size>\0" + bytes), without storing it.
  public static func blobID(_ bytes: UnsafeRawBufferPointer) -> ObjectID {
    let d = Digest.sha1()
    d.update(Array("blob \(bytes.count)\u{0}".utf8))
    d.update(bytes)
    return ObjectID(bytes: d.finish())
  }

  /// A blob made ready for the pack: its id and its packed bytes (header + stored-deflate
  /// stream) with their crc32. `prepare` is pure, so callers may prepare on several threads
  /// and `append` in order on one.
  public struct Prepared: Sendable {
    public let id: ObjectID
    let packed: [UInt8]
    let crc: UInt32
    public let size: Int
  }

  public static func prepare(_ bytes: [UInt8], kind: ObjectKind = .blob, level: Int32 = 0) throws -> Prepared {
    try bytes.withUnsafeBytes { try prepare($0, kind: kind, level: level) }
  }

  /// `kind` is `.blob` or `.tree` (the tree editor packs the trees of a large first import).
  /// `level` is zlib's: 0 (stored) for images, which do not compress; label documents and trees
  /// are text and names and shrink three- to fourfold at level 1 for little work.
  public static func prepare(_ bytes: UnsafeRawBufferPointer, kind: ObjectKind = .blob, level: Int32 = 0) throws -> Prepared {
    let id: ObjectID
    let typeBits: UInt8
    if kind == .tree {
      let d = Digest.sha1()
      d.update(Array("tree \(bytes.count)\u{0}".utf8))
      d.update(bytes)
      id = ObjectID(bytes: d.finish())
      typeBits = 0x20
    } else {
      id = blobID(bytes)
      typeBits = 0x30
    }
    // Object header: type (3 = blob, 2 = tree) and size as git's little-endian base-128 varint.
    var header: [UInt8] = []
    var size = bytes.count
    var byte = typeBits | UInt8(size & 0x0F)
    size >>= 4
    while size > 0 {
      header.append(byte | 0x80)
      byte = UInt8(size & 0x7F)
      size >>= 7
    }
    header.append(byte)
    var packed = header
    try Self.zlib(bytes, level: level, into: &packed)
    let crc = packed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
    return Prepared(id: id, packed: packed, crc: crc, size: bytes.count)
  }

  /// Appends `bytes` as one zlib stream (git's loose and packed object encoding).
  ///
  /// Level 0 writes stored blocks by hand: the images are already compressed, and zlib's
  /// `compress2` would set up (and clear) a 256 KB deflate state for every one of them. Other
  /// levels size the deflate window and hash to the input: a 1 KB label document compresses the
  /// same in a window no larger than itself, and a state of a few KB instead of ~270 KB is
  /// allocated and cleared per document. Any zlib reader (git, libgit2) inflates both; the object ids do not change.
  static func zlib(_ bytes: UnsafeRawBufferPointer, level: Int32, into out: inout [UInt8]) throws {
    if level == 0 {
      out.reserveCapacity(out.count + bytes.count + 6 + 5 * (bytes.count / 65535 + 1))
      out.append(contentsOf: [0x78, 0x01])   // deflate, 32 KB window, no dictionary, "fastest"
      var at = 0
      repeat {
        let n = min(65535, bytes.count - at)
        let final: UInt8 = at + n == bytes.count ? 1 : 0
        out.append(contentsOf: [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)])
        if n > 0 { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)])) }
        at += n
      } while at < bytes.count
      let adler = UInt32(adler32(1, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
      out.append(contentsOf: [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)])
      return
    }
    var windowBits: Int32 = 9   // zlib's smallest window (it uses 512 bytes for 9 and up)
    while windowBits < 15, (1 << windowBits) < bytes.count { windowBits += 1 }
    let memLevel: Int32 = max(1, min(8, windowBits - 7))
    var z = z_stream()
    guard deflateInit2_(&z, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw StoreIOError(path: "<pack>", message: "zlib deflateInit2 failed")
    }
    defer { deflateEnd(&z) }
    let bound = Int(deflateBound(&z, uLong(bytes.count)))
    let start = out.count
    out.append(contentsOf: repeatElement(0, count: bound))
    let rc = out.withUnsafeMutableBufferPointer { ob -> Int32 in
      z.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
      z.avail_in = uInt(bytes.count)
      z.next_out = ob.baseAddress! + start
      z.avail_out = uInt(bound)
      return deflate(&z, Z_FINISH)
    }
    guard rc == Z_STREAM_END else { throw StoreIOError(path: "<pack>", message: "zlib deflate failed (\(rc))") }
    out.removeLast(Int(z.avail_out))
  }

  /// Adds a blob unless the repository or this pack already has it; returns its id.
  @discardableResult
  public func add(_ bytes: [UInt8], level: Int32 = 0) throws -> ObjectID {
    try append(Self.prepare(bytes, level: level))
  }

  /// Appends a prepared blob unless the repository or this pack already has it.
  @discardableResult
  public func append(_ p: Prepared) throws -> ObjectID {
    // No refresh: a miss would otherwise rescan the pack directory for every new object.
    precondition(p.id.bytes.count == 20, "packs hold SHA-1 objects")
    let key = PackedID(p.id.bytes)
    if seen.contains(key) || repo.exists(p.id, refresh: false) { return p.id }
    seen.insert(key)
    ids += p.id.bytes; crcs.append(p.crc); offsets.append(offset)
    try writeAll(p.packed)
    offset += UInt64(p.packed.count)
    bytesAdded += p.size
    startWriteback()
    return p.id
  }

  /// Where writeback was last started; see `startWriteback`.
  private var writebackFrom: UInt64 = 0

  /// Asks the kernel to start writing the last 32 MB of the pack to disk now, without waiting
  /// for it (`sync_file_range(SYNC_FILE_RANGE_WRITE)`), so that `finish`'s fsync waits for the
  /// tail only: for 500 MB of images it had been waiting half a second for all of it. The fsync
  /// still decides durability; this only changes when the disk starts.
  private func startWriteback() {
    guard offset - writebackFrom >= 32 << 20 else { return }
    _ = csys_start_writeback(fd, Int64(writebackFrom), Int64(offset - writebackFrom))
    writebackFrom = offset
  }

  public var objectCount: Int { crcs.count }

  /// Adds many files: they are read, hashed and framed on all cores a batch at a time while the
  /// previous batch is appended here in order, so memory holds two batches, not the dataset.
  /// `each(i, id)` is called for `files[i]` in order, on this thread.
  public func addFiles(_ files: [String], batchSize: Int = 64, read: @escaping @Sendable (String) throws -> [UInt8],
                       each: (Int, ObjectID) throws -> Void) throws {
    func start(_ n: Int) -> ParallelMap.Pending<Prepared>? {
      guard n < files.count else { return nil }
      return ParallelMap.Pending(Array(files[n..<min(n + batchSize, files.count)])) { try PackWriter.prepare(read($0)) }
    }
    var pending = start(0)
    var n = 0
    while let p = pending {
      let batch = try p.wait()
      pending = start(n + batch.count)
      for prepared in batch {
        try each(n, try append(prepared))
        n += 1
      }
    }
  }

  /// Finishes the pack and its index, moves them into `objects/pack/`, and refreshes libgit2.
  /// With no objects added, writes nothing.
  public func finish() throws {
    guard !finished else { return }
    finished = true
    defer { close(fd) }
    if crcs.isEmpty { unlink(tmpPath); return }
    // Patch the object count, then hash the whole file for the trailer (it is in the page cache).
    var count = UInt32(crcs.count).bigEndian
    guard pwrite(fd, &count, 4, 8) == 4 else { throw io("cannot write pack header") }
    // The rest goes to the disk while the hash reads the pack back from the page cache.
    _ = csys_start_writeback(fd, 0, Int64(offset))
    let packHash = try hashFile(length: offset)
    try writeAll(packHash)
    guard fsync(fd) == 0 else { throw io("fsync failed") }

    let idx = buildIndex(packHash: packHash)
    let name = "pack-" + Hex.encode(packHash)
    let packDir = repo.gitDir + "/objects/pack"
    let idxTmp = tmpDir + "/" + name + ".idx"
    try Data(idx).write(to: URL(fileURLWithPath: idxTmp))
    let ifd = open(idxTmp, O_RDONLY); if ifd >= 0 { fsync(ifd); close(ifd) }
    try FileManager.default.createDirectory(atPath: packDir, withIntermediateDirectories: true)
    // Git's own convention: pack and idx are read-only.
    chmod(tmpPath, 0o444); chmod(idxTmp, 0o444)
    guard rename(tmpPath, packDir + "/" + name + ".pack") == 0 else { throw io("cannot move pack into place") }
    guard rename(idxTmp, packDir + "/" + name + ".idx") == 0 else { throw io("cannot move pack index into place") }
    let dfd = open(packDir, O_RDONLY); if dfd >= 0 { fsync(dfd); close(dfd) }
    // The pack is written: its table of 1M entries need not outlive it (the rest of the
    // operation writes trees and caches).
    ids = []; crcs = []; offsets = []; seen = []
    try repo.refreshObjects()
  }

  private func io(_ m: String) -> StoreIOError { StoreIOError(path: tmpPath, message: "\(m): \(String(cString: strerror(errno)))") }

  private func writeAll(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try writeAll($0) } }

  private func writeAll(_ buf: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < buf.count {
      let n = write(fd, buf.baseAddress! + done, buf.count - done)
      if n < 0 { if errno == EINTR { continue }; throw io("write failed") }
      done += n
    }
  }

  private func hashFile(length: UInt64) throws -> [UInt8] {
    let rfd = open(tmpPath, O_RDONLY | O_CLOEXEC)
    guard rfd >= 0 else { throw io("cannot reopen pack") }
    defer { close(rfd) }
    let d = Digest.sha1()
    var buf = [UInt8](repeating: 0, count: 1 << 20)
    var left = length
    while left > 0 {
      let n = buf.withUnsafeMutableBytes { read(rfd, $0.baseAddress, Int(min(UInt64($0.count), left))) }
      if n <= 0 { throw io("cannot read pack back") }
      buf.withUnsafeBytes { d.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      left -= UInt64(n)
    }
    return d.finish()
  }

  /// The .idx v2: magic, version, fan-out, sorted ids, crc32s, 31-bit offsets (+64-bit table), checksums.
  private func buildIndex(packHash: [UInt8]) -> [UInt8] {
    let sorted: [Int] = ids.withUnsafeBytes { buf in
      Array(crcs.indices).sorted { memcmp(buf.baseAddress! + $0 * 20, buf.baseAddress! + $1 * 20, 20) < 0 }
    }
    var out: [UInt8] = [0xFF, 0x74, 0x4F, 0x63, 0, 0, 0, 2]
    out.reserveCapacity(8 + 1024 + sorted.count * 28 + 40)
    func be32(_ v: UInt32) { out.append(contentsOf: [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]) }
    var fan = [UInt32](repeating: 0, count: 256)
    for e in sorted { fan[Int(ids[e * 20])] += 1 }
    var acc: UInt32 = 0
    for i in 0..<256 { acc += fan[i]; be32(acc) }
    for e in sorted { out.append(contentsOf: ids[(e * 20)..<(e * 20 + 20)]) }
    for e in sorted { be32(crcs[e]) }
    var large: [UInt64] = []
    for e in sorted {
      let o = offsets[e]
      if o < 0x8000_0000 { be32(UInt32(o)) } else { be32(0x8000_0000 | UInt32(large.count)); large.append(o) }
    }
    for o in large { be32(UInt32(o >> 32)); be32(UInt32(o & 0xFFFF_FFFF)) }
    out.append(contentsOf: packHash)
    let d = Digest.sha1()
    d.update(out)
    out.append(contentsOf: d.finish())
    return out
  }
}

/// A file-system failure inside the store, naming the file.
public struct StoreIOError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var message: String
  public var description: String { "\(path): \(message)" }
}
