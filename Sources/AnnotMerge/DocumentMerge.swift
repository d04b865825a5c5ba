import AnnotModel

/// Options and outcome of `mergeDocuments`.
public enum DocumentMerge {
  /// How `mergeDocuments` decides.
  public struct Options: Sendable, Equatable {
    /// Two annotations added on both sides under different ids are one object when they have the
    /// same label and shape kind and their bounding boxes overlap at least this much (IoU, 0…1).
    public var sameObjectIoU: Double
    /// `-X ours` / `-X theirs`: settle every conflict that way instead of reporting it.
    public var strategy: ConflictChoice?
    /// Default options: IoU 0.9, no strategy.
    public init(sameObjectIoU: Double = 0.9, strategy: ConflictChoice? = nil) {
      self.sameObjectIoU = sameObjectIoU; self.strategy = strategy
    }
  }

  /// What a document merge produced.
  public struct Outcome: Sendable, Equatable {
    /// The merged document; nil when the image is deleted. Conflicting fields hold OUR value.
    public var merged: LabelDocument?
    /// Conflicts still open, in a stable order: document, image fields, then annotations by id.
    public var conflicts: [LabelConflict]
    /// Things the merge decided that a user may want to know (duplicates dropped, strategy used).
    public var notes: [String]
    /// Conflicts that `Options.strategy` settled (empty without a strategy).
    public var settled: [LabelConflict]
    /// Makes an outcome.
    public init(merged: LabelDocument?, conflicts: [LabelConflict], notes: [String] = [], settled: [LabelConflict] = []) {
      self.merged = merged; self.conflicts = conflicts; self.notes = notes; self.settled = settled
    }
  }
}

/// Three-way merge of one image's label document, per annotation id and per field.
///
/// - Parameters:
///   - base: the document at the merge base (nil: the image did not exist there).
///   - ours: our document (HEAD; nil: deleted or never added on our side).
///   - theirs: their document (the branch merged in).
///   - path: the image's dataset path, used in conflicts and notes.
///   - options: same-object threshold and `-X` strategy.
/// - Returns: the merged document (nil if the image ends up deleted), open conflicts and notes.
/// - Throws: `MergeError.invalidOption` for a threshold outside 0…1.
///
/// ### Rules (each field alone: `label`, `geometry`, every `attributes.<key>`, `score`, `z_order`,
/// `group`, `crowd`, `source_id`; image `width`, `height`, `media_type`, `split`, `source_id`, every
/// image attribute)
/// - changed on one side only → take the change; the same change on both → take it once;
/// - changed differently on both → `modify/modify` conflict, merged keeps ours;
/// - annotation deleted on one side and changed on the other → `delete/modify`, merged keeps ours
///   (present or absent); deleted on both → deleted; added on one side → added;
/// - same id added on both: identical → once, different → `add/add` (ours kept);
/// - different ids added on both for the same object (see `Options.sameObjectIoU`) → ours kept, a note;
/// - document deleted on one side and changed on the other → one document-level `delete/modify`
///   conflict (no annotation id, no field; values are whole documents); a document added on both
///   sides is merged against an empty base.
///
/// ### Relation to git
/// Git merges a document as lines; this merges it as labels, so "moved" on one side and "relabeled"
/// on the other both apply even though they touch the same line of the canonical file.
public func mergeDocuments(base: LabelDocument?, ours: LabelDocument?, theirs: LabelDocument?, path: String,
                           options: DocumentMerge.Options = .init()) throws(MergeError) -> DocumentMerge.Outcome {
  guard options.sameObjectIoU >= 0, options.sameObjectIoU <= 1 else {
    throw .invalidOption("sameObjectIoU must be within 0...1, got \(options.sameObjectIoU)")
  }
  var outcome = try mergeDocumentsKeepingConflicts(base: base, ours: ours, theirs: theirs, path: path, options: options)
  if let choice = options.strategy, !outcome.conflicts.isEmpty {
    let settled = try resolve(outcome.conflicts, in: outcome.merged, choice: choice)
    outcome.notes.append("image \(path): settled \(outcome.conflicts.count) conflict(s) with -X \(choice.rawValue)")
    outcome.settled = outcome.conflicts
    outcome.conflicts = settled.remaining
    outcome.merged = settled.document
  }
  return outcome
}

