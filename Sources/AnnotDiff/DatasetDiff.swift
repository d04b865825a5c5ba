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

/// Semantic diff of two revisions of a dataset, from the entries git's tree diff reports.
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
    func document(_ e: EntryChange?, old: Bool) throws(DiffError) -> LabelDocument? {
      guard let e, let id = old ? e.oldBlob : e.newBlob else { return nil }
      do { return try LabelDocument.decode(try read(e.path, id)) } catch let d as DocumentError {
        throw .invalidDocument(entry: e.path, blob: id, d)
      } catch let d as DiffError { throw d } catch { throw .unreadable(entry: e.path, blob: id, reason: "\(error)") }
    }

    var images: [ImageDiff] = []
    var removedSides: [Side] = [], addedSides: [Side] = []
    let paths = Set(imageEntries.keys).union(labelEntries.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    for p in paths {
      let img = imageEntries[p], lab = labelEntries[p]
      let existedBefore = img.map { $0.oldBlob != nil } ?? true
      let existsAfter = img.map { $0.newBlob != nil } ?? true
      let oldDoc = try document(lab, old: true), newDoc = try document(lab, old: false)
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
      let labels = lab == nil ? DocumentDiff.Outcome(oldImage: nil, newImage: nil)
        : DocumentDiff.compare(old: oldDoc, new: newDoc, options: options.document)
      if replaced == nil && labels.isEmpty { continue }
      images.append(ImageDiff(path: p, status: .modified, replaced: replaced, labels: labels))
    }

    // Renames: same image blob, labels equal once the path is set aside.
    var usedRemoved = Set<Int>()
    var unpairedAdded: [Side] = []
    for a in addedSides {
      var found: Int?
      if options.detectRenames {
        for (k, r) in removedSides.enumerated() where !usedRemoved.contains(k) && r.blob == a.blob {
          if sameUpToPath(r.doc, a.doc) { found = k; break }
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
