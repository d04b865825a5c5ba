import AnnotModel

// Revisions: which documents make up a commit.
//
// Storage is "snapshot + one cumulative delta": a snapshot revision lists every path; a derived
// revision lists only the paths that differ from its snapshot (doc NULL = removed). Deriving a
// revision copies the parent's delta and applies the changes, so it costs O(delta + changes),
// never O(images). When the delta outgrows `snapshotRatio` of the snapshot, the revision is
// promoted to a fresh snapshot (one O(images) copy), which keeps both deltas and queries short.

struct RevisionRow {
  var id: Int64
  var commit: ObjectID
  var parent: ObjectID?
  var base: Int64
  var images: Int
  var storedRows: Int
  var manifest: String?

  var info: LabelIndex.RevisionInfo {
    .init(commit: commit, parent: parent, images: images, isSnapshot: base == id, storedRows: storedRows)
  }
}

extension LabelIndex {
  /// True if the commit's revision is indexed.
  public func isRevisionIndexed(_ commit: ObjectID) throws(IndexError) -> Bool {
    try revisionRow(commit) != nil
  }

  /// What the index holds about `commit`.
  public func revision(_ commit: ObjectID) throws(IndexError) -> RevisionInfo {
    try requireRevision(commit).info
  }

  /// Every indexed revision, oldest first.
  public func revisions() throws(IndexError) -> [RevisionInfo] {
    let s = try db.prepare("SELECT id, commit_id, parent, base, images, delta_rows, manifest FROM revs ORDER BY id")
    var out: [RevisionInfo] = []
    while try s.step() { out.append(Self.row(s).info) }
    return out
  }

  /// The label schema (annot.json) recorded for the revision, if any.
  public func schema(revision commit: ObjectID) throws(IndexError) -> DatasetManifest? {
    guard let text = try requireRevision(commit).manifest else { return nil }
    do { return try DatasetManifest.decode(Array(text.utf8)) } catch {
      throw .corrupt(path: path, message: "stored manifest of \(commit.short): \(error)")
    }
  }

  /// The (path, document blob) pairs of a revision, sorted by path (UTF-8 byte order).
  public func entries(revision commit: ObjectID) throws(IndexError) -> [(path: String, docBlob: ObjectID)] {
    let r = try requireRevision(commit)
    let s = try db.prepare("SELECT m.path, d.blob FROM rev_paths m JOIN docs d ON d.id = m.doc WHERE \(Self.membership("m"))")
    try s.bind(Self.membershipParams(r))
    var out: [(path: String, docBlob: ObjectID)] = []
    while try s.step() { out.append((s.text(0), ObjectID(bytes: s.blob(1)))) }
    return out.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
  }

  /// Records a full listing of a commit: every labels document with its dataset path.
  /// Already-indexed commits are left as they are. Every blob must be indexed first.
  @discardableResult
  public func indexRevision(commit: ObjectID, entries: [(path: String, docBlob: ObjectID)],
                            manifest: DatasetManifest?) throws(IndexError) -> RevisionInfo {
    if let existing = try revisionRow(commit) { return existing.info }
    return try db.transaction { () throws(IndexError) -> RevisionInfo in
      let id = try insertRevisionRow(commit: commit, parent: nil, manifest: manifest.map(Self.manifestJSON))
      let upsert = try db.prepare("INSERT OR REPLACE INTO rev_paths(rev, path, doc) VALUES (?, ?, ?)")
      var rows = try DocumentRows(db)
      for (path, blob) in entries {
        let doc = try rows.id(blob, at: path)
        upsert.bind(1, int: id)
        upsert.bind(2, text: path)
        upsert.bind(3, int: doc)
        try upsert.run()
      }
      let count = Int(try db.scalarInt("SELECT count(*) FROM rev_paths WHERE rev = ?", [.integer(id)]) ?? 0)
      // From the table, not from `entries`: a path listed twice keeps its last document.
      try storeMembers(revision: id, try docs(ofRevisionRows: id))
      try finishRevisionRow(id: id, base: id, images: count, storedRows: count)
      return try requireRevision(commit).info
    }
  }

