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
  /// Records of this run, 40 bytes each in the order recorded (a later one for the same key
  /// wins). Flat bytes, not a dictionary of ids: an import of 1M images records some 4M of them,
  /// and two heap-allocated ids and a slot each came to ~170 bytes a record against 40.
  private var added: [UInt8] = []

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
    guard key.bytes.count == 20 else { return nil }
    // memcmp over the buffer: element-wise access to a class's array paid a retain and a bounds
    // check per byte, and this runs three times per image of a re-delivery, over 4M records.
    return key.bytes.withUnsafeBytes { k in
      data.withUnsafeBytes { d -> ObjectID? in
        var lo = 0, hi = count
        while lo < hi {
          let mid = (lo + hi) / 2
          let c = memcmp(d.baseAddress! + mid * 40, k.baseAddress!, 20)
          if c == 0 { return ObjectID(bytes: Array(d[(mid * 40 + 20)..<(mid * 40 + 40)])) }
          if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        return nil
      }
    }
  }

  /// Records a result (call from one thread); written by `save()`.
  public func record(_ key: ObjectID, _ value: ObjectID) {
    let k = key.bytes, v = value.bytes
    precondition(k.count == 20 && v.count == 20, "memo records are SHA-1 ids")
    added += k
    added += v
  }

  /// Writes old and new records merged, atomically, streamed to the file (saving 4M records
  /// holds no second copy of them); a failure only costs the next run time.
  public func save() {
    guard !added.isEmpty else { return }
    let latest: [Int] = added.withUnsafeBytes { new in
      func key(_ r: Int) -> UnsafeRawPointer { new.baseAddress! + r * 40 }
      // New records by key; of several with one key the last recorded, as a dictionary keeps.
      var order = Array(0..<(new.count / 40))
      order.sort { a, b in
        let c = memcmp(key(a), key(b), 20)
        return c != 0 ? c < 0 : a < b
      }
      var latest: [Int] = []
      latest.reserveCapacity(order.count)
      for r in order {
        if let last = latest.last, memcmp(key(last), key(r), 20) == 0 { latest[latest.count - 1] = r } else { latest.append(r) }
      }
      return latest
    }
    guard var out = BufferedFileWriter(path: path) else { return }
    out.append(Self.magic); out.append([0, 0, 0, 0])
    // Merged with the sorted old records; a new record replaces an old one with its key.
    var n = 0
    added.withUnsafeBytes { new in
      data.withUnsafeBytes { old in
        func key(_ base: UnsafeRawBufferPointer, _ r: Int) -> UnsafeRawPointer { base.baseAddress! + r * 40 }
        var i = 0, j = 0
        while i < count || j < latest.count {
          let c: Int32 = i == count ? 1 : j == latest.count ? -1 : memcmp(key(old, i), key(new, latest[j]), 20)
          if c < 0 {
            out.append(UnsafeRawBufferPointer(start: key(old, i), count: 40)); i += 1
          } else {
            out.append(UnsafeRawBufferPointer(start: key(new, latest[j]), count: 40)); j += 1
            if c == 0 { i += 1 }
          }
          n += 1
        }
      }
    }
    out.patch((0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }, at: 8)
    _ = out.commit()
  }
}
