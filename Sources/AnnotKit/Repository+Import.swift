import Foundation
import AnnotModel
import AnnotStore
import AnnotFormats

extension Repository {
  /// Stages an imported dataset: each imported image replaces that image's bytes and labels on
  /// the stage; images the import does not mention are kept. Annotation ids are re-attached to
  /// the stage's documents so a re-import shows moves and relabels, not removals and additions.
  ///
  /// One `StageTransaction`: nothing is written unless everything was read. Image files are read,
  /// hashed and packed on all cores; files whose stat data matches the stat cache are not read.
  public func stageImport(_ dataset: ImportedDataset, progress: ((Int, Int) -> Void)? = nil) throws -> StageOutcome {
    let tx = try StageTransaction(self, command: "import")
    tx.manifest = Self.mergeSchema(tx.manifest, dataset.manifest)
    var out = StageOutcome()
    out.warnings = dataset.warnings
    var seenPaths = Set<String>()
    for item in dataset.items {
      let p = item.document.image.path
      if let why = DatasetPath.validate(p) { throw AnnotError.invalidPath(p, reason: why) }
      guard seenPaths.insert(p).inserted else { throw AnnotError.invalidPath(p, reason: "two imported images have this path") }
    }
    // Images whose stat data is unchanged since an earlier import are not read again.
    let cache = StatCache(path: stateDir + "/stat-cache")
    let files = dataset.items.map { $0.imageFile.path }
    var blobs = [ObjectID?](repeating: nil, count: files.count)
    var stats = [StatCache.Stat?](repeating: nil, count: files.count)
    var toRead: [Int] = []
    for (i, f) in files.enumerated() {
      stats[i] = StatCache.Stat.of(f)
      if let st = stats[i], let id = cache.lookup(f, st), git.exists(id, refresh: false) { blobs[i] = id } else { toRead.append(i) }
    }
    // Bytes a format embeds (LabelMe's imageData) stand in for their missing file.
    var embedded: [String: [UInt8]] = [:]
    for item in dataset.items { if let d = item.imageData { embedded[item.imageFile.path] = d } }
    let inline = embedded
    try tx.images.addFiles(toRead.map { files[$0] }, read: { try inline[$0] ?? readFile($0) }) { k, id in
      let i = toRead[k]
      blobs[i] = id
      if let st = stats[i] { cache.record(files[i], st, id) }
    }
    // Documents a batch at a time. Re-attaching ids, validating and encoding is a pure function of
    // the imported document, the parent's blob and the schema, remembered in the import memo: a
    // re-delivered image that did not change costs one hash. For the others the parent documents
    // are read here (libgit2 handles are not shared), then decoded, re-attached, validated,
    // canonicalised and hashed on all cores.
    struct Work: Sendable { var doc: LabelDocument; var parent: [UInt8]?; var parentBlob: ObjectID? }
    struct Done: Sendable { var prepared: PackWriter.Prepared; var annotations: Int }
    let schema = tx.manifest
    let memo = ObjectMemo(path: stateDir + "/import-memo")
    let d = Digest.sha1()
    d.update(Array("annot import memo \(Self.importMemoVersion)\u{0}".utf8))
    d.update(schema.canonicalBytes())
    let schemaTag = d.finish()
    let batchSize = 512
    var n = 0
    while n < dataset.items.count {
      let batch = Array(dataset.items[n..<min(n + batchSize, dataset.items.count)])
      let parents = try batch.map { item -> ObjectID? in
        let p = item.document.image.path
        return try tx.image(p) == nil ? nil : try tx.labels(p)
      }
      let keys = try ParallelMap.map(Array(batch.indices)) { k -> ObjectID in
        let h = Digest.sha1()
        h.update(schemaTag)
        h.update(parents[k]?.bytes ?? [UInt8](repeating: 0, count: 20))
        h.update(batch[k].document.canonicalBytes())
        return ObjectID(bytes: h.finish())
      }
      let hits = keys.map { key in memo.lookup(key).flatMap { git.exists($0, refresh: false) ? $0 : nil } }
      let misses = batch.indices.filter { hits[$0] == nil }
      let work = try misses.map { k in Work(doc: batch[k].document, parent: try parents[k].map { try git.blob($0) }, parentBlob: parents[k]) }
      let done = try ParallelMap.map(work) { w -> Done in
        let parent = try w.parent.map { bytes -> LabelDocument in
          do { return try LabelDocument.decode(bytes) } catch let e as DocumentError {
            throw AnnotError.invalidFile(file: DatasetPath.labelEntry(w.doc.image.path), place: e.place, message: e.message)
          }
        }
        let doc = IdentityMatching.reattach(w.doc, parent: parent)
        return Done(prepared: try StageTransaction.prepare(doc, schema: schema), annotations: doc.annotations.count)
      }
      var doneAt: [Int: Done] = [:]
      for (m, k) in misses.enumerated() { doneAt[k] = done[m] }
      for (k, item) in batch.enumerated() {
        let p = item.document.image.path
        let imageBlob = blobs[n + k]!
        let oldImage = try tx.image(p)
        let oldDoc = try tx.labels(p)
        let docBlob: ObjectID
        if let hit = hits[k] {
          docBlob = try tx.putDocumentBlob(p, hit)
          out.annotations += item.document.annotations.count   // re-attaching keeps the count
        } else {
          docBlob = try tx.putPrepared(p, doneAt[k]!.prepared)
          memo.record(keys[k], docBlob)
          out.annotations += doneAt[k]!.annotations
        }
        try tx.putImage(p, imageBlob)
        if oldImage == imageBlob && oldDoc == docBlob {
          out.imagesUnchanged += 1
        } else {
          oldImage == nil ? (out.imagesAdded += 1) : (out.imagesUpdated += 1)
          out.paths.append(p)
        }
        progress?(n + k + 1, dataset.items.count)
      }
      n += batch.count
    }
    try tx.finish()
    cache.save()
    memo.save()
    return out
  }

  /// Bump when re-attaching, validation or the canonical encoding changes what an import writes:
  /// old memo entries then no longer match.
  static let importMemoVersion = 1

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
