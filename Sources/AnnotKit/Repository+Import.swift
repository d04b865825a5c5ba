import Foundation
import AnnotModel
import AnnotMedia
import AnnotStore
import AnnotFormats

extension Repository {
  /// What `importDataset` did: the staging counts plus what was read.
  public struct ImportOutcome: Sendable {
    /// The format that read the source (the detected one for `auto`).
    public var format: String
    /// Images the source listed.
    public var imagesRead = 0
    public var stage = StageOutcome()
  }

  /// Imports a dataset in another format onto the stage, as `export` writes one: resolves the
  /// format (`auto` detects it), takes the writer lock, reads the stage once and streams the
  /// importer's batches into one `StageTransaction`, so memory holds one batch of documents.
  /// Each imported image replaces that image's bytes and labels on the stage; images the import
  /// does not mention are kept. Nothing is written unless everything was read.
  public func importDataset(from source: URL, format: String, imagesDirectory: URL? = nil,
                            progress: ((Int, Int) -> Void)? = nil) throws -> ImportOutcome {
    guard FileManager.default.fileExists(atPath: source.path) else {
      throw AnnotError.invalidFile(file: source.path, place: "", message: "no such file or directory")
    }
    let registry = FormatRegistry.builtIn
    let importer = format == "auto" ? try registry.detect(source) : try registry.importer(named: format)
    let tx = try StageTransaction(self, command: "import")
    let stager = ImportStager(self, tx, progress: progress)
    let options = ImportOptions(imagesDirectory: imagesDirectory, existingSchema: tx.manifest, conversions: stager.conversions,
                                headers: stager.headers)
    try importer.streamDataset(from: source, options: options, to: stager)
    try stager.finish()
    return ImportOutcome(format: importer.name, imagesRead: stager.imagesRead, stage: stager.out)
  }

  /// Bump when re-attaching, validation or the canonical encoding changes what an import writes:
  /// old memo entries then no longer match.
  static let importMemoVersion = 2

  /// The repository's schema extended by an imported one: known classes keep their ids and
  /// colours; new classes keep the id the source gave them when it is free, else the next free id.
  static func mergeSchema(_ existing: DatasetManifest, _ imported: DatasetManifest) -> DatasetManifest {
    var m = existing
    for c in imported.classes {
      if let i = m.classes.firstIndex(where: { $0.name == c.name }) {
        // Fill in what the repository did not know yet (keypoints, skeleton, attributes).
        if m.classes[i].keypoints.isEmpty { m.classes[i].keypoints = c.keypoints }
        if m.classes[i].skeleton.isEmpty { m.classes[i].skeleton = c.skeleton }
        if m.classes[i].supercategory == nil { m.classes[i].supercategory = c.supercategory }
        if m.classes[i].color == nil { m.classes[i].color = c.color }
        for a in c.attributes where !m.classes[i].attributes.contains(where: { $0.name == a.name }) { m.classes[i].attributes.append(a) }
        continue
      }
      var nc = c
      if m.labelClass(id: c.id) != nil { nc.id = (m.classes.map(\.id).max() ?? 0) + 1 }
      if nc.color == nil { nc.color = DatasetManifest.defaultColor(for: nc.name) }
      m.classes.append(nc)
    }
    for a in imported.attributes where !m.attributes.contains(where: { $0.name == a.name }) { m.attributes.append(a) }
    return DatasetManifest(classes: m.classes, attributes: m.attributes)
  }
}

/// The receiving end of a streamed import: each batch of images is staged as it arrives.
///
/// Image files whose stat data is unchanged since an earlier import are not read again (the stat
/// cache); the others are read, hashed and packed on all cores. Documents go a sub-batch at a
/// time: re-attaching ids, validating and encoding is a pure function of the imported document,
/// the parent's blob and the schema, remembered in the import memo, so a re-delivered image that
/// did not change costs one hash. For the others the parent documents are read here (libgit2
/// handles are not shared), then decoded, re-attached, validated, canonicalised and hashed on all
/// cores.
final class ImportStager: ImportSink {
  private let repo: Repository
  private let tx: StageTransaction
  private let progress: ((Int, Int) -> Void)?
  private let cache: StatCache
  private let memo: ObjectMemo
  /// What the importer's conversions gave, by source key (see `ConversionMemo`).
  let conversions: ConversionStore
  /// The stat cache answering importers' header probes for files that cannot have changed.
  let headers: HeaderStore
  private var schemaTag: [UInt8] = []
  private var seenPaths = Set<String>()
  private var total = 0
  private var began = false
  private(set) var imagesRead = 0
  private var staged = 0
  private(set) var out = Repository.StageOutcome()

  init(_ repo: Repository, _ tx: StageTransaction, progress: ((Int, Int) -> Void)?) {
    self.repo = repo; self.tx = tx; self.progress = progress
    cache = StatCache(path: repo.layout.statCache)
    memo = ObjectMemo(path: repo.layout.importMemo)
    conversions = ConversionStore(ObjectMemo(path: repo.layout.convertMemo))
    headers = HeaderStore(cache)
  }

