import Foundation
import AnnotModel
import AnnotStore
import AnnotMedia

// History annot did not write itself (a fetch, clone or pull; a repository plain git wrote) is
// checked by the rules import applies, before any ref moves: entry names, file modes, where
// entries may be, documents that decode, are canonical and pass validation, images that probe.
// `annot fsck` and `annot validate` apply the same rules to a whole revision and report every
// violation. Design and the rule list: Docs/RELIABILITY.md, "Hostile remotes".

/// One rule a revision breaks.
public struct RevisionProblem: Sendable, Hashable, CustomStringConvertible {
  /// The commit whose tree holds the entry (nil when a tree was checked on its own).
  public var commit: ObjectID?
  /// The entry's path, printable (invalid UTF-8 bytes as `\xNN`, controls escaped).
  public var path: String
  public var message: String
  public var description: String {
    (commit.map { "commit \($0.short): " } ?? "") + (path.isEmpty ? "" : DisplayText.quoted(path) + ": ") + message
  }
}

/// A fetch, clone or pull refused because the remote's history breaks annot's rules.
public struct IncomingHistoryError: Error, Sendable, CustomStringConvertible {
  public var remote: String
  public var problems: [RevisionProblem]
  public var description: String {
    let more = problems.count > 1 ? " (and \(problems.count - 1) more problem\(problems.count == 2 ? "" : "s"))" : ""
    return "remote '\(DisplayText.quoted(remote))' sent history annot would not write, so no ref was changed: \(problems.first?.description ?? "")\(more)"
  }
}

/// Applies annot's tree and document rules to commits, costing what differs from their first
/// parents (an entry equal to the parent's, by name, mode and id, was checked before or is local).
struct RevisionChecker {
  /// What a tree is: a dataset revision, a labels mirror (images as gitlinks, Docs/REMOTES.md),
  /// or an image shard (blobs named by their ids).
  enum Role { case dataset, mirror, shard }

  let git: GitRepository
  /// Image blobs may be absent (a labels-only clone); their names and modes are still checked.
  var imagesMayBeMissing: Bool
  /// Whether label documents are decoded and validated (validate does that part itself).
  var documents = true
  private(set) var problems: [RevisionProblem] = []
  private var commit: ObjectID?
  private var rootTree = GitRepository.emptyTreeID
  private var manifest: DatasetManifest?
  private var manifestBlob: ObjectID?
  private var seenTrees = Set<String>()
  private var seenDocs = Set<String>()
  private var seenImages = Set<ObjectID>()

  init(git: GitRepository, imagesMayBeMissing: Bool) {
    self.git = git
    self.imagesMayBeMissing = imagesMayBeMissing
  }

  private mutating func add(_ path: String, _ message: String) {
    problems.append(RevisionProblem(commit: commit, path: path, message: message))
  }

  // MARK: Commits and whole trees

  /// Checks commit `c` against its first parent's tree (the whole tree for a root commit).
  mutating func check(commit c: ObjectID, role: Role) {
    commit = c
    defer { commit = nil }
    guard git.objectKind(c) == .commit, let info = try? git.commit(c) else {
      add("", git.exists(c) ? "is not a readable commit" : "commit is missing"); return
    }
    var base: ObjectID?
    if let p = info.parents.first, let pt = try? git.commit(p).tree { base = pt }
    check(tree: info.tree, base: base, role: role)
  }

  /// Checks `tree` as a revision's root, against `base` (nil: everything).
  mutating func check(tree: ObjectID, base: ObjectID?, role: Role) {
    rootTree = tree
    manifest = nil
    manifestBlob = nil
    if role != .shard, let e = try? git.entry(tree: tree, path: DatasetPath.manifestEntry), !e.isTree,
       let bytes = try? git.blob(e.id), let m = try? DatasetManifest.decode(bytes) {
      manifest = m
      manifestBlob = e.id
    }
    walk(tree, base: base, components: [], role: role)
  }

  // MARK: The walk

