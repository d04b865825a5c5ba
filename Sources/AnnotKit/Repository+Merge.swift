import Foundation
import AnnotModel
import AnnotStore
import AnnotMerge

extension Repository {
  public struct MergeOptions: Sendable {
    public var noFastForward = false
    public var message: String?
    /// `-X ours|theirs`: settle every conflict one way.
    public var strategy: ConflictChoice?
    public init() {}
  }

  public enum MergeResult: Sendable {
    case upToDate
    case fastForward(ObjectID)
    case merged(ObjectID, notes: [String])
    /// Conflicts recorded; the stage holds the merge with ours kept for each conflict.
    case conflicts([LabelConflict], notes: [String])
  }

  /// The outcome of merging three trees.
  struct TreeMerge {
    var tree: ObjectID
    var conflicts: [LabelConflict]
    var notes: [String]
    var imagesChanged: Int
  }

  /// Merges `theirs` into `ours` against `base`, image by image and annotation by annotation.
  /// Costs in proportion to what changed: only paths that differ from the base on the side
  /// being merged in are visited, and only documents changed on both sides are parsed.
  func mergeTrees(base: ObjectID?, ours: ObjectID, theirs: ObjectID, strategy: ConflictChoice?) throws -> TreeMerge {
    // The caller holds the lock; the transaction writes merged blobs to a pack and the tree once.
    let tx = try StageTransaction(self, command: "merge", lock: false, allowDuringMerge: true, base: ours)
    let out: DatasetMerge.Outcome
    do {
      out = try DatasetMerge.merge(ours: try git.diffTrees(base, ours), theirs: try git.diffTrees(base, theirs), hasBase: base != nil,
                                   objects: git, options: DatasetMerge.Options(strategy: strategy))
    } catch let e as DatasetMerge.InvalidFile {
      throw AnnotError.invalidFile(file: e.file, place: e.place, message: e.message)
    }
    for (path, edit) in out.edits {
      switch edit {
      case .blob(let id): try tx.put(path, id)
      case .bytes(let bytes): try tx.put(path, try tx.writeBlob(bytes))
      }
    }
    let (conflicts, notes, touched) = (out.conflicts, out.notes, out.imagesTouched)
    return TreeMerge(tree: try tx.finish(record: false), conflicts: conflicts, notes: notes, imagesChanged: touched.count)
  }

  /// `annot merge REV`: fast-forward when possible, else a three-way label merge.
  public func merge(_ rev: String, options: MergeOptions = .init()) throws -> MergeResult {
    let _lock = try lockForWriting("merge")
    defer { withExtendedLifetime(_lock) {} }
    try refuseDuringMerge()
    guard let ours = try headCommit() else { throw AnnotError.unbornBranch(try currentBranch() ?? "HEAD") }
    let headTreeID = try git.commit(ours).tree
    if try stageTree() != headTreeID { throw AnnotError.stagedChanges("merging") }
    let theirs = try resolveCommit(rev)
    if try git.isAncestor(theirs, of: ours) { return .upToDate }
    let branchRef = try currentBranchRef()
    if try !options.noFastForward && git.isAncestor(ours, of: theirs) {
      if let branchRef { try git.updateReference(branchRef, to: theirs, expected: .some(ours), message: "merge \(rev): Fast-forward") } else { try git.setHeadDetached(theirs) }
      refMoved(to: theirs)
      return .fastForward(theirs)
    }
    let base = try git.mergeBase(ours, theirs)
    let out = try mergeTrees(base: try base.map { try git.commit($0).tree }, ours: headTreeID, theirs: try git.commit(theirs).tree, strategy: options.strategy)
    let isBranch = try git.references(prefix: "refs/heads/").contains { $0.name == "refs/heads/" + rev }
    let message = options.message ?? "Merge \(isBranch ? "branch" : "revision") '\(rev)'"
    if out.conflicts.isEmpty {
      let author = signature(role: "AUTHOR"), committer = signature(role: "COMMITTER")
      let id = try git.createCommit(tree: out.tree, parents: [ours, theirs], message: message + "\n", author: author, committer: committer)
      if let branchRef { try git.updateReference(branchRef, to: id, expected: .some(ours), message: "merge \(rev): Merge made by annot") } else { try git.setHeadDetached(id) }
      refMoved(to: id)
      return .merged(id, notes: out.notes)
    }
    try writeAtomically(conflictsFile, ConflictFile.encode(out.conflicts))
    try writeAtomically(layout.mergeMessage, Array((message + "\n").utf8))
    try writeAtomically(mergeHeadFile, Array((theirs.hex + "\n").utf8))
    try setStage(out.tree)
    return .conflicts(out.conflicts, notes: out.notes)
  }

