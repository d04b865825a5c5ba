import Foundation
import AnnotModel
import AnnotStore

/// One change of the stage, used by every command that stages: add, import, rm, mv, split,
/// resolve and merge.
///
/// It takes the writer lock, reads the stage tree once (a `TreeReader`: each directory parsed
/// once, lookups by bisection), validates every document one way (`DocumentValidation` against
/// the schema the stage will have), and finishes once: new blobs go into two packs (images, and
/// documents apart so reading labels never pages through image bytes), which move into the object
/// store only when everything was read; then one `updateTree` call writes the new
/// tree (large folders split into buckets, FanOut) and `STAGE` is replaced atomically. Anything thrown before `finish()` leaves the
/// repository exactly as it was (the temporary packs are deleted).
final class StageTransaction {
  let repo: Repository
  private let lock: RepositoryLock?
  /// The stage tree this transaction started from.
  let base: ObjectID
  let tree: TreeReader
  /// The schema the new stage will have; callers may extend it.
  var manifest: DatasetManifest
  private let baseManifest: DatasetManifest
  private let hadManifest: Bool
  /// Pending edits by tree path; a later edit of the same path replaces an earlier one.
  private var updates: [String: TreeUpdate] = [:]
  let images: PackWriter
  private let docs: PackWriter
  /// Tree paths touched, in the order they were first touched.
  private(set) var order: [String] = []
  private var documentsPut = false

  /// Starts a transaction for `command`. `lock: false` is for callers that already hold it.
  init(_ repo: Repository, command: String, lock: Bool = true, allowDuringMerge: Bool = false, base: ObjectID? = nil) throws {
    self.repo = repo
    self.lock = lock ? try repo.lockForWriting(command) : nil
    if !allowDuringMerge { try repo.refuseDuringMerge() }
    self.base = try base ?? repo.stageTree()
    tree = try TreeReader(repo.git, root: self.base)
    if let e = try tree.blob(DatasetPath.manifestEntry) {
      do {
        let bytes = try repo.git.blob(e)
        baseManifest = try DatasetManifest.decode(bytes)
      } catch let error as DocumentError {
        throw AnnotError.invalidFile(file: DatasetPath.manifestEntry, place: error.place, message: error.message)
      }
      hadManifest = true
    } else {
      baseManifest = DatasetManifest()
      hadManifest = false
    }
    manifest = baseManifest
    images = try PackWriter(repository: repo.git, tmpDir: repo.layout.tmp)
    docs = try PackWriter(repository: repo.git, tmpDir: repo.layout.tmp)
  }

  // MARK: Reading the base stage

  func image(_ p: String) throws -> ObjectID? { try tree.blob(DatasetPath.imageEntry(p)) }
  func labels(_ p: String) throws -> ObjectID? { try tree.blob(DatasetPath.labelEntry(p)) }
  func document(_ p: String) throws -> LabelDocument? {
    guard let id = try labels(p) else { return nil }
    return try repo.decodeDocument(id, path: DatasetPath.labelEntry(p))
  }

  // MARK: Editing

  private func set(_ path: String, _ u: TreeUpdate) {
    if updates.updateValue(u, forKey: path) == nil { order.append(path) }
  }

  /// Stages `blob` as the bytes of image `p` (a no-op if the stage already has them).
  /// `base` is the base stage's blob for the image when the caller already read it (`image(p)`).
  func putImage(_ p: String, _ blob: ObjectID, base: ObjectID?? = nil) throws {
    try put(DatasetPath.imageEntry(p), blob, base: base)
  }

  /// Validates `doc` against the schema and stages it as image `doc.image.path`'s labels;
  /// returns its blob id. `file` names the source in errors (default: the tree path).
  @discardableResult
  func putDocument(_ doc: LabelDocument, file: String? = nil) throws -> ObjectID {
    try putPrepared(doc.image.path, Self.prepare(doc, schema: manifest, file: file))
  }

