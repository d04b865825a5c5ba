import AnnotModel

/// What happened to one image between two revisions.
public struct ImageDiff: Sendable, Equatable {
  /// Image-level status.
  public enum Status: String, Sendable, Hashable {
    /// The image exists only on the new side.
    case added
    /// The image exists only on the old side.
    case removed
    /// The image exists on both sides under this path; its labels or bytes changed.
    case modified
    /// The image moved from `oldPath` to `path` with the same bytes and the same labels.
    case renamed
  }
  /// Old and new byte size of an image whose bytes were replaced.
  public struct Replacement: Sendable, Hashable {
    /// Bytes of the old image.
    public var oldSize: Int
    /// Bytes of the new image.
    public var newSize: Int
    /// Creates a replacement record.
    public init(oldSize: Int, newSize: Int) { self.oldSize = oldSize; self.newSize = newSize }
  }

  /// The dataset path (the new one for renames, the old one for removals).
  public var path: String
  /// The previous path, for renames.
  public var oldPath: String?
  /// Added, removed, modified or renamed.
  public var status: Status
  /// Set when the image bytes changed under the same path.
  public var replaced: Replacement?
  /// The label diff (all annotations added for a new image, all removed for a deleted one).
  public var labels: DocumentDiff.Outcome

  /// Creates an image diff.
  public init(path: String, oldPath: String? = nil, status: Status, replaced: Replacement? = nil, labels: DocumentDiff.Outcome) {
    self.path = path; self.oldPath = oldPath; self.status = status; self.replaced = replaced; self.labels = labels
  }
}

/// Errors of a dataset diff: a changed object could not be read or parsed.
public enum DiffError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The object store could not give the blob of this tree entry.
  case unreadable(entry: String, blob: ObjectID, reason: String)
  /// A label document or the manifest does not parse.
  case invalidDocument(entry: String, blob: ObjectID, DocumentError)

  /// One line naming the entry and the place.
  public var description: String {
    switch self {
    case .unreadable(let e, let b, let r): "cannot read \(e) (blob \(b.short)): \(r)"
    case .invalidDocument(let e, let b, let d): "\(e) (blob \(b.short)): \(d); run 'annot fsck' to check the repository"
    }
  }
}

/// What one path's documents came to in `DatasetDiff.compare`, decoded and compared off the
/// calling thread.
private struct Decoded: Sendable {
  var old: LabelDocument?, new: LabelDocument?
  var labels: DocumentDiff.Outcome?
}

/// Semantic diff of two revisions of a dataset, from the entries the tree diff reports.
///
/// ### How it works
/// The caller tree-diffs the two commits (git skips unchanged subtrees by id) and passes the
/// changed entries. Only the documents of those entries are read and parsed, so the cost is
/// proportional to what changed, never to the dataset size. Entries group by dataset path:
/// - image entry added / deleted → image `added` / `removed` (its annotations all added / removed);
/// - image blob changed → `modified` with `replaced` (old and new byte size from `imageByteSize`);
/// - label entry changed only → `modified` with the document diff; images whose label blob
///   changed but whose documents are equal within tolerance are left out;
/// - a removed and an added image with the same image blob and labels equal up to the path →
///   one `renamed` image (paired in path order when several share a blob);
/// - `annot.json` changed → a `SchemaDiff`.
public enum DatasetDiff {
  /// Options of a dataset diff.
  public struct Options: Sendable, Hashable {
    /// Options of each document diff.
    public var document: DocumentDiff.Options
    /// Pair removed and added images into renames.
    public var detectRenames: Bool
    /// Defaults: document defaults, renames detected.
    public init(document: DocumentDiff.Options = DocumentDiff.Options(), detectRenames: Bool = true) {
      self.document = document; self.detectRenames = detectRenames
    }
  }

  /// The diff of two revisions.
  public struct Outcome: Sendable, Equatable {
    /// Changed images, sorted by path.
    public var images: [ImageDiff]
    /// The label schema diff, nil if `annot.json` did not change.
    public var schema: SchemaDiff?
    /// Counts over `images`.
    public var summary: DiffSummary
    /// Creates an outcome and computes its summary.
    public init(images: [ImageDiff], schema: SchemaDiff? = nil) {
      self.images = images.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
      self.schema = schema
      self.summary = DiffSummary(images: self.images)
    }
  }