  private mutating func walk(_ tree: ObjectID, base: ObjectID?, components: [String], role: Role) {
    let here = components.joined(separator: "/")
    guard seenTrees.insert("\(role)|\(here)|\(tree.hex)|\(manifestBlob?.hex ?? "")").inserted else { return }
    // The folder's entries (a large folder's buckets read through), against the base folder's:
    // unchanged entries, and whole unchanged buckets, were checked when they arrived.
    let delta: RawFolderDelta
    do {
      do { delta = try git.rawFolderDelta(tree, base: base) } catch where base != nil { delta = try git.rawFolderDelta(tree, base: nil) }
    } catch {
      add(here, git.exists(tree) ? "tree \(tree.short) cannot be read (\(Self.reason(error)))" : "tree \(tree.short) (or one of its buckets) is missing"); return
    }
    for m in delta.misplaced {
      add(here.isEmpty ? m.bucket : here + "/" + m.bucket, "entry \(Self.display(m.name)) is in a bucket its name does not hash to (Docs/FORMAT.md, \"Large folders\")")
    }
    var names = Set<[UInt8]>()
    for (e, old) in delta.changed {
      let path = components.isEmpty ? Self.display(e.name) : here + "/" + Self.display(e.name)
      if !names.insert(e.name).inserted { add(path, "entry appears twice in its tree"); continue }
      if let why = Self.nameProblem(e.name) { add(path, why); continue }
      let name = String(decoding: e.name, as: UTF8.self)
      let sub = old.flatMap { $0.mode == RawTreeEntry.treeMode ? $0.id : nil }
      switch role {
      case .shard: checkShardEntry(e, path: path, name: name)
      case .dataset, .mirror:
        if components.isEmpty {
          checkTopLevel(e, path: path, name: name, base: sub, role: role)
        } else if components[0] == "images" {
          checkImageEntry(e, path: path, components: components + [name], base: sub, role: role)
        } else {
          checkLabelEntry(e, path: path, components: components + [name], base: sub, role: role)
        }
      }
    }
    // An image removed while its document stays (or the other way round).
    if role != .shard, let first = components.first, first == "images" || first == "labels" {
      for b in delta.removed where Self.nameProblem(b.name) == nil {
        let n = b.name
        let rel = (components.dropFirst() + [String(decoding: n, as: UTF8.self)]).joined(separator: "/")
        let isTree = b.mode == RawTreeEntry.treeMode
        if first == "images" {
          let counterpart = isTree ? "labels/" + rel : DatasetPath.labelEntry(rel)
          if (try? git.entry(tree: rootTree, path: counterpart)) ?? nil != nil { add(counterpart, "document of a removed image images/\(rel)") }
        } else if rel.hasSuffix(".json") || isTree {
          let counterpart = "images/" + (isTree ? rel : String(rel.dropLast(5)))
          if (try? git.entry(tree: rootTree, path: counterpart)) ?? nil != nil { add(counterpart, "image whose document labels/\(rel) was removed") }
        }
      }
    }
  }

  private mutating func checkTopLevel(_ e: RawTreeEntry, path: String, name: String, base: ObjectID?, role: Role) {
    switch name {
    case DatasetPath.manifestEntry:
      guard e.mode == RawTreeEntry.blobMode else { add(path, Self.modeProblem(e, expected: "a file")); return }
      guard let bytes = readBlob(e.id, path: path) else { return }
      do {
        let m = try DatasetManifest.decode(bytes)
        if m.canonicalBytes() != bytes { add(path, "manifest is not in canonical form (annot writes it byte-stable; see Docs/FORMAT.md)") }
      } catch { add(path, "not a dataset manifest: \(error.description)") }
    case "images", "labels":
      guard e.mode == RawTreeEntry.treeMode else { add(path, Self.modeProblem(e, expected: "a directory")); return }
      walk(e.id, base: base, components: [name], role: role)
    default:
      add(path, "unexpected top-level entry (a revision holds annot.json, images/ and labels/ only)")
    }
  }

  private mutating func checkImageEntry(_ e: RawTreeEntry, path: String, components: [String], base: ObjectID?, role: Role) {
    let rel = components.dropFirst().joined(separator: "/")
    switch e.mode {
    case RawTreeEntry.treeMode:
      walk(e.id, base: base, components: components, role: role)
      return
    case RawTreeEntry.blobMode where role == .dataset, RawTreeEntry.gitlinkMode where role == .mirror:
      break
    case RawTreeEntry.gitlinkMode:
      add(path, "gitlink (submodule entry) to \(e.id.hex)\(git.exists(e.id) ? "" : ", which does not exist here"); annot stores images as files")
      return
    default:
      add(path, Self.modeProblem(e, expected: role == .mirror ? "a gitlink" : "a file")); return
    }
    if let why = DatasetPath.validate(rel) { add(path, why); return }
    if documents, (try? git.entry(tree: rootTree, path: DatasetPath.labelEntry(rel))) ?? nil == nil {
      add(path, "image has no label document labels/\(rel).json")
    }
    guard role == .dataset, seenImages.insert(e.id).inserted else { return }
    switch git.objectKind(e.id) {
    case nil:
      if !imagesMayBeMissing { add(path, "image blob \(e.id.hex) is missing") }
    case .blob?:
      guard let bytes = try? git.blob(e.id) else { add(path, "image blob \(e.id.short) cannot be read"); return }
      do { _ = try ImageProbe.probe(bytes, name: path) } catch { add(path, error.problem) }
    case let kind?:
      add(path, "names a \(kind.rawValue), not a file")
    }
  }