  /// Records a commit as its parent's revision plus `changes` (path → new document blob, or nil
  /// for a removed image). Costs in proportion to the changes and the parent's delta, not to the
  /// size of the revision. `manifest` nil means "same schema as the parent".
  @discardableResult
  public func indexRevision(commit: ObjectID, basedOn parent: ObjectID, changes: [(path: String, docBlob: ObjectID?)],
                            manifest: DatasetManifest? = nil) throws(IndexError) -> RevisionInfo {
    if let existing = try revisionRow(commit) { return existing.info }
    let p = try requireRevision(parent)
    return try db.transaction { () throws(IndexError) -> RevisionInfo in
      let id = try insertRevisionRow(commit: commit, parent: parent, manifest: manifest.map(Self.manifestJSON) ?? p.manifest)
      let snapshot = p.base
      if p.id != snapshot {
        try exec("INSERT INTO rev_paths(rev, path, doc) SELECT ?, path, doc FROM rev_paths WHERE rev = ?",
                 [.integer(id), .integer(p.id)])
      }
      let lookup = try db.prepare("SELECT doc FROM rev_paths WHERE rev = ? AND path = ?")
      func present(_ rev: Int64, _ path: String) throws(IndexError) -> Bool? {
        lookup.bind(1, int: rev)
        lookup.bind(2, text: path)
        defer { lookup.reset() }
        guard try lookup.step() else { return nil }
        return !lookup.isNull(0)
      }
      let upsert = try db.prepare("INSERT OR REPLACE INTO rev_paths(rev, path, doc) VALUES (?, ?, ?)")
      var images = p.images
      var docRows = try DocumentRows(db)
      for (path, blob) in changes {
        var doc: Int64? = nil
        if let blob { doc = try docRows.id(blob, at: path) }
        // Current state of the new revision: its own delta first, then the snapshot.
        var was = false
        if let own = try present(id, path) { was = own } else if let base = try present(snapshot, path) { was = base }
        upsert.bind(1, int: id)
        upsert.bind(2, text: path)
        upsert.bind(3, int: doc)
        try upsert.run()
        images += (doc != nil ? 1 : 0) - (was ? 1 : 0)
      }
      var rows = Int(try db.scalarInt("SELECT count(*) FROM rev_paths WHERE rev = ?", [.integer(id)]) ?? 0)
      var base = snapshot
      let snapshotImages = Int(try db.scalarInt("SELECT images FROM revs WHERE id = ?", [.integer(snapshot)]) ?? 0)
      let limit = max(Double(options.minimumSnapshotDelta), options.snapshotRatio * Double(snapshotImages))
      if Double(rows) > limit {
        // Promote to a snapshot: add the snapshot's untouched paths, drop the removals.
        try exec("""
          INSERT INTO rev_paths(rev, path, doc)
          SELECT ?1, e.path, e.doc FROM rev_paths e
          WHERE e.rev = ?2 AND NOT EXISTS (SELECT 1 FROM rev_paths o WHERE o.rev = ?1 AND o.path = e.path)
          """, [.integer(id), .integer(snapshot)])
        try exec("DELETE FROM rev_paths WHERE rev = ? AND doc IS NULL", [.integer(id)])
        try storeMembers(revision: id, try docs(ofRevisionRows: id))
        base = id
        rows = images
      }
      try finishRevisionRow(id: id, base: base, images: images, storedRows: rows)
      return try requireRevision(commit).info
    }
  }

  // MARK: - Internals

  /// SQL condition selecting the rows of `rev_paths` (aliased `alias`) that make up a revision.
  /// Binds ?1 = revision id, ?2 = its snapshot id (see `membershipParams`).
  static func membership(_ alias: String, first: Int = 1) -> String {
    let r = "?\(first)", s = "?\(first + 1)"
    return """
      \(alias).rev IN (\(r), \(s)) AND \(alias).doc IS NOT NULL AND (\(alias).rev = \(r) OR NOT EXISTS \
      (SELECT 1 FROM rev_paths o WHERE o.rev = \(r) AND o.path = \(alias).path))
      """
  }

  static func membershipParams(_ r: RevisionRow) -> [SQLValue] { [.integer(r.id), .integer(r.base)] }

  static func manifestJSON(_ m: DatasetManifest) -> String { String(decoding: m.canonicalBytes(), as: UTF8.self) }

  static func row(_ s: Statement) -> RevisionRow {
    RevisionRow(id: s.int(0), commit: ObjectID(bytes: s.blob(1)), parent: s.isNull(2) ? nil : ObjectID(bytes: s.blob(2)),
                base: s.int(3), images: Int(s.int(4)), storedRows: Int(s.int(5)), manifest: s.optionalText(6))
  }

