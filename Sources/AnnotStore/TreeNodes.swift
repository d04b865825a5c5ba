import CGit2
import AnnotModel

// The pieces of the tree editor (`GitRepository.updateTree`): stored entries, pending changes of
// one node, the edits by path, and the trees made but not yet stored.

/// One entry of one stored tree object: name bytes, raw git mode, id.
struct NodeEntry: Equatable {
  var name: [UInt8]
  var id: ObjectID
  var mode: UInt32
  static let treeMode: UInt32 = 0o040000
  var isTree: Bool { mode == Self.treeMode }

  /// git's entry order: names compared as bytes, a tree's name as if it ended in `/`
  /// (git's `base_name_compare`; `git fsck` refuses a tree in any other order).
  static func gitOrder(_ a: NodeEntry, _ b: NodeEntry) -> Bool {
    let n = min(a.name.count, b.name.count)
    for i in 0..<n where a.name[i] != b.name[i] { return a.name[i] < b.name[i] }
    let ca: UInt8 = a.name.count > n ? a.name[n] : (a.isTree ? 0x2F : 0)
    let cb: UInt8 = b.name.count > n ? b.name[n] : (b.isTree ? 0x2F : 0)
    return ca < cb
  }
}

/// A new entry (or a removal, `entry == nil`) for one name of a node.
struct NodeChange {
  var name: [UInt8]
  var entry: NodeEntry?
  private var hash: [UInt8]?

  init(name: [UInt8], entry: NodeEntry?) {
    self.name = name
    self.entry = entry
  }

  /// The bucket digit of this name at `depth`.
  mutating func digit(_ depth: Int) -> Int {
    if hash == nil { hash = FanOut.digits(of: name) }
    return Int(hash![depth])
  }

  static func digit(of name: [UInt8], depth: Int) -> Int { Int(FanOut.digits(of: name)[depth]) }
}

extension FanOut {
  /// The value of a bucket name's digit character.
  public static func digitValue(_ c: UInt8) -> Int { c <= 0x39 ? Int(c - 0x30) : Int(c - 0x61 + 10) }
}

/// Edits by path component, built from `TreeUpdate`s in order.
final class TreeEdit {
  enum Leaf { case put(ObjectID, UInt32), remove }
  var children: [String: TreeEdit] = [:]
  /// Set when the path itself is put or removed.
  var leaf: Leaf?
  /// The folder starts empty: an earlier update of this transaction replaced or removed the
  /// path, and a later one puts paths under it.
  var fresh = false

  func insert(_ u: TreeUpdate) {
    let comps = u.path.split(separator: "/").map(String.init)
    guard let last = comps.last else { return }
    var node = self
    for c in comps.dropLast() {
      let child = node.children[c] ?? TreeEdit()
      node.children[c] = child
      if child.leaf != nil { child.leaf = nil; child.fresh = true }
      node = child
    }
    let child = node.children[last] ?? TreeEdit()
    node.children[last] = child
    child.children = [:]
    child.fresh = false
    switch u {
    case let .upsert(_, blob): child.leaf = .put(blob, UInt32(GIT_FILEMODE_BLOB.rawValue))
    case let .gitlink(_, id): child.leaf = .put(id, UInt32(GIT_FILEMODE_COMMIT.rawValue))
    case .remove: child.leaf = .remove
    }
  }
}

/// Trees made by one `updateTree`, serialised here so that many can go into one pack; kept with
/// their entries until stored, so a node written a moment ago can be read back.
struct TreeWriter {
  var pending: [(id: ObjectID, bytes: [UInt8])] = []
  private var made: [ObjectID: [NodeEntry]] = [:]

  /// The tree object for `entries` (any order), git's format: per entry, the mode in octal, a
  /// space, the name, NUL, the 20-byte id; sorted by `NodeEntry.gitOrder`.
  mutating func write(_ entries: [NodeEntry]) -> ObjectID {
    let sorted = entries.sorted(by: NodeEntry.gitOrder)
    var body: [UInt8] = []
    body.reserveCapacity(sorted.count * 48)
    for e in sorted {
      body += Array(String(e.mode, radix: 8).utf8)
      body.append(0x20)
      body += e.name
      body.append(0)
      body += e.id.bytes
    }
    let d = Digest.sha1()
    d.update(Array("tree \(body.count)\u{0}".utf8))
    d.update(body)
    let id = ObjectID(bytes: d.finish())
    if made[id] == nil {
      made[id] = sorted
      pending.append((id, body))
    }
    return id
  }

  /// The entries of tree `id`, made here or stored.
  func entries(of id: ObjectID, in repo: GitRepository) throws -> [NodeEntry] {
    if let e = made[id] { return e }
    return try repo.nodeEntries(id)
  }
}
