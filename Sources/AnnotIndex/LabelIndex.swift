import AnnotModel
import GRDBSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// annot's query index: a SQLite cache of label documents and of which documents make up each
/// indexed commit, stored at `.annot/annot/index.sqlite`.
///
/// The index never reads git. The caller hands it decoded documents keyed by blob id
/// (`indexDocuments`), then revision listings keyed by commit id (`indexRevision`). A blob is
/// parsed and inserted once, whatever number of revisions contain it.
///
/// Not thread-safe: confine an instance to one task (it owns one SQLite connection).
///
/// ## Topics
/// - Opening: ``init(path:options:)``, ``remove(at:)``
/// - Documents: ``isIndexed(_:)``, ``missingBlobs(_:)``, ``indexDocuments(_:)``, ``indexMissing(_:load:)``
/// - Revisions: ``indexRevision(commit:entries:manifest:)``, ``indexRevision(commit:basedOn:changes:manifest:)``,
///   ``isRevisionIndexed(_:)``, ``revision(_:)``, ``schema(revision:)``, ``entries(revision:)``
/// - Reading: ``query(_:revision:options:)``, ``sql(_:revision:)``, ``stats(revision:)``
public final class LabelIndex {
  /// Tuning knobs; the defaults are what annot uses.
  public struct Options: Sendable {
    /// A derived revision becomes a full snapshot once its delta against the last snapshot
    /// exceeds this fraction of the snapshot's size (bounds query cost and copy cost).
    public var snapshotRatio: Double
    /// …but never for deltas smaller than this many paths.
    public var minimumSnapshotDelta: Int
    public init(snapshotRatio: Double = 0.125, minimumSnapshotDelta: Int = 256) {
      self.snapshotRatio = snapshotRatio
      self.minimumSnapshotDelta = minimumSnapshotDelta
    }
  }

  /// What the index holds about one commit.
  public struct RevisionInfo: Sendable, Equatable {
    public var commit: ObjectID
    /// The commit it was derived from with `indexRevision(commit:basedOn:changes:)`, if any.
    public var parent: ObjectID?
    /// Number of documents (images) in the revision.
    public var images: Int
    /// True when stored as a full listing; false when stored as a delta over a snapshot.
    public var isSnapshot: Bool
    /// Rows stored for this revision (all paths for a snapshot, changed paths for a delta).
    public var storedRows: Int
  }

  /// The database file.
  public let path: String
  let db: Connection
  let options: Options
  /// The revision the temp views (`images`, `annotations`, …) currently describe.
  var viewRevision: Int64?
  /// The documents `annot_member(doc)` answers for (the revision of the running query); owned
  /// by the connection, which frees it on close.
  let members: UnsafeMutablePointer<MemberBits>

  /// Opens (creating or migrating as needed) the index at `path`.
  ///
  /// - Throws: `.corrupt` for a damaged or foreign file and `.newerSchema` for a file from a
  ///   newer annot; in both cases the caller may `remove(at:)` the file and rebuild.
  public init(path: String, options: Options = Options()) throws(IndexError) {
    self.path = path
    self.options = options
    db = try Connection(path: path)
    let appID = try db.scalarInt("PRAGMA application_id") ?? 0
    let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
    if appID != 0 && appID != IndexSchema.applicationID {
      throw .corrupt(path: path, message: "not an annot index (application_id \(appID))")
    }
    if version > IndexSchema.version { throw .newerSchema(found: version, supported: IndexSchema.version) }
    if version == 0, appID == 0, (try db.scalarInt("SELECT count(*) FROM sqlite_master") ?? 0) > 0 {
      throw .corrupt(path: path, message: "not an annot index (unknown tables)")
    }
    try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456")
    members = try Self.registerFunctions(db)
    if version < IndexSchema.version {
      try db.transaction { () throws(IndexError) in
        // Read again under the write lock: another process may have created the schema since.
        let current = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        guard current < IndexSchema.version else { return }
        for v in current..<IndexSchema.version { try db.exec(IndexSchema.steps[v]) }
        try db.exec("PRAGMA user_version=\(IndexSchema.version); PRAGMA application_id=\(IndexSchema.applicationID)")
      }
    }
  }

