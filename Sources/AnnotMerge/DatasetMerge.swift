import AnnotModel

/// The merge of two whole revisions, tree entry by tree entry, beside the tree diff in AnnotDiff:
/// pure over the tree changes of each side against the base and an `ObjectReading`, so it runs
/// without libgit2 (AnnotKit hands in the changes and applies the edits). Per path, changed on
/// their side only (or the same change on both): theirs; changed on both: `annot.json` by
/// `mergeManifests`, image bytes by `mergeBlob`, label documents by `mergeDocuments`, any other
/// file a conflict (git's rule). Case tables: Docs/MERGE.md.
public enum DatasetMerge {
  public struct Options: Sendable, Equatable {
    /// `-X ours` / `-X theirs`: settle every conflict that way.
    public var strategy: ConflictChoice?
    public init(strategy: ConflictChoice? = nil) { self.strategy = strategy }
  }

  /// What to do to one path of our tree.
  public enum Edit: Sendable, Equatable {
    /// Point the path at this blob (nil: remove it).
    case blob(ObjectID?)
    /// Write these bytes as a new blob (a merged document or manifest) and point the path at it.
    case bytes([UInt8])
  }

  public struct Outcome: Sendable, Equatable {
    /// Edits to our tree, in the order of their changes.
    public var edits: [(path: String, edit: Edit)] = []
    public var conflicts: [LabelConflict] = []
    public var notes: [String] = []
    /// Dataset paths of the images the merge looked at.
    public var imagesTouched: Set<String> = []
    public static func == (a: Outcome, b: Outcome) -> Bool {
      a.edits.map(\.path) == b.edits.map(\.path) && a.edits.map(\.edit) == b.edits.map(\.edit)
        && a.conflicts == b.conflicts && a.notes == b.notes && a.imagesTouched == b.imagesTouched
    }
  }

  /// A document or manifest that does not parse: the entry's path and the place inside it.
  public struct InvalidFile: Error, Sendable, Equatable {
    public var file: String
    public var place: String
    public var message: String
  }

  /// Merges `theirs` (their changes against the base) into `ours` (ours against the same base).
  /// `hasBase`: whether there is a merge base at all (no base: the schemas merge without one).
  public static func merge(ours: [EntryChange], theirs: [EntryChange], hasBase: Bool, objects: any ObjectReading,
                           options: Options = .init()) throws -> Outcome {
    var ourByPath: [String: EntryChange] = [:]
    for c in ours { ourByPath[c.path] = c }
    var out = Outcome()
    func decode<T>(_ id: ObjectID?, _ path: String, _ body: ([UInt8]) throws -> T) throws -> T? {
      guard let id else { return nil }
      do { return try body(objects.blob(id)) } catch let e as DocumentError {
        throw InvalidFile(file: path, place: e.place, message: e.message)
      }
    }
    for c in theirs {
      let mine = ourByPath[c.path]
      // Changed only on their side, or the same change on both: take theirs.
      guard let mine, mine.newBlob != c.newBlob else {
        if mine == nil { out.edits.append((c.path, .blob(c.newBlob))) }
        if let p = DatasetPath.datasetPath(ofEntry: c.path) { out.imagesTouched.insert(p) }
        continue
      }
      if c.path == DatasetPath.manifestEntry {
        let manifest = { (id: ObjectID?) throws -> DatasetManifest in try decode(id, c.path, DatasetManifest.decode) ?? DatasetManifest() }
        let m = try mergeManifests(base: hasBase ? try manifest(c.oldBlob) : nil, ours: try manifest(mine.newBlob), theirs: try manifest(c.newBlob),
                                   options: ManifestMerge.Options(strategy: options.strategy))
        out.conflicts += m.conflicts
        out.notes += m.notes
        out.edits.append((c.path, .bytes(m.merged.canonicalBytes())))
      } else if c.path.hasPrefix("images/") {
        let p = String(c.path.dropFirst(7))
        out.imagesTouched.insert(p)
        switch mergeBlob(base: c.oldBlob, ours: mine.newBlob, theirs: c.newBlob, options: BlobMerge.Options(strategy: options.strategy)) {
        case .resolved(let id): out.edits.append((c.path, .blob(id)))
        case .conflict(let kind):
          out.conflicts.append(LabelConflict.imageBytes(path: p, kind: kind, base: c.oldBlob, ours: mine.newBlob, theirs: c.newBlob))
        }
      } else if c.path.hasPrefix("labels/"), c.path.hasSuffix(".json") {
        let p = String(c.path.dropFirst(7).dropLast(5))
        out.imagesTouched.insert(p)
        let load = { (id: ObjectID?) throws -> LabelDocument? in try decode(id, c.path, LabelDocument.decode) }
        let m = try mergeDocuments(base: try load(c.oldBlob), ours: try load(mine.newBlob), theirs: try load(c.newBlob),
                                   path: p, options: DocumentMerge.Options(strategy: options.strategy))
        out.conflicts += m.conflicts
        out.notes += m.notes
        out.edits.append((c.path, m.merged.map { .bytes($0.canonicalBytes()) } ?? .blob(nil)))
      } else {
        // Files annot does not model: git's rule, ours wins only if theirs did not change it.
        out.conflicts.append(LabelConflict(path: c.path, field: "file", kind: .modifyModify,
                                           base: c.oldBlob.map { .string($0.hex) }, ours: mine.newBlob.map { .string($0.hex) },
                                           theirs: c.newBlob.map { .string($0.hex) }))
      }
    }
    return out
  }
}
