import Foundation
import AnnotModel
import AnnotStore
import AnnotFormats

extension Repository {
  /// Stages an imported dataset: each imported image replaces that image's bytes and labels on
  /// the stage; images the import does not mention are kept. Annotation ids are re-attached to
  /// the stage's documents so a re-import shows moves and relabels, not removals and additions.
  ///
  /// Nothing is written unless everything was read: image files are read and packed into a
  /// temporary pack that is only moved into the object store once the whole import succeeded.
  public func stageImport(_ dataset: ImportedDataset, progress: ((Int, Int) -> Void)? = nil) throws -> StageOutcome {
    let _lock = try lockForWriting("import")
    defer { withExtendedLifetime(_lock) {} }
    try refuseDuringMerge()
    let stage = try stageTree()
    let oldManifest = try manifest(in: stage)
    let manifest = Self.mergeSchema(oldManifest, dataset.manifest)
    var out = StageOutcome()
    out.warnings = dataset.warnings
    let pack = try PackWriter(repository: git)
    // Documents go to a pack of their own: reading them back (index, diff, merge) then touches a
    // few megabytes instead of paging through the image pack.
    let docPack = try PackWriter(repository: git)
    var updates: [TreeUpdate] = []
    var seenPaths = Set<String>()
    // Images are read, hashed and framed on all cores, a batch at a time (memory stays bounded);
    // the pack itself is appended in order on this thread.
    // The next batch is prepared while this one is written.
    let batchSize = 64
    func start(_ n: Int) -> ParallelMap.Pending<PackWriter.Prepared>? {
      guard n < dataset.items.count else { return nil }
      let batch = dataset.items[n..<min(n + batchSize, dataset.items.count)].map { ($0.imageFile.path, $0.imageData) }
      return ParallelMap.Pending(batch) { try PackWriter.prepare($0.1 ?? readFile($0.0)) }
    }
    var pending = start(0)
    var prepared: [PackWriter.Prepared] = []
    for (n, item) in dataset.items.enumerated() {
      if n % batchSize == 0 {
        prepared = try pending!.wait()
        pending = start(n + batchSize)
      }
      var doc = item.document
      let p = doc.image.path
      if let why = DatasetPath.validate(p) { throw AnnotError.invalidPath(p, reason: why) }
      guard seenPaths.insert(p).inserted else { throw AnnotError.invalidPath(p, reason: "two imported images have this path") }
      let imageBlob = try pack.append(prepared[n % batchSize])
      let oldImage = try git.entry(tree: stage, path: DatasetPath.imageEntry(p))
      let parentDoc = try oldImage == nil ? nil : document(in: stage, path: p)
      doc = IdentityMatching.reattach(doc, parent: parentDoc)
      let docBytes = doc.canonicalBytes()
      let docBlob = try docPack.add(docBytes)
      let oldDoc = try git.entry(tree: stage, path: DatasetPath.labelEntry(p))
      out.annotations += doc.annotations.count
      if oldImage?.id == imageBlob && oldDoc?.id == docBlob {
        out.imagesUnchanged += 1
      } else {
        oldImage == nil ? (out.imagesAdded += 1) : (out.imagesUpdated += 1)
        out.paths.append(p)
        if oldImage?.id != imageBlob { updates.append(.upsert(path: DatasetPath.imageEntry(p), blob: imageBlob)) }
        if oldDoc?.id != docBlob { updates.append(.upsert(path: DatasetPath.labelEntry(p), blob: docBlob)) }
      }
      progress?(n + 1, dataset.items.count)
    }
    if try manifest != oldManifest || git.entry(tree: stage, path: DatasetPath.manifestEntry) == nil {
      updates.append(.upsert(path: DatasetPath.manifestEntry, blob: try docPack.add(manifest.canonicalBytes())))
    }
    try pack.finish()
    try docPack.finish()
    try setStage(try git.updateTree(stage, updates))
    return out
  }

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