  /// The secondary index of `anns` (IndexSchema). Bulk builds drop it and build it once at the
  /// end (a sorted build instead of a b-tree insert per row), inside the build's one transaction.
  static let annotationIndexes = [
    "CREATE INDEX IF NOT EXISTS anns_label ON anns(label, doc, area, attrs)",
  ]

  /// Runs `body` (which inserts many documents) with the `anns` index dropped, then builds it,
  /// all in one transaction: readers (WAL) keep seeing the index as it was, with its indexes,
  /// until the new one is complete, and a kill leaves the old one.
  public func withDeferredIndexes<T>(_ body: () throws -> T) throws -> T {
    // Inside a rebuild's transaction this is a savepoint of it.
    let nested = inTransaction
    // The sorter of CREATE INDEX may use a helper thread per core (SQLite's `threads` pragma,
    // 0 by default): the two index builds were half of a full build, on one core.
    try db.exec("PRAGMA threads=\(max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))))")
    try db.exec((nested ? "SAVEPOINT bulk" : "BEGIN IMMEDIATE") + "; DROP INDEX IF EXISTS anns_label")
    do {
      let result = try body()
      try db.exec(Self.annotationIndexes.joined(separator: "; ") + (nested ? "; RELEASE bulk" : "; COMMIT"))
      return result
    } catch {
      try? db.exec(nested ? "ROLLBACK TO bulk; RELEASE bulk" : "ROLLBACK")
      throw error
    }
  }

  /// The schema version stored in the file.
  public func schemaVersion() throws(IndexError) -> Int { Int(try db.scalarInt("PRAGMA user_version") ?? 0) }

  /// Deletes the index file and its WAL and shared-memory companions (for a rebuild).
  public static func remove(at path: String) {
    for suffix in ["", "-wal", "-shm"] { _ = unlink(path + suffix) }
  }

  // MARK: - Documents

  /// True if the document blob has been indexed.
  public func isIndexed(_ blob: ObjectID) throws(IndexError) -> Bool {
    try documentRowID(blob) != nil
  }

  /// The blobs of `blobs` that are not indexed yet, in their first-seen order, without repeats.
  public func missingBlobs(_ blobs: [ObjectID]) throws(IndexError) -> [ObjectID] {
    let s = try db.prepare("SELECT 1 FROM docs WHERE blob = ?")
    var seen = Set<ObjectID>()
    var out: [ObjectID] = []
    for b in blobs where seen.insert(b).inserted {
      s.bind(1, blob: b.bytes)
      let found = try s.step()
      s.reset()
      if !found { out.append(b) }
    }
    return out
  }