  /// Conflicts of the merge in progress, decoded.
  public func conflicts() throws -> [LabelConflict] {
    guard let data = FileManager.default.contents(atPath: conflictsFile) else { return [] }
    return try ConflictFile.decode(Array(data))
  }

  /// Settles the conflicts of one image (or of `annot.json`), all of them or one annotation's.
  public func resolve(path userPath: String, choice: ConflictChoice, annotation: String? = nil) throws -> (resolved: Int, remaining: Int) {
    let _lock = try lockForWriting("resolve")
    defer { withExtendedLifetime(_lock) {} }
    guard isMerging else { throw AnnotError.noMergeInProgress }
    let all = try conflicts()
    let p = userPath == DatasetPath.manifestEntry ? userPath : datasetPath(fromUserPath: userPath)
    let mine = all.filter { $0.path == p && (annotation == nil || $0.annotationID == annotation) }
    if mine.isEmpty {
      throw AnnotError.other(annotation.map { "no unresolved conflict for annotation \($0) in \(userPath)" } ?? "no unresolved conflict in \(userPath)")
    }
    let tx = try StageTransaction(self, command: "resolve", lock: false, allowDuringMerge: true)
    if p == DatasetPath.manifestEntry {
      tx.manifest = try AnnotMerge.resolve(mine, inManifest: tx.manifest, choice: choice)
    } else {
      for c in mine where c.field == LabelConflict.imageBytesField {
        try tx.put(DatasetPath.imageEntry(p), c.value(choice)?.stringValue.flatMap(ObjectID.init(hex:)))
      }
      let docConflicts = mine.filter { $0.field != LabelConflict.imageBytesField }
      if !docConflicts.isEmpty {
        let out = try AnnotMerge.resolve(docConflicts, in: try tx.document(p), choice: choice)
        if let doc = out.document { try tx.put(DatasetPath.labelEntry(p), try tx.writeBlob(doc.canonicalBytes())) }
        else { try tx.put(DatasetPath.labelEntry(p), nil) }
      }
    }
    let remaining = all.filter { c in !mine.contains(c) }
    try tx.finish(keepStageFile: true)
    try writeAtomically(conflictsFile, ConflictFile.encode(remaining))
    return (mine.count, remaining.count)
  }

  /// During a merge the STAGE file must stay even if it equals HEAD's tree.
  func setStageKeepingFile(_ tree: ObjectID) throws {
    try writeAtomically(stageFile, Array((tree.hex + "\n").utf8))
  }