  func begin(manifest: DatasetManifest, imageCount: Int?) throws {
    precondition(!began, "an import sink begins once")
    began = true
    tx.manifest = Repository.mergeSchema(tx.manifest, manifest)
    total = imageCount ?? 0
    let d = Digest.sha1()
    d.update(Array("annot import memo \(Repository.importMemoVersion)\u{0}".utf8))
    d.update(tx.manifest.canonicalBytes())
    schemaTag = d.finish()
  }

  func warn(_ warning: String) { out.warnings.append(warning) }

  func consume(_ items: [ImportedItem]) throws {
    precondition(began, "an import sink begins before the first batch")
    for item in items {
      let p = item.document.image.path
      if let why = DatasetPath.validate(p) { throw AnnotError.invalidPath(p, reason: why) }
      guard seenPaths.insert(p).inserted else { throw AnnotError.invalidPath(p, reason: "two imported images have this path") }
    }
    imagesRead += items.count
    total = max(total, imagesRead)
    let blobs = try imageBlobs(items)
    let batchSize = 512
    var n = 0
    while n < items.count {
      let batch = Array(items[n..<min(n + batchSize, items.count)])
      try stageDocuments(batch, imageBlobs: Array(blobs[n..<n + batch.count]))
      n += batch.count
    }
  }

  /// The blob id of each item's image: from the stat cache when the file cannot have changed,
  /// else read, hashed and packed.
  private func imageBlobs(_ items: [ImportedItem]) throws -> [ObjectID] {
    let files = items.map(\.imageFilePath)
    var blobs = [ObjectID?](repeating: nil, count: files.count)
    var stats = [StatCache.Stat?](repeating: nil, count: files.count)
    var toRead: [Int] = []
    for (i, f) in files.enumerated() {
      // The importer's stat when it probed the file (the header it gave goes with that stat).
      stats[i] = items[i].fileStat ?? StatCache.Stat.of(f)
      if let st = stats[i], let id = cache.lookup(f, st), repo.git.exists(id, refresh: false) {
        blobs[i] = id
        // An entry from before headers were kept learns the header the importer probed.
        if cache.header(f, st) == nil, let h = HeaderStore.encode(items[i].header) { cache.record(f, st, id, header: h) }
      } else {
        toRead.append(i)
      }
    }
    // Bytes a format embeds (LabelMe's imageData) stand in for their missing file.
    var embedded: [String: [UInt8]] = [:]
    for item in items { if let d = item.imageData { embedded[item.imageFilePath] = d } }
    let inline = embedded
    let cache = self.cache
    let headers = items.map { HeaderStore.encode($0.header) }
    try tx.images.addFiles(toRead.map { files[$0] }, read: { try inline[$0] ?? readFile($0) }) { k, id in
      let i = toRead[k]
      blobs[i] = id
      if let st = stats[i] { cache.record(files[i], st, id, header: headers[i]) }
    }
    return blobs.map { $0! }
  }

  private func stageDocuments(_ batch: [ImportedItem], imageBlobs: [ObjectID]) throws {
    struct Work: Sendable { var item: ImportedItem; var parent: [UInt8]?; var parentBlob: ObjectID? }
    struct Done: Sendable { var prepared: PackWriter.Prepared; var annotations: Int; var kept: Bool }
    let schema = tx.manifest, schemaTag = self.schemaTag
    // The base stage's entries of each image, read once (each read is a path lookup in a tree
    // of up to millions of entries) and handed to the transaction below.
    let base = try batch.map { item -> (image: ObjectID?, labels: ObjectID?) in
      let p = item.document.image.path
      return (try tx.image(p), try tx.labels(p))
    }
    let parents = base.map { $0.image == nil ? nil : $0.labels }
    // The SHA-1 of each imported document's canonical bytes: recorded by the importer for the
    // images whose conversion it skipped, computed for the others.
    let digests = try ParallelMap.map(Array(batch.indices)) { k -> ObjectID in
      if let s = batch[k].skipped { return s.digest }
      return Self.sha1(batch[k].document.canonicalBytes())
    }
    let keys = batch.indices.map { k in Self.memoKey(schemaTag, parent: parents[k], document: digests[k]) }
    let hits = keys.map { key in memo.lookup(key).flatMap { repo.git.exists($0, refresh: false) ? $0 : nil } }
    let misses = batch.indices.filter { hits[$0] == nil }
    let work = try misses.map { k in Work(item: batch[k], parent: try parents[k].map { try repo.git.blob($0) }, parentBlob: parents[k]) }
    let done = try ParallelMap.map(work) { w -> Done in
      // A skipped conversion is done now after all: its parent or the schema changed.
      let imported = try w.item.skipped?.convert() ?? w.item.document
      let parent = try w.parent.map { bytes -> LabelDocument in
        do { return try LabelDocument.decode(bytes) } catch let e as DocumentError {
          throw AnnotError.invalidFile(file: DatasetPath.labelEntry(imported.image.path), place: e.place, message: e.message)
        }
      }
      let doc = IdentityMatching.reattach(imported, parent: parent)
      return Done(prepared: try StageTransaction.prepare(doc, schema: schema), annotations: doc.annotations.count, kept: doc == imported)
    }
    var doneAt: [Int: Done] = [:]
    for (m, k) in misses.enumerated() { doneAt[k] = done[m] }
    for (k, item) in batch.enumerated() {
      let p = item.document.image.path
      let imageBlob = imageBlobs[k]
      let (oldImage, oldDoc) = base[k]
      let docBlob: ObjectID
      if let hit = hits[k] {
        docBlob = try tx.putDocumentBlob(p, hit, base: .some(oldDoc))
        // Re-attaching keeps the count.
        out.annotations += item.skipped?.annotations ?? item.document.annotations.count
      } else {
        docBlob = try tx.putPrepared(p, doneAt[k]!.prepared, base: .some(oldDoc))
        memo.record(keys[k], docBlob)
        // When re-attaching kept the imported document as it was (a first import, or ids that
        // already matched), the same document imported again onto the result gives the result:
        // its annotations pair with themselves, ids and all. Remembering that now means the
        // first re-delivery of an unchanged image costs one hash, not a decode and a match.
        if doneAt[k]!.kept, docBlob != parents[k] {
          memo.record(Self.memoKey(schemaTag, parent: docBlob, document: digests[k]), docBlob)
        }
        out.annotations += doneAt[k]!.annotations
      }
      if let source = item.sourceKey, item.skipped == nil {
        conversions.record(source, digest: digests[k], annotations: item.document.annotations.count)
      }
      try tx.putImage(p, imageBlob, base: .some(oldImage))
      if oldImage == imageBlob && oldDoc == docBlob {
        out.imagesUnchanged += 1
      } else {
        oldImage == nil ? (out.imagesAdded += 1) : (out.imagesUpdated += 1)
        out.paths.append(p)
      }
      staged += 1
      progress?(staged, total)
    }
  }