  func revisionRow(_ commit: ObjectID) throws(IndexError) -> RevisionRow? {
    let s = try db.prepare("SELECT id, commit_id, parent, base, images, delta_rows, manifest FROM revs WHERE commit_id = ?")
    s.bind(1, blob: commit.bytes)
    guard try s.step() else { return nil }
    return Self.row(s)
  }

  func requireRevision(_ commit: ObjectID) throws(IndexError) -> RevisionRow {
    guard let r = try revisionRow(commit) else { throw .unknownRevision(commit) }
    return r
  }

  func exec(_ sql: String, _ params: [SQLValue]) throws(IndexError) {
    let s = try db.prepare(sql)
    try s.bind(params)
    try s.run()
  }

  private func insertRevisionRow(commit: ObjectID, parent: ObjectID?, manifest: String?) throws(IndexError) -> Int64 {
    try exec("INSERT INTO revs(commit_id, parent, base, images, delta_rows, manifest) VALUES (?, ?, 0, 0, 0, ?)",
             [.blob(commit.bytes), parent.map { .blob($0.bytes) } ?? .null, manifest.map { .text($0) } ?? .null])
    return db.lastInsertRowID
  }

  private func finishRevisionRow(id: Int64, base: Int64, images: Int, storedRows: Int) throws(IndexError) {
    try exec("UPDATE revs SET base = ?, images = ?, delta_rows = ? WHERE id = ?",
             [.integer(base), .integer(Int64(images)), .integer(Int64(storedRows)), .integer(id)])
  }

  /// The `doc` of every `rev_paths` row of revision `id` (for a snapshot: its documents).
  private func docs(ofRevisionRows id: Int64) throws(IndexError) -> [Int64] {
    let s = try db.prepare("SELECT doc FROM rev_paths WHERE rev = ? AND doc IS NOT NULL")
    s.bind(1, int: id)
    var out: [Int64] = []
    while try s.step() { out.append(s.int(0)) }
    return out
  }
}

/// Finds the `docs` row of a blob listed at a path. A document is indexed at its own image.path
/// (`indexDocuments`); listed at another path (a copy or move made with plain git, which annot's
/// own commands refuse), it gets a row of its own there, with a copy of its annotations. So each
/// `docs` row has one path, a revision's documents and paths correspond one to one, and
/// membership is a set of document ids (LabelIndex+Membership.swift).
struct DocumentRows {
  private let db: Connection
  private let atPath: Statement
  private let anyPath: Statement

  init(_ db: Connection) throws(IndexError) {
    self.db = db
    atPath = try db.prepare("SELECT id FROM docs WHERE blob = ? AND path = ?")
    anyPath = try db.prepare("SELECT id, first_ann, annotation_count FROM docs WHERE blob = ? ORDER BY id LIMIT 1")
  }

  mutating func id(_ blob: ObjectID, at path: String) throws(IndexError) -> Int64 {
    atPath.bind(1, blob: blob.bytes)
    atPath.bind(2, text: path)
    defer { atPath.reset() }
    if try atPath.step() { return atPath.int(0) }
    anyPath.bind(1, blob: blob.bytes)
    defer { anyPath.reset() }
    guard try anyPath.step() else { throw .missingDocument(blob) }
    return try copy(anyPath.int(0), firstAnnotation: anyPath.int(1), count: anyPath.int(2), to: path)
  }

  private func copy(_ source: Int64, firstAnnotation first: Int64, count: Int64, to path: String) throws(IndexError) -> Int64 {
    let next = (try db.scalarInt("SELECT max(id) FROM anns") ?? 0) + 1
    let doc = try db.prepare("""
      INSERT INTO docs(blob, path, width, height, media_type, split, source_id, attrs, annotation_count, first_ann)
      SELECT blob, ?1, width, height, media_type, split, source_id, attrs, annotation_count, ?2 FROM docs WHERE id = ?3
      """)
    try doc.bind([.text(path), .integer(next), .integer(source)])
    try doc.run()
    let id = db.lastInsertRowID
    let anns = try db.prepare("""
      INSERT INTO anns(id, doc, ann_id, label, kind, x, y, w, h, area, score, attrs, grp, z_order, crowd)
      SELECT id - ?1 + ?2, ?3, ann_id, label, kind, x, y, w, h, area, score, attrs, grp, z_order, crowd
      FROM anns WHERE id >= ?1 AND id < ?1 + ?4 ORDER BY id
      """)
    try anns.bind([.integer(first), .integer(next), .integer(id), .integer(count)])
    try anns.run()
    return id
  }
}