  /// Indexes documents in one transaction. Blobs already indexed (or repeated in `docs`) are
  /// skipped without looking at their document.
  ///
  /// A document's annotations get consecutive row ids (`docs.first_ann` …), which is how its
  /// annotations are found without an `anns(doc)` index.
  ///
  /// - Returns: the number of documents newly inserted.
  @discardableResult
  public func indexDocuments(_ docs: [(blob: ObjectID, doc: LabelDocument)]) throws(IndexError) -> Int {
    try db.transaction { () throws(IndexError) -> Int in
      let exists = try db.prepare("SELECT 1 FROM docs WHERE blob = ?")
      let insertDoc = try db.prepare("""
        INSERT INTO docs(blob, path, width, height, media_type, split, source_id, attrs, annotation_count, first_ann)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
      let insertAnn = try db.prepare("""
        INSERT INTO anns(id, doc, ann_id, label, kind, x, y, w, h, area, score, attrs, grp, z_order, crowd)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
      var labels = try CodeTable<String>(db, table: "labels", column: "name") { $0 }
      var kinds = try CodeTable<String>(db, table: "kinds", column: "name") { $0 }
      var attrSets = try CodeTable<[String: AttributeValue]>(db, table: "attr_sets", column: "json") {
        Self.attributesJSON($0) ?? "{}"
      }
      var nextAnn = (try db.scalarInt("SELECT max(id) FROM anns") ?? 0) + 1
      var inserted = 0
      for (blob, doc) in docs {
        exists.bind(1, blob: blob.bytes)
        let known = try exists.step()
        exists.reset()
        if known { continue }
        let img = doc.image
        insertDoc.bind(1, blob: blob.bytes)
        insertDoc.bind(2, text: img.path)
        insertDoc.bind(3, int: Int64(img.width))
        insertDoc.bind(4, int: Int64(img.height))
        insertDoc.bind(5, text: img.mediaType)
        insertDoc.bind(6, text: img.split)
        insertDoc.bind(7, text: img.sourceID)
        insertDoc.bind(8, text: Self.attributesJSON(img.attributes))
        insertDoc.bind(9, int: Int64(doc.annotations.count))
        insertDoc.bind(10, int: nextAnn)
        try insertDoc.run()
        let docID = db.lastInsertRowID
        for a in doc.annotations {
          let box = a.boundingBox
          insertAnn.bind(1, int: nextAnn)
          insertAnn.bind(2, int: docID)
          insertAnn.bind(3, text: a.id)
          insertAnn.bind(4, int: try labels.code(a.label))
          insertAnn.bind(5, int: try kinds.code(a.shape.kind))
          insertAnn.bind(6, double: box?.x)
          insertAnn.bind(7, double: box?.y)
          insertAnn.bind(8, double: box?.w)
          insertAnn.bind(9, double: box?.h)
          let area = a.area
          insertAnn.bind(10, double: area.isFinite ? area : 0)
          insertAnn.bind(11, double: a.score)
          insertAnn.bind(12, int: a.attributes.isEmpty ? nil : try attrSets.code(a.attributes))
          insertAnn.bind(13, int: a.group.map(Int64.init))
          insertAnn.bind(14, int: a.zOrder.map(Int64.init))
          insertAnn.bind(15, int: a.crowd ? 1 : 0)
          try insertAnn.run()
          nextAnn += 1
        }
        inserted += 1
      }
      return inserted
    }
  }

  /// Indexes whichever of `blobs` are missing, calling `load` only for those (in batches of
  /// `batchSize` per transaction). This is the "parse each blob once" path for callers.
  ///
  /// - Returns: the number of documents loaded and inserted.
  @discardableResult
  public func indexMissing(_ blobs: [ObjectID], batchSize: Int = 2000,
                           load: (ObjectID) throws -> LabelDocument) throws -> Int {
    let missing = try missingBlobs(blobs)
    var done = 0
    var start = 0
    while start < missing.count {
      let end = min(start + max(1, batchSize), missing.count)
      var batch: [(blob: ObjectID, doc: LabelDocument)] = []
      batch.reserveCapacity(end - start)
      for b in missing[start..<end] { batch.append((b, try load(b))) }
      done += try indexDocuments(batch)
      start = end
    }
    return done
  }

  static func attributesJSON(_ attrs: [String: AttributeValue]) -> String? {
    attrs.isEmpty ? nil : CanonicalJSON.string(.object(attrs.mapValues(\.json)))
  }

  static func attributes(fromJSON text: String?) -> [String: AttributeValue] {
    guard let text, let v = try? JSONParser.parse(text), case .object(let o) = v else { return [:] }
    return o.compactMapValues(AttributeValue.init)
  }


  func documentRowID(_ blob: ObjectID) throws(IndexError) -> Int64? {
    try db.scalarInt("SELECT id FROM docs WHERE blob = ?", [.blob(blob.bytes)])
  }
}