  /// Diffs the changed entries of two trees.
  ///
  /// - Parameters:
  ///   - changes: the changed entries (any order); entries outside images/, labels/ and annot.json are ignored.
  ///   - objects: reads the label documents and the manifest by blob id.
  ///   - imageByteSize: the size of an image blob; called only for replaced images.
  /// - Throws: `DiffError` when a changed document cannot be read or parsed.
  public static func compare(_ changes: [EntryChange], objects: some ObjectReading,
                             imageByteSize: (ObjectID) throws -> Int,
                             options: Options = Options()) throws(DiffError) -> Outcome {
    var imageEntries: [String: EntryChange] = [:], labelEntries: [String: EntryChange] = [:]
    var manifest: EntryChange?
    for c in changes {
      if c.path == DatasetPath.manifestEntry { manifest = c; continue }
      guard let p = DatasetPath.datasetPath(ofEntry: c.path) else { continue }
      if c.path.hasPrefix("images/") { imageEntries[p] = c } else { labelEntries[p] = c }
    }

    func read(_ e: String, _ id: ObjectID) throws(DiffError) -> [UInt8] {
      do { return try objects.blob(id) } catch { throw .unreadable(entry: e, blob: id, reason: "\(error)") }
    }
    @Sendable func decode(_ bytes: [UInt8]?, _ e: EntryChange?, old: Bool) throws(DiffError) -> LabelDocument? {
      guard let bytes, let e, let id = old ? e.oldBlob : e.newBlob else { return nil }
      do { return try LabelDocument.decode(bytes) } catch {
        throw .invalidDocument(entry: e.path, blob: id, error)
      }
    }

    var images: [ImageDiff] = []
    var removedSides: [Side] = [], addedSides: [Side] = []
    let paths = Set(imageEntries.keys).union(labelEntries.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    // A batch at a time, so memory holds two batches of document bytes: the blobs are read on
    // this thread (the object reader is not for concurrent use) while the previous batch is
    // decoded and compared on all cores, which is most of a large diff's time.
    typealias Bytes = (old: [UInt8]?, new: [UInt8]?, lab: EntryChange?, modified: Bool)
    let batchSize = 2048
    func readBatch(from s: Int) throws(DiffError) -> (batch: [String], bytes: [Bytes])? {
      guard s < paths.count else { return nil }
      let batch = Array(paths[s..<min(s + batchSize, paths.count)])
      var bytes: [Bytes] = []
      bytes.reserveCapacity(batch.count)
      for p in batch {
        let img = imageEntries[p], lab = labelEntries[p]
        let modified = img.map { $0.oldBlob != nil && $0.newBlob != nil } ?? true
        bytes.append((try lab?.oldBlob.map { id throws(DiffError) in try read(lab!.path, id) },
                      try lab?.newBlob.map { id throws(DiffError) in try read(lab!.path, id) }, lab, modified))
      }
      return (batch, bytes)
    }
    let documentOptions = options.document
    var start = 0
    var next = try readBatch(from: 0)
    while let (batch, bytes) = next {
      start += batch.count
      nonisolated(unsafe) let input = bytes
      // Results, not throws, so the first failure in path order is the one reported.
      let work: @Sendable (Int) -> Result<Decoded, DiffError> = { i in
        do throws(DiffError) {
          let b = input[i]
          let o = try decode(b.old, b.lab, old: true), n = try decode(b.new, b.lab, old: false)
          let labels = b.modified && b.lab != nil ? DocumentDiff.compare(old: o, new: n, options: documentOptions) : nil
          return .success(Decoded(old: o, new: n, labels: labels))
        } catch {
          return .failure(error)
        }
      }
      let pending = ParallelMap.Pending(Array(input.indices), work)
      // The next batch is read meanwhile; its read error comes after this batch's errors.
      var readFailure: DiffError?
      do { next = try readBatch(from: start) } catch { readFailure = error; next = nil }
      // `work` does not throw, so the map cannot fail; were it to, the batch is done here.
      let results = (try? pending.wait()) ?? input.indices.map(work)
      var decoded: [Decoded] = []
      decoded.reserveCapacity(results.count)
      for r in results { decoded.append(try r.get()) }
      for (k, p) in batch.enumerated() {
        let img = imageEntries[p], lab = labelEntries[p]
        let existedBefore = img.map { $0.oldBlob != nil } ?? true
        let existsAfter = img.map { $0.newBlob != nil } ?? true
        let oldDoc = decoded[k].old, newDoc = decoded[k].new
        if !existedBefore && !existsAfter { continue }
        if existedBefore && !existsAfter, let blob = img?.oldBlob {
          removedSides.append(Side(path: p, blob: blob, doc: lab == nil ? nil : oldDoc)); continue
        }
        if !existedBefore && existsAfter, let blob = img?.newBlob {
          addedSides.append(Side(path: p, blob: blob, doc: lab == nil ? nil : newDoc)); continue
        }
        var replaced: ImageDiff.Replacement?
        if let img, let o = img.oldBlob, let n = img.newBlob, o != n {
          do { replaced = .init(oldSize: try imageByteSize(o), newSize: try imageByteSize(n)) } catch {
            throw .unreadable(entry: img.path, blob: n, reason: "\(error)")
          }
        }
        let labels = decoded[k].labels ?? DocumentDiff.Outcome(oldImage: nil, newImage: nil)
        if replaced == nil && labels.isEmpty { continue }
        images.append(ImageDiff(path: p, status: .modified, replaced: replaced, labels: labels))
      }
      if let readFailure { throw readFailure }
    }

    // Renames: same image blob, labels equal once the path is set aside. Removed sides are
    // indexed by blob, so pairing costs what was added and removed, not their product.
    var usedRemoved = Set<Int>()
    var unpairedAdded: [Side] = []
    var removedByBlob: [ObjectID: [Int]] = [:]
    if options.detectRenames { for (k, r) in removedSides.enumerated() { removedByBlob[r.blob, default: []].append(k) } }
    for a in addedSides {
      var found: Int?
      if options.detectRenames {
        for k in removedByBlob[a.blob] ?? [] where !usedRemoved.contains(k) {
          if sameUpToPath(removedSides[k].doc, a.doc) { found = k; break }
        }
      }
      if let k = found {
        usedRemoved.insert(k)
        images.append(ImageDiff(path: a.path, oldPath: removedSides[k].path, status: .renamed,
                                labels: DocumentDiff.Outcome(oldImage: removedSides[k].doc?.image, newImage: a.doc?.image)))
      } else {
        unpairedAdded.append(a)
      }
    }
    for a in unpairedAdded {
      images.append(ImageDiff(path: a.path, status: .added, labels: DocumentDiff.compare(old: nil, new: a.doc, options: options.document)))
    }
    for (k, r) in removedSides.enumerated() where !usedRemoved.contains(k) {
      images.append(ImageDiff(path: r.path, status: .removed, labels: DocumentDiff.compare(old: r.doc, new: nil, options: options.document)))
    }

    var schema: SchemaDiff?
    if let m = manifest {
      func load(_ id: ObjectID?) throws(DiffError) -> DatasetManifest? {
        guard let id else { return nil }
        do { return try DatasetManifest.decode(try read(m.path, id)) } catch let d as DocumentError {
          throw .invalidDocument(entry: m.path, blob: id, d)
        } catch let d as DiffError { throw d } catch { throw .unreadable(entry: m.path, blob: id, reason: "\(error)") }
      }
      let s = SchemaDiff.compare(old: try load(m.oldBlob), new: try load(m.newBlob))
      schema = s.isEmpty ? nil : s
    }
    return Outcome(images: images, schema: schema)
  }

  /// One side of a possible rename.
  struct Side { var path: String; var blob: ObjectID; var doc: LabelDocument? }

  static func sameUpToPath(_ a: LabelDocument?, _ b: LabelDocument?) -> Bool {
    guard var a, let b else { return a == nil && b == nil }
    a.image.path = b.image.path
    return a == b
  }
}
