import CGit2
import AnnotModel
import Foundation

/// The entry-level difference of two trees, walked here rather than by `git_diff_tree_to_tree`.
///
/// Why by hand: libgit2's tree diff builds an iterator frame, a path string and a delta object for
/// every entry it passes, and looks every tree up again by prefix. With large folders in buckets
/// (FanOut) a 1% round touches most leaf buckets, so the diff walks nearly every entry of both
/// label trees, and libgit2's machinery cost more than inflating the trees (39% of a `diff --stat`
/// of 1,000 changed images in a flat 100k folder). Here two open trees are compared in place,
/// entry pointers side by side; only a changed entry makes a string. Buckets are not part of a
/// path, so a folder that crossed `FanOut.limit` between the two trees is compared as the flat
/// folder it stands for (its entries moved between stored paths, not between dataset paths).
extension GitRepository {
  /// One side's entry during the walk: pointers into a tree that stays open for the comparison.
  private struct Ref {
    let entry: OpaquePointer
    let name: UnsafePointer<CChar>
    let length: Int
    let isTree: Bool
    var id: UnsafePointer<git_oid> { git_tree_entry_id(entry) }

    init(_ e: OpaquePointer) {
      entry = e
      name = git_tree_entry_name(e)
      length = strlen(name)
      isTree = git_tree_entry_type(e) == GIT_OBJECT_TREE
    }

    /// git's order (`base_name_compare`): bytes, and a tree's name as if it ended in `/`.
    static func precedes(_ a: Ref, _ b: Ref) -> Bool { compare(a, b) < 0 }

    static func compare(_ a: Ref, _ b: Ref) -> Int32 {
      let n = min(a.length, b.length)
      let c = memcmp(a.name, b.name, n)
      if c != 0 { return c }
      let ca: UInt8 = a.length > n ? UInt8(bitPattern: a.name[n]) : (a.isTree ? 0x2F : 0)
      let cb: UInt8 = b.length > n ? UInt8(bitPattern: b.name[n]) : (b.isTree ? 0x2F : 0)
      return Int32(ca) - Int32(cb)
    }
  }

  /// Changed non-tree entries (blobs, symlinks, gitlinks) between trees `a` and `b` by dataset
  /// path, unsorted; an entry whose id is the same on both sides is no change. Folders for which
  /// `descend` (given "images/a/") is false are not entered. Runs under the repository's lock.
  func entryDelta(_ a: ObjectID?, _ b: ObjectID?, descend: (String) -> Bool) throws -> [(path: String, old: ObjectID?, new: ObjectID?)] {
    try sync {
      var out: [(path: String, old: ObjectID?, new: ObjectID?)] = []
      func open(_ id: ObjectID?) throws -> OpaquePointer? {
        // The empty tree may be virtual (never written; `GitRepository.emptyTree()`).
        guard let id, id != Self.emptyTreeID else { return nil }
        var oid = id.git
        return try open(&oid)
      }
      func open(_ p: UnsafePointer<git_oid>) throws -> OpaquePointer? {
        var t: OpaquePointer?
        let rc = git_tree_lookup(&t, raw, p)
        if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(ObjectID(p).hex) }
        try check("git_tree_lookup", rc)
        return t
      }
      func path(_ base: String, _ r: Ref) -> String {
        base + String(decoding: UnsafeRawBufferPointer(start: r.name, count: r.length), as: UTF8.self)
      }
      /// The entries of the folder whose node is `t`, buckets read through (their trees are
      /// appended to `held` and stay open until the caller frees them), in git's order.
      func flatten(_ t: OpaquePointer?, into refs: inout [Ref], held: inout [OpaquePointer]) throws {
        guard let t else { return }
        if TreeReader.isSplit(t) {
          for i in 0..<git_tree_entrycount(t) {
            guard let bucket = try open(git_tree_entry_id(git_tree_entry_byindex(t, i))) else { continue }
            held.append(bucket)
            try flatten(bucket, into: &refs, held: &held)
          }
        } else {
          for i in 0..<git_tree_entrycount(t) { refs.append(Ref(git_tree_entry_byindex(t, i))) }
        }
      }
      /// Compares two nodes of the same folder (`base` ends in "/" or is "").
      func folder(_ ta: OpaquePointer?, _ tb: OpaquePointer?, _ base: String) throws {
        let splitA = TreeReader.isSplit(ta), splitB = TreeReader.isSplit(tb)
        if (splitA && (splitB || tb == nil)) || (splitB && ta == nil) {
          // Same shape (or one side absent): bucket by bucket, identical buckets skipped by id.
          for d in 0..<16 {
            let name = FanOut.bucketName(d)
            let ea = ta.flatMap { git_tree_entry_byname($0, name) }
            let eb = tb.flatMap { git_tree_entry_byname($0, name) }
            if ea == nil && eb == nil { continue }
            if let ea, let eb, git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) != 0 { continue }
            let ba = try ea.flatMap { try open(git_tree_entry_id($0)) }
            defer { git_tree_free(ba) }
            let bb = try eb.flatMap { try open(git_tree_entry_id($0)) }
            defer { git_tree_free(bb) }
            try folder(ba, bb, base)
          }
          return
        }
        var held: [OpaquePointer] = []
        defer { held.forEach { git_tree_free($0) } }
        var ra: [Ref] = [], rb: [Ref] = []
        try flatten(ta, into: &ra, held: &held)
        try flatten(tb, into: &rb, held: &held)
        if splitA { ra.sort(by: Ref.precedes) }
        if splitB { rb.sort(by: Ref.precedes) }
        var i = 0, j = 0
        while i < ra.count || j < rb.count {
          let c: Int32 = i == ra.count ? 1 : j == rb.count ? -1 : Ref.compare(ra[i], rb[j])
          if c == 0 {
            let x = ra[i], y = rb[j]
            i += 1; j += 1
            if git_oid_equal(x.id, y.id) != 0 { continue }
            if x.isTree {
              let p = path(base, x) + "/"
              guard descend(p) else { continue }
              let sa = try open(x.id)
              defer { git_tree_free(sa) }
              let sb = try open(y.id)
              defer { git_tree_free(sb) }
              try folder(sa, sb, p)
            } else {
              out.append((path(base, x), ObjectID(x.id), ObjectID(y.id)))
            }
          } else if c < 0 {
            try one(ra[i], base, old: true); i += 1
          } else {
            try one(rb[j], base, old: false); j += 1
          }
        }
      }
      /// An entry on one side only: itself, or everything under it.
      func one(_ r: Ref, _ base: String, old: Bool) throws {
        if r.isTree {
          let p = path(base, r) + "/"
          guard descend(p) else { return }
          let t = try open(r.id)
          defer { git_tree_free(t) }
          try old ? folder(t, nil, p) : folder(nil, t, p)
        } else {
          let id = ObjectID(r.id)
          out.append((path(base, r), old ? id : nil, old ? nil : id))
        }
      }
      let ta = try open(a)
      defer { git_tree_free(ta) }
      let tb = try open(b)
      defer { git_tree_free(tb) }
      try folder(ta, tb, "")
      return out
    }
  }
}