  /// The one validation every staged document passes, then its canonical bytes framed for the
  /// pack. Pure, so callers staging many documents run it on all cores and `putPrepared` in order.
  static func prepare(_ doc: LabelDocument, schema: DatasetManifest, file: String? = nil) throws -> PackWriter.Prepared {
    if let problem = DocumentValidation.problems(doc, schema: schema).first {
      throw AnnotError.invalidFile(file: file ?? DatasetPath.labelEntry(doc.image.path),
                                   place: problem.annotationID.map { "annotation \($0)" } ?? "", message: problem.message)
    }
    return try PackWriter.prepare(doc.canonicalBytes(), level: Self.documentCompression)
  }

  /// Stages a document made ready by `prepare` as the labels of image `p`; returns its blob id.
  @discardableResult
  func putPrepared(_ p: String, _ prepared: PackWriter.Prepared, base: ObjectID?? = nil) throws -> ObjectID {
    let path = DatasetPath.labelEntry(p)
    let id = try docs.append(prepared)
    documentsPut = true
    if updates[path] == nil, try (base ?? tree.blob(path)) == id { return id }
    set(path, .upsert(path: path, blob: id))
    return id
  }

  /// Stages a document blob already in the store (one `prepare` made before) as image `p`'s labels.
  @discardableResult
  /// `base` is the base stage's blob for the labels when the caller already read it (`labels(p)`).
  func putDocumentBlob(_ p: String, _ id: ObjectID, base: ObjectID?? = nil) throws -> ObjectID {
    documentsPut = true
    try put(DatasetPath.labelEntry(p), id, base: base)
    return id
  }

  /// Stages a raw edit at a tree path (merge, resolve); removals of absent paths are dropped.
  /// `base` is the base stage's blob at `path` when the caller already read it.
  func put(_ path: String, _ blob: ObjectID?, base: ObjectID?? = nil) throws {
    if let blob {
      if updates[path] == nil, try (base ?? tree.blob(path)) == blob { return }
      set(path, .upsert(path: path, blob: blob))
    } else if try updates[path] != nil || tree.entry(path) != nil {
      set(path, .remove(path: path))
    }
  }

  /// Writes a small blob (a merged document or manifest) into the documents pack.
  func writeBlob(_ bytes: [UInt8]) throws -> ObjectID { try docs.add(bytes, level: Self.documentCompression) }

  /// zlib level of documents in the pack: JSON shrinks about fourfold at level 1, and the work
  /// runs on all cores in `prepare` (level 0, as for images, made the store three times git's).
  static let documentCompression: Int32 = 1

  /// Removes image `p` and its labels from the stage (whichever of the two exist).
  func remove(_ p: String) throws {
    try put(DatasetPath.imageEntry(p), nil)
    try put(DatasetPath.labelEntry(p), nil)
  }

  // MARK: Finishing

  /// Moves the new objects into the store and writes the new stage tree; returns it.
  /// With `record: false` the tree is written but `STAGE` is left to the caller (merge).
  @discardableResult
  func finish(record: Bool = true, keepStageFile: Bool = false) throws -> ObjectID {
    // A changed schema is written; so is a first one, when documents arrive in a tree without any.
    if manifest != baseManifest || (!hadManifest && documentsPut && updates[DatasetPath.manifestEntry] == nil)
        || (baseManifest.version < DatasetManifest.currentVersion && !updates.isEmpty && updates[DatasetPath.manifestEntry] == nil) {
      // An older manifest (version 1 promises no large-folder buckets) is rewritten as current by
      // the first transaction that changes anything, since the tree it writes may split a folder.
      manifest.version = DatasetManifest.currentVersion
      set(DatasetPath.manifestEntry, .upsert(path: DatasetPath.manifestEntry, blob: try docs.add(manifest.canonicalBytes(), level: Self.documentCompression)))
    }
    try images.finish()
    try docs.finish()
    // Removals of paths that an earlier edit of this transaction added are dropped with them.
    var edits = order.compactMap { p -> TreeUpdate? in
      guard let u = updates[p] else { return nil }
      if case .remove = u, (try? tree.entry(p)) == nil { return nil }
      return u
    }
    // The table of edits by path is not needed past this point; at 1M images it is hundreds of
    // megabytes that writing the tree would otherwise hold on top of its own.
    updates = [:]; order = []
    let newTree = try repo.git.updateTree(base, edits)
    edits = []
    if record { keepStageFile ? try repo.setStageKeepingFile(newTree) : try repo.setStage(newTree) }
    withExtendedLifetime(lock) {}
    return newTree
  }
}
