import AnnotModel

/// Cherry-pick and revert are three-way merges with chosen bases, exactly as in git:
///
/// | operation            | base | ours | theirs |
/// |----------------------|------|------|--------|
/// | cherry-pick C → HEAD | C^   | HEAD | C      |
/// | revert C on HEAD     | C    | HEAD | C^     |
///
/// `MergeSides` picks the three inputs for any merged value (a document, a blob id, a manifest),
/// so the porcelain runs the same `mergeDocuments` / `mergeBlob` / `mergeManifests` for all three verbs.
public struct MergeSides<Value> {
  /// The merge base.
  public var base: Value
  /// Our side (HEAD).
  public var ours: Value
  /// Their side.
  public var theirs: Value
  /// The three inputs of a plain merge.
  public init(base: Value, ours: Value, theirs: Value) { self.base = base; self.ours = ours; self.theirs = theirs }

  /// Cherry-pick `picked` (whose parent is `pickedParent`) onto `head`: base C^, ours HEAD, theirs C.
  public static func cherryPick(picked: Value, pickedParent: Value, onto head: Value) -> MergeSides {
    MergeSides(base: pickedParent, ours: head, theirs: picked)
  }
  /// Revert `reverted` (whose parent is `revertedParent`) on `head`: base C, ours HEAD, theirs C^.
  public static func revert(reverted: Value, revertedParent: Value, on head: Value) -> MergeSides {
    MergeSides(base: reverted, ours: head, theirs: revertedParent)
  }
}

extension MergeSides: Sendable where Value: Sendable {}

/// Applies commit C's change to one document on top of HEAD's version (`annot cherry-pick`).
/// - Parameters: picked: the document in C; pickedParent: in C^; head: in HEAD.
public func cherryPickDocument(picked: LabelDocument?, pickedParent: LabelDocument?, onto head: LabelDocument?, path: String,
                               options: DocumentMerge.Options = .init()) throws(MergeError) -> DocumentMerge.Outcome {
  let s = MergeSides.cherryPick(picked: picked, pickedParent: pickedParent, onto: head)
  return try mergeDocuments(base: s.base, ours: s.ours, theirs: s.theirs, path: path, options: options)
}

/// Undoes commit C's change to one document on top of HEAD's version (`annot revert`).
/// - Parameters: reverted: the document in C; revertedParent: in C^; head: in HEAD.
public func revertDocument(reverted: LabelDocument?, revertedParent: LabelDocument?, on head: LabelDocument?, path: String,
                           options: DocumentMerge.Options = .init()) throws(MergeError) -> DocumentMerge.Outcome {
  let s = MergeSides.revert(reverted: reverted, revertedParent: revertedParent, on: head)
  return try mergeDocuments(base: s.base, ours: s.ours, theirs: s.theirs, path: path, options: options)
}
