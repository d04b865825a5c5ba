import AnnotModel

// Labels, shape kinds and attribute objects are stored once each, in `labels`, `kinds` and
// `attr_sets`, and annotation rows hold their integer ids: a row is narrower (faster to insert
// and to scan), and a filter on a label or an attribute is decided once per distinct value
// instead of once per annotation (`label IN (SELECT id FROM labels WHERE name = ?)`).

/// Lookup-or-insert of the codes of one table, with a cache for the statements' lifetime (one
/// batch of documents). `Key` is what the caller has at hand (a label string, an attribute
/// dictionary): hashing it is cheaper than rendering it as text for every annotation.
struct CodeTable<Key: Hashable> {
  private let find: Statement
  private let insert: Statement
  private let text: (Key) -> String
  private var cache: [Key: Int64] = [:]

  /// `table` has columns `id INTEGER PRIMARY KEY` and `column TEXT NOT NULL UNIQUE`.
  init(_ db: Connection, table: String, column: String, text: @escaping (Key) -> String) throws(IndexError) {
    find = try db.prepare("SELECT id FROM \(table) WHERE \(column) = ?")
    insert = try db.prepare("INSERT INTO \(table)(\(column)) VALUES (?)")
    self.text = text
  }

  mutating func code(_ key: Key) throws(IndexError) -> Int64 {
    if let id = cache[key] { return id }
    let s = text(key)
    find.bind(1, text: s)
    let id: Int64
    if try find.step() {
      id = find.int(0)
      find.reset()
    } else {
      find.reset()
      insert.bind(1, text: s)
      try insert.run()
      id = insert.connection.lastInsertRowID
    }
    cache[key] = id
    return id
  }
}

/// The reverse direction, for reading rows: label and kind names by code (both tables are
/// small, read whole), attribute objects by code (parsed once each, on first use).
struct CodeNames {
  private let db: Connection
  private let labels: [Int64: String]
  private let kinds: [Int64: String]
  private var attrSets: [Int64: [String: AttributeValue]] = [:]
  private let attrLookup: Statement

  init(_ db: Connection) throws(IndexError) {
    self.db = db
    labels = try Self.names(db, "labels")
    kinds = try Self.names(db, "kinds")
    attrLookup = try db.prepare("SELECT json FROM attr_sets WHERE id = ?")
  }

  private static func names(_ db: Connection, _ table: String) throws(IndexError) -> [Int64: String] {
    let s = try db.prepare("SELECT id, name FROM \(table)")
    var names: [Int64: String] = [:]
    while try s.step() { names[s.int(0)] = s.text(1) }
    return names
  }

  func label(_ code: Int64) -> String { labels[code] ?? "" }
  func kind(_ code: Int64) -> String { kinds[code] ?? "" }

  /// The attributes of code `code` (nil = none).
  mutating func attributes(_ code: Int64?) throws(IndexError) -> [String: AttributeValue] {
    guard let code else { return [:] }
    if let a = attrSets[code] { return a }
    attrLookup.bind(1, int: code)
    defer { attrLookup.reset() }
    let a = try attrLookup.step() ? LabelIndex.attributes(fromJSON: attrLookup.text(0)) : [:]
    attrSets[code] = a
    return a
  }
}