  /// `annot merge --continue`: commits the settled merge with both parents.
  public func mergeContinue(message: String? = nil) throws -> ObjectID {
    guard isMerging else { throw AnnotError.noMergeInProgress }
    let remaining = try conflicts().count
    if remaining > 0 { throw AnnotError.unresolvedConflicts(remaining) }
    let stored = (try? String(contentsOfFile: layout.mergeMessage, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    return try commit(CommitOptions(message: message ?? stored ?? "Merge"))
  }

  /// `annot merge --abort`: back to the state before the merge (the stage was clean then).
  public func mergeAbort() throws {
    let _lock = try lockForWriting("merge --abort")
    defer { withExtendedLifetime(_lock) {} }
    guard isMerging else { throw AnnotError.noMergeInProgress }
    try? FileManager.default.removeItem(atPath: stageFile)
    try clearMergeState()
  }

  /// Applies the change `rev` made (cherry-pick) or its inverse (revert) onto HEAD as a new
  /// commit, with the merge machinery: base = rev^ and theirs = rev, or the reverse.
  public func replay(_ rev: String, revert: Bool, strategy: ConflictChoice? = nil) throws -> MergeResult {
    let id = try resolveCommit(rev)
    let c = try git.commit(id)
    guard let parent = c.parents.first else { throw AnnotError.other("\(rev) has no parent to compare with") }
    let parentTree = try git.commit(parent).tree
    let out: TreeMerge
    do {
      let _lock = try lockForWriting(revert ? "revert" : "cherry-pick")
      defer { withExtendedLifetime(_lock) {} }
      try refuseDuringMerge()
      guard let head = try headTree() else { throw AnnotError.unbornBranch(try currentBranch() ?? "HEAD") }
      if try stageTree() != head { throw AnnotError.stagedChanges(revert ? "revert" : "cherry-pick") }
      out = revert ? try mergeTrees(base: c.tree, ours: head, theirs: parentTree, strategy: strategy)
                   : try mergeTrees(base: parentTree, ours: head, theirs: c.tree, strategy: strategy)
      if !out.conflicts.isEmpty {
        try writeAtomically(conflictsFile, ConflictFile.encode(out.conflicts))
        try writeAtomically(layout.mergeMessage, Array(((revert ? "Revert \"\(c.summary)\"" : c.summary) + "\n").utf8))
        // A replay in progress has no second parent; an empty MERGE_HEAD marks the state.
        try writeAtomically(mergeHeadFile, [])
        try setStageKeepingFile(out.tree)
        return .conflicts(out.conflicts, notes: out.notes)
      }
      try setStage(out.tree)
    }
    let message = revert ? "Revert \"\(c.summary)\"\n\nThis reverts commit \(id.hex).\n" : c.message
    let newID = try commit(CommitOptions(message: message))
    return .merged(newID, notes: out.notes)
  }
}

extension Repository {
  /// The three sides of each conflicted image of the merge in progress, for the review page.
  public struct ConflictSides: Sendable {
    public var path: String
    public var caption: String
    public var width: Int, height: Int
    public var base: [Annotation], ours: [Annotation], theirs: [Annotation]
    public var trees: (base: ObjectID?, ours: ObjectID?, theirs: ObjectID?)
    /// The unresolved conflicts of the image: the annotation each is about (nil: the image) and what it is.
    public var items: [(annotationID: String?, description: String)] = []
  }

  public func conflictSides() throws -> [ConflictSides] {
    guard isMerging, let theirs = try pendingMergeHead(), let ours = try headCommit() else { return [] }
    let base = try git.mergeBase(ours, theirs)
    let trees = (base: try base.map { try git.commit($0).tree }, ours: try git.commit(ours).tree, theirs: try git.commit(theirs).tree)
    var byPath: [String: [LabelConflict]] = [:]
    for c in try conflicts() where c.path != DatasetPath.manifestEntry { byPath[c.path, default: []].append(c) }
    return try byPath.keys.sorted().map { p in
      let docs = try [trees.base, trees.ours, trees.theirs].map { t in try t.flatMap { try document(in: $0, path: p) } }
      let any = docs.compactMap { $0 }.first
      let caption = byPath[p]!.map(\.description).joined(separator: "; ")
      return ConflictSides(path: p, caption: caption, width: any?.image.width ?? 0, height: any?.image.height ?? 0,
                           base: docs[0]?.annotations ?? [], ours: docs[1]?.annotations ?? [], theirs: docs[2]?.annotations ?? [],
                           trees: (trees.base, trees.ours, trees.theirs),
                           items: byPath[p]!.map { ($0.annotationID, $0.description) })
    }
  }
}