  private mutating func checkLabelEntry(_ e: RawTreeEntry, path: String, components: [String], base: ObjectID?, role: Role) {
    if e.mode == RawTreeEntry.treeMode { walk(e.id, base: base, components: components, role: role); return }
    guard e.mode == RawTreeEntry.blobMode else { add(path, Self.modeProblem(e, expected: "a file")); return }
    let rel = components.dropFirst().joined(separator: "/")
    guard rel.hasSuffix(".json"), rel.count > 5 else { add(path, "not a label document (names under labels/ end in .json)"); return }
    let p = String(rel.dropLast(5))
    if let why = DatasetPath.validate(p) { add(path, why); return }
    guard seenDocs.insert("\(p)|\(e.id.hex)|\(manifestBlob?.hex ?? "")|\(documents)").inserted else { return }
    if documents, (try? git.entry(tree: rootTree, path: DatasetPath.imageEntry(p))) ?? nil == nil {
      add(path, "no image images/\(p)")
    }
    guard let bytes = readBlob(e.id, path: path) else { return }
    let doc: LabelDocument
    do { doc = try LabelDocument.decode(bytes) } catch {
      if documents { add(path, "not a label document: \(error.description)") }
      return
    }
    if doc.canonicalBytes() != bytes { add(path, "document is not in canonical form (annot writes documents byte-stable; see Docs/FORMAT.md)") }
    guard documents else { return }
    if doc.image.path != p { add(path, "image.path is \"\(doc.image.path)\", not \"\(p)\"") }
    for problem in DocumentValidation.problems(doc, schema: manifest) { add(path, problem.description) }
  }

  private mutating func checkShardEntry(_ e: RawTreeEntry, path: String, name: String) {
    if e.mode != RawTreeEntry.blobMode { add(path, Self.modeProblem(e, expected: "a file")); return }
    if name != e.id.hex { add(path, "image shard entry is not named by its blob id \(e.id.hex)") }
  }

  private mutating func readBlob(_ id: ObjectID, path: String) -> [UInt8]? {
    switch git.objectKind(id) {
    case nil: add(path, "blob \(id.hex) is missing"); return nil
    case .blob?:
      do { return try git.blob(id) } catch { add(path, "blob \(id.short) cannot be read (\(Self.reason(error)))"); return nil }
    case let kind?: add(path, "names a \(kind.rawValue), not a file"); return nil
    }
  }

  // MARK: Rules

  /// Why a tree entry name is one annot never writes, or nil. The same rules as import's
  /// `DatasetPath.validate`, applied to one component as stored (bytes, not yet a String).
  static func nameProblem(_ name: [UInt8]) -> String? {
    if name.isEmpty { return "empty entry name" }
    guard let s = String(validating: name, as: UTF8.self) else { return "entry name is not valid UTF-8" }
    if s == "." || s == ".." { return "entry named '\(s)'" }
    let lower = s.lowercased()
    if lower == ".git" { return "entry named '.git'" }
    if lower == Repository.directoryName { return "entry named '\(Repository.directoryName)' (annot's own directory)" }
    if name.contains(UInt8(ascii: "/")) { return "entry name contains a slash" }
    if name.contains(UInt8(ascii: "\\")) { return "entry name contains a backslash" }
    if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "entry name contains a control character" }
    return nil
  }

  static func modeProblem(_ e: RawTreeEntry, expected: String) -> String {
    let what: String
    switch e.mode {
    case RawTreeEntry.symlinkMode: what = "a symbolic link"
    case RawTreeEntry.gitlinkMode: what = "a gitlink (submodule entry) to \(e.id.hex)"
    case RawTreeEntry.treeMode: what = "a directory"
    case RawTreeEntry.executableMode: what = "an executable file (mode 100755)"
    case RawTreeEntry.blobMode: what = "a file"
    default: what = "an entry of mode \(String(e.mode, radix: 8))"
    }
    return "is \(what), expected \(expected)"
  }

  /// A name as stored, printable: valid UTF-8 as it is, any other byte as `\xNN`.
  static func display(_ name: [UInt8]) -> String {
    if let s = String(validating: name, as: UTF8.self) { return s }
    return name.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }.joined()
  }

  /// Every error type annot throws describes itself in one line.
  static func reason(_ error: any Error) -> String { DisplayText.quoted(String(describing: error)) }
}