func mergeDocumentsKeepingConflicts(base: LabelDocument?, ours: LabelDocument?, theirs: LabelDocument?, path: String,
                                    options: DocumentMerge.Options) throws(MergeError) -> DocumentMerge.Outcome {
  // Trivial cases first: most documents of a large merge end here without any field work.
  if ours == theirs { return .init(merged: ours, conflicts: []) }
  if base == ours { return .init(merged: theirs, conflicts: []) }
  if base == theirs { return .init(merged: ours, conflicts: []) }
  guard let ours, let theirs else {
    // Deleted on one side, changed on the other (both-deleted was `ours == theirs`).
    return .init(merged: ours, conflicts: [LabelConflict(path: path, kind: .deleteModify, base: base?.json,
                                                         ours: ours?.json, theirs: theirs?.json)])
  }
  // Both present and different; `base` may be nil (added on both sides): merge against empty.
  var conflicts: [LabelConflict] = []
  var notes: [String] = []

  let image = ThreeWay.mergeFields(ImageFields.flatten(base), ImageFields.flatten(ours), ImageFields.flatten(theirs),
                                   order: ImageFields.order)
  let bi = ImageFields.flatten(base), oi = ImageFields.flatten(ours), ti = ImageFields.flatten(theirs)
  for (field, kind) in image.conflicts {
    conflicts.append(LabelConflict(path: path, field: field, kind: kind, base: bi[field], ours: oi[field], theirs: ti[field]))
  }

  var byID: [String: (b: Annotation?, o: Annotation?, t: Annotation?)] = [:]
  for a in base?.annotations ?? [] { byID[a.id, default: (nil, nil, nil)].b = a }
  for a in ours.annotations { byID[a.id, default: (nil, nil, nil)].o = a }
  for a in theirs.annotations { byID[a.id, default: (nil, nil, nil)].t = a }

  var merged: [Annotation] = []
  var addedByOurs: [Annotation] = [], addedByTheirs: [Annotation] = []
  for id in byID.keys.sorted(by: utf8Less) {
    let (b, o, t) = byID[id]!
    if o == t { if let o { merged.append(o) }; continue }
    if b == o { if let t { merged.append(t); if b == nil { addedByTheirs.append(t) } }; continue }
    if b == t { if let o { merged.append(o); if b == nil { addedByOurs.append(o) } }; continue }
    guard let o, let t else {
      conflicts.append(LabelConflict(path: path, annotationID: id, kind: .deleteModify, base: b?.json, ours: o?.json, theirs: t?.json))
      if let o { merged.append(o) }
      continue
    }
    guard let b else {
      conflicts.append(LabelConflict(path: path, annotationID: id, kind: .addAdd, base: nil, ours: o.json, theirs: t.json))
      merged.append(o)
      continue
    }
    let fb = AnnotationFields.flatten(b), fo = AnnotationFields.flatten(o), ft = AnnotationFields.flatten(t)
    let fields = ThreeWay.mergeFields(fb, fo, ft, order: AnnotationFields.order)
    for (field, kind) in fields.conflicts {
      conflicts.append(LabelConflict(path: path, annotationID: id, field: field, kind: kind, base: fb[field], ours: fo[field], theirs: ft[field]))
    }
    merged.append(try AnnotationFields.build(fields.merged, id: id, path: path))
  }

  // Both sides drew the same new object under different ids: keep ours, drop theirs.
  let same = SameObject.pairs(ours: addedByOurs, theirs: addedByTheirs, threshold: options.sameObjectIoU)
  if !same.isEmpty {
    let dropped = Set(same.map(\.theirs.id))
    merged.removeAll { dropped.contains($0.id) }
    for p in same {
      let how = p.ours.shape.kind == "tag" ? "tag" : "box IoU \(CanonicalJSON.number((p.iou * 1000).rounded() / 1000))"
      notes.append("image \(path): annotations \(p.ours.id) (ours) and \(p.theirs.id) (theirs) were both added for the same \(p.ours.label) (\(how)); kept \(p.ours.id)")
    }
  }

  let doc = try ImageFields.build(image.merged, annotations: merged, path: path)
  return .init(merged: doc, conflicts: conflicts, notes: notes)
}
