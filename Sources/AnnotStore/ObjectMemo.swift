import Foundation
import AnnotModel

/// A persistent memo of a pure function from one object id to another: a key (a hash of
/// everything the function reads) maps to the id of the object it produced.
///
/// Import uses it for "re-attach ids, validate and encode": the key hashes the imported document,
/// the parent document's blob id, the schema and the algorithm's version, so a hit is exactly the
/// blob the work would produce, and a re-delivered image that did not change costs one hash instead
/// of decoding its parent and matching. A value is used only if the object is still in the store.
///
/// It is a cache: deleting the file changes no answer. On disk: magic `ANNOTOM1`, u32 count, then
/// sorted (key, value) pairs of 20 bytes each; a damaged file is ignored and rewritten.
public final class ObjectMemo: @unchecked Sendable {
  private static let magic = Array("ANNOTOM1".utf8)
  private let path: String
  /// Sorted records, 40 bytes each, read once.
  private var data: [UInt8] = []
  private var count = 0
  private var added: [ObjectID: ObjectID] = [:]

  public init(path: String) {
    self.path = path
    guard let d = FileManager.default.contents(atPath: path), d.count >= 12 else { return }
    let bytes = Array(d)
    guard Array(bytes[0..<8]) == Self.magic else { return }
    let n = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
    guard bytes.count == 12 + n * 40 else { return }
    data = Array(bytes[12...])
    count = n
  }

  /// The value recorded for `key` before this run (thread-safe: it reads only what was loaded).
  public func lookup(_ key: ObjectID) -> ObjectID? {
    let k = key.bytes
    var lo = 0, hi = count
    while lo < hi {
      let mid = (lo + hi) / 2
      let at = mid * 40
      var c = 0
      for i in 0..<20 where data[at + i] != k[i] { c = data[at + i] < k[i] ? -1 : 1; break }
      if c == 0 { return ObjectID(bytes: Array(data[(at + 20)..<(at + 40)])) }
      if c < 0 { lo = mid + 1 } else { hi = mid }
    }
    return nil
  }

  /// Records a result (call from one thread); written by `save()`.
  public func record(_ key: ObjectID, _ value: ObjectID) { added[key] = value }

  /// Writes old and new records merged, atomically; a failure only costs the next run time.
  public func save() {
    guard !added.isEmpty else { return }
    var records: [[UInt8]] = []
    records.reserveCapacity(count + added.count)
    for r in 0..<count {
      let key = ObjectID(bytes: Array(data[(r * 40)..<(r * 40 + 20)]))
      if added[key] == nil { records.append(Array(data[(r * 40)..<(r * 40 + 40)])) }
    }
    for (k, v) in added { records.append(k.bytes + v.bytes) }
    records.sort { $0.lexicographicallyPrecedes($1) }
    var out = Self.magic
    out.reserveCapacity(12 + records.count * 40)
    for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: records.count >> (8 * i))) }
    for r in records { out += r }
    let tmp = path + ".tmp-\(getpid())"
    if FileManager.default.createFile(atPath: tmp, contents: Data(out)), rename(tmp, path) == 0 { return }
    unlink(tmp)
  }
}