  static func sha1(_ bytes: [UInt8]) -> ObjectID {
    let d = Digest.sha1()
    d.update(bytes)
    return ObjectID(bytes: d.finish())
  }

  /// The import memo's key: what the result of staging a document (by the SHA-1 of its
  /// canonical bytes) onto `parent` depends on.
  static func memoKey(_ schemaTag: [UInt8], parent: ObjectID?, document: ObjectID) -> ObjectID {
    let h = Digest.sha1()
    h.update(schemaTag)
    h.update(parent?.bytes ?? [UInt8](repeating: 0, count: 20))
    h.update(document.bytes)
    return ObjectID(bytes: h.finish())
  }

  /// Writes the stage, then the caches (they only ever describe objects that exist).
  func finish() throws {
    if !began { try begin(manifest: DatasetManifest(), imageCount: 0) }
    try tx.finish()
    out.paths.sort()
    cache.save()
    memo.save()
    conversions.memo.save()
  }
}

/// The conversion memo on disk: an `ObjectMemo` whose entries map a source key to the digest of
/// the canonical document, and a derived key to the annotation count (in a value's first 8 bytes).
/// Read from the importer's worker threads; recorded on the importing thread between batches.
final class ConversionStore: ConversionMemo, @unchecked Sendable {
  let memo: ObjectMemo
  init(_ memo: ObjectMemo) { self.memo = memo }
  private static func countKey(_ source: ObjectID) -> ObjectID {
    ImportStager.sha1(Array("annotation count\u{0}".utf8) + source.bytes)
  }
  func converted(_ source: ObjectID) -> (digest: ObjectID, annotations: Int)? {
    guard let digest = memo.lookup(source), let count = memo.lookup(Self.countKey(source)) else { return nil }
    return (digest, count.bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) })
  }
  func record(_ source: ObjectID, digest: ObjectID, annotations: Int) {
    memo.record(source, digest)
    memo.record(Self.countKey(source), ObjectID(bytes: (0..<20).map { $0 < 8 ? UInt8(truncatingIfNeeded: annotations >> (8 * $0)) : 0 }))
  }
}

/// Image headers from the stat cache, for importers: a file whose stat data equals the recorded
/// one has the header recorded with it, so a re-delivery does not open unchanged files to probe
/// them. The media type is kept as a code (0 = none recorded).
final class HeaderStore: HeaderCache, @unchecked Sendable {
  static let mediaTypes = ["image/jpeg", "image/png", "image/bmp", "image/gif", "image/webp", "image/tiff"]
  private let cache: StatCache
  init(_ cache: StatCache) { self.cache = cache }

  func header(forFile path: String, stat st: FileStat) -> ImageInfo? {
    guard let h = cache.header(path, st), Int(h.media) <= Self.mediaTypes.count else { return nil }
    return ImageInfo(width: Int(h.width), height: Int(h.height), mediaType: Self.mediaTypes[Int(h.media) - 1], bitDepth: Int(h.bitDepth))
  }

  static func encode(_ info: ImageInfo?) -> StatCache.Header? {
    guard let info, let k = mediaTypes.firstIndex(of: info.mediaType),
          let w = UInt32(exactly: info.width), let h = UInt32(exactly: info.height), let d = UInt8(exactly: info.bitDepth) else { return nil }
    return StatCache.Header(width: w, height: h, media: UInt8(k + 1), bitDepth: d)
  }
}
