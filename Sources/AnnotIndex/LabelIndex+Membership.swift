import GRDBSQLite

// Which documents make up a revision, as a bitmap over `docs.id`, tested in SQL by
// `annot_member(doc)`. A query used to check each candidate annotation against `rev_paths`
// (an index probe for the snapshot row, one more for "not overridden by the delta", one for the
// document): ~3 B-tree lookups per row, 200 ms for a filter matching 100,000 annotations. A bit
// test is a few nanoseconds. The bitmap of a snapshot is stored with it (`revs.members`, one bit
// per document ever indexed: 12.5 KB per 100,000); a delta revision applies its few rows to its
// snapshot's bitmap when a query opens it.
//
// Documents and paths of a revision correspond one to one (a `docs` row is a document at a
// path, see `documentRowID(_:at:)`), so the bitmap loses nothing that `rev_paths` knows.

/// A set of `docs.id` values as a bitmap (bit d % 8 of byte d / 8), for building one.
struct DocumentSet {
  private(set) var bytes: [UInt8] = []

  init(bytes: [UInt8] = []) { self.bytes = bytes }

  mutating func insert(_ id: Int64) {
    let i = Int(id >> 3)
    if i >= bytes.count { bytes.append(contentsOf: repeatElement(0, count: i + 1 - bytes.count)) }
    bytes[i] |= 1 << UInt8(id & 7)
  }

  mutating func remove(_ id: Int64) {
    let i = Int(id >> 3)
    if i < bytes.count { bytes[i] &= ~(1 << UInt8(id & 7)) }
  }
}

/// The bitmap `annot_member` tests, in memory the SQLite callback reads through a raw pointer (a
/// Swift array behind a class property costs an exclusivity check per row). Allocated when the
/// function is registered, freed by SQLite when the connection closes (`releaseMembers`).
struct MemberBits {
  var base: UnsafeMutablePointer<UInt8>?
  var count: Int

  @inline(__always) func contains(_ id: Int64) -> Bool {
    guard id >= 0, let base else { return false }
    let i = Int(id >> 3)
    return i < count && base[i] & (1 << UInt8(id & 7)) != 0
  }

  mutating func replace(with bytes: [UInt8]) {
    base?.deallocate()
    base = nil
    count = bytes.count
    guard !bytes.isEmpty else { return }
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
    p.initialize(from: bytes, count: bytes.count)
    base = p
  }
}

extension LabelIndex {
  /// Registers `annot_member(doc)` on the connection (1 if `doc` is in the returned bitmap,
  /// else 0) and `annot_count_docs(doc)` (an aggregate: how many distinct documents). Neither is
  /// callable from `sql()` (its authorizer allows only the functions in `sqlFunctions`), and
  /// DIRECTONLY keeps them out of views and triggers.
  static func registerFunctions(_ db: Connection) throws(IndexError) -> UnsafeMutablePointer<MemberBits> {
    let bits = UnsafeMutablePointer<MemberBits>.allocate(capacity: 1)
    bits.initialize(to: MemberBits(base: nil, count: 0))
    var rc = sqlite3_create_function_v2(db.handle, "annot_member", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                        bits, memberFunction, nil, nil, releaseMembers)
    guard rc == SQLITE_OK else { throw db.error(rc) }
    rc = sqlite3_create_function_v2(db.handle, "annot_count_docs", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                    nil, nil, distinctStep, distinctFinal, nil)
    guard rc == SQLITE_OK else { throw db.error(rc) }
    return bits
  }

  /// Makes `annot_member` answer for revision `r`: the snapshot's stored bitmap, with the
  /// delta's rows applied for a delta revision (O(delta rows)).
  func loadMembers(_ r: RevisionRow) throws(IndexError) {
    let s = try db.prepare("SELECT members FROM revs WHERE id = ?")
    s.bind(1, int: r.base)
    guard try s.step() else { throw .corrupt(path: path, message: "revision \(r.id) names a missing snapshot \(r.base)") }
    var set = DocumentSet(bytes: s.blob(0))  // NULL (a snapshot without documents): empty
    if r.base != r.id {
      // Each changed path: its snapshot document leaves, its new document (if any) enters.
      let d = try db.prepare("""
        SELECT n.doc, o.doc FROM rev_paths n LEFT JOIN rev_paths o ON o.rev = ?2 AND o.path = n.path
        WHERE n.rev = ?1
        """)
      try d.bind(Self.membershipParams(r))
      while try d.step() {
        if !d.isNull(1) { set.remove(d.int(1)) }
        if !d.isNull(0) { set.insert(d.int(0)) }
      }
    }
    members.pointee.replace(with: set.bytes)
  }

  /// The bitmap of a snapshot revision's documents, for `revs.members`.
  func storeMembers(revision id: Int64, _ docs: some Sequence<Int64>) throws(IndexError) {
    var set = DocumentSet()
    for d in docs { set.insert(d) }
    try exec("UPDATE revs SET members = ? WHERE id = ?", [.blob(set.bytes), .integer(id)])
  }
}

private let memberFunction: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
  ctx, _, argv in
  let bits = sqlite3_user_data(ctx)!.assumingMemoryBound(to: MemberBits.self)
  sqlite3_result_int(ctx, bits.pointee.contains(sqlite3_value_int64(argv![0])) ? 1 : 0)
}

private let releaseMembers: @convention(c) (UnsafeMutableRawPointer?) -> Void = { p in
  guard let bits = p?.assumingMemoryBound(to: MemberBits.self) else { return }
  bits.pointee.base?.deallocate()
  bits.deinitialize(count: 1)
  bits.deallocate()
}

// annot_count_docs: count(DISTINCT doc) for small non-negative integers with a bitmap instead of
// SQLite's temporary b-tree (an insert per row: a third of a filter matching 100,000 rows).

/// The aggregate's state, in memory SQLite zeroes on first use (sqlite3_aggregate_context).
private struct DistinctDocs {
  var count: Int64
  var words: UnsafeMutablePointer<UInt64>?
  var capacity: Int
}

private let distinctStep: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
  ctx, _, argv in
  guard let raw = sqlite3_aggregate_context(ctx, Int32(MemoryLayout<DistinctDocs>.size)) else {
    sqlite3_result_error_nomem(ctx)
    return
  }
  let st = raw.assumingMemoryBound(to: DistinctDocs.self)
  let v = argv![0]
  guard sqlite3_value_type(v) != SQLITE_NULL else { return }
  let id = sqlite3_value_int64(v)
  guard id >= 0 else { return }
  let w = Int(id >> 6)
  if w >= st.pointee.capacity {
    let capacity = max(w + 1, 2 * st.pointee.capacity, 1024)
    let words = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
    words.initialize(repeating: 0, count: capacity)
    if let old = st.pointee.words {
      words.update(from: old, count: st.pointee.capacity)
      old.deallocate()
    }
    st.pointee.words = words
    st.pointee.capacity = capacity
  }
  let mask: UInt64 = 1 << UInt64(id & 63)
  if st.pointee.words![w] & mask == 0 {
    st.pointee.words![w] |= mask
    st.pointee.count += 1
  }
}

private let distinctFinal: @convention(c) (OpaquePointer?) -> Void = { ctx in
  // Size 0: no allocation when no row was stepped (then the count is 0).
  guard let raw = sqlite3_aggregate_context(ctx, 0) else { sqlite3_result_int64(ctx, 0); return }
  let st = raw.assumingMemoryBound(to: DistinctDocs.self)
  sqlite3_result_int64(ctx, st.pointee.count)
  st.pointee.words?.deallocate()
  st.pointee.words = nil
}