extension Repository {
  /// Which rules a fetched ref's history follows, by where the ref goes (Docs/REMOTES.md).
  static func checkRole(ofRef ref: String) -> RevisionChecker.Role {
    if ref.hasPrefix(labelsRefPrefix) || (ref.hasPrefix("refs/annot/remotes/") && ref.contains("/labels/")) { return .mirror }
    if ref.hasPrefix(shardRefPrefix) || (ref.hasPrefix("refs/annot/remotes/") && ref.contains("/images/")) { return .shard }
    return .dataset
  }

  /// Every problem of the history a fetch would point `updates` at that is not reachable from
  /// a local ref: commits first-parent-diffed, so the cost follows what is new.
  func incomingProblems(_ updates: [(ref: String, id: ObjectID)]) throws -> [RevisionProblem] {
    var checker = RevisionChecker(git: git, imagesMayBeMissing: isLabelsOnly)
    var problems: [RevisionProblem] = []
    // Local commits hide their history from the walk.
    var hidden: [ObjectID] = []
    for (_, id) in try git.references(prefix: "refs/") where git.objectKind(id) == .commit { hidden.append(id) }
    if let h = try? headCommit() { hidden.append(h) }
    for (ref, id) in updates {
      // Annotated tags: peel to what they name.
      var target = id
      var hops = 0
      while git.objectKind(target) == .tag, hops < 16, let t = try? git.tagTarget(target) { target = t; hops += 1 }
      guard let kind = git.objectKind(target) else {
        problems.append(RevisionProblem(commit: nil, path: ref, message: "names \(target.hex), which the remote did not send")); continue
      }
      guard kind == .commit else {
        problems.append(RevisionProblem(commit: nil, path: ref, message: "names a \(kind.rawValue), not a commit")); continue
      }
      let role = Self.checkRole(ofRef: ref)
      checker.imagesMayBeMissing = isLabelsOnly || role == .mirror
      let commits: [ObjectID]
      do { commits = try git.walk(from: [target], hiding: hidden) } catch {
        problems.append(RevisionProblem(commit: target, path: ref, message: "history cannot be walked (\(RevisionChecker.reason(error)))")); continue
      }
      for c in commits { checker.check(commit: c, role: role) }
    }
    return problems + checker.problems
  }

  /// The `verify` hook of every fetch: throws `IncomingHistoryError` (no ref has moved yet).
  func verifyIncoming(remote: String) -> ([(ref: String, id: ObjectID)]) throws -> Void {
    { updates in
      let problems = try self.incomingProblems(updates)
      if !problems.isEmpty { throw IncomingHistoryError(remote: remote, problems: problems) }
    }
  }

  /// Image blobs a labels-only clone fetched later (`fetch --images`): their trees were checked
  /// when the labels arrived, but their bytes only now; each must be an image import would take.
  func verifyFetchedImages(_ blobs: [ObjectID], remote: String) throws {
    var problems: [RevisionProblem] = []
    for b in Set(blobs).sorted(by: { $0.hex < $1.hex }) {
      guard git.objectKind(b) == .blob, let bytes = try? git.blob(b) else {
        problems.append(RevisionProblem(commit: nil, path: "blob " + b.hex, message: "is not a file")); continue
      }
      do { _ = try ImageProbe.probe(bytes) } catch { problems.append(RevisionProblem(commit: nil, path: "blob " + b.hex, message: error.problem)) }
    }
    if !problems.isEmpty { throw IncomingHistoryError(remote: remote, problems: problems) }
  }

  /// Every violation of annot's tree rules in the revision `tree` (whole tree; no parent).
  /// With `documents: false` the label documents are only checked for canonical form, as
  /// `validate` decodes and validates them itself.
  public func revisionProblems(tree: ObjectID, documents: Bool = true) -> [RevisionProblem] {
    var checker = RevisionChecker(git: git, imagesMayBeMissing: isLabelsOnly)
    checker.documents = documents
    checker.check(tree: tree, base: nil, role: .dataset)
    return checker.problems
  }
}
