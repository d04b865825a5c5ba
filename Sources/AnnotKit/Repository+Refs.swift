import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  /// A branch as listed by `annot branch`.
  public struct BranchInfo: Sendable {
    public var name: String
    public var commit: ObjectID
    public var isCurrent: Bool
  }

  static func validRefName(_ name: String) -> Bool {
    guard !name.isEmpty, !name.hasPrefix("-"), !name.hasPrefix("/"), !name.hasSuffix("/"), !name.hasSuffix(".lock"),
          !name.hasSuffix("."), !name.contains(".."), !name.contains("//"), !name.contains("@{"), name != "HEAD" else { return false }
    return !name.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F || "~^:?*[\\".unicodeScalars.contains($0) }
  }

  /// The current branch's short name ("main"), nil when detached.
  public func currentBranch() throws -> String? {
    try currentBranchRef().map { $0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0 }
  }

  public func branches() throws -> [BranchInfo] {
    let current = try currentBranchRef()
    return try git.references(prefix: "refs/heads/").map {
      BranchInfo(name: String($0.name.dropFirst(11)), commit: $0.id, isCurrent: $0.name == current)
    }
  }

  public func createBranch(_ name: String, at start: String? = nil) throws -> ObjectID {
    let _lock = try lockForWriting("branch")
    defer { withExtendedLifetime(_lock) {} }
    guard Self.validRefName(name) else { throw AnnotError.invalidName(name, kind: "branch") }
    if try git.reference("refs/heads/" + name) != nil { throw AnnotError.branchExists(name) }
    let target: ObjectID
    if let start { target = try resolveCommit(start) } else {
      guard let h = try headCommit() else { throw AnnotError.unbornBranch(try currentBranch() ?? "HEAD") }
      target = h
    }
    try git.updateReference("refs/heads/" + name, to: target, expected: .some(nil), message: "branch: Created from \(start ?? "HEAD")")
    return target
  }

  public func deleteBranch(_ name: String, force: Bool) throws -> ObjectID {
    let _lock = try lockForWriting("branch -d")
    defer { withExtendedLifetime(_lock) {} }
    guard let id = try git.reference("refs/heads/" + name) else { throw AnnotError.noSuchBranch(name) }
    if try currentBranch() == name { throw AnnotError.cannotDeleteCurrentBranch(name) }
    if !force, let head = try headCommit(), !(try git.isAncestor(id, of: head)) { throw AnnotError.branchNotMerged(name) }
    try git.deleteReference("refs/heads/" + name)
    return id
  }

  /// Switches HEAD to `name` (creating it at `startPoint`, default HEAD, with `create`),
  /// replacing the stage. A branch name that is not a branch but a revision detaches HEAD there
  /// (`--detach`). Creating a branch at HEAD itself keeps the stage, as `git switch -c` does.
  public func switchTo(_ name: String, create: Bool = false, detach: Bool = false, startPoint: String? = nil) throws {
    let _lock = try lockForWriting("switch")
    defer { withExtendedLifetime(_lock) {} }
    try refuseDuringMerge()
    let stage = try stageTree()
    let headTreeID = try headTree() ?? git.emptyTree()
    let head = try headCommit()
    let start = try startPoint.map { try resolveCommit($0) } ?? head
    let keepsStage = create && start == head
    if stage != headTreeID && !keepsStage { throw AnnotError.stagedChanges("switching branches") }
    if create {
      guard Self.validRefName(name) else { throw AnnotError.invalidName(name, kind: "branch") }
      if try git.reference("refs/heads/" + name) != nil { throw AnnotError.branchExists(name) }
      if let start {
        try git.updateReference("refs/heads/" + name, to: start, expected: .some(nil), message: "branch: Created from \(startPoint ?? "HEAD")")
      }
      try git.setHead(branch: "refs/heads/" + name)
      if keepsStage { return }
    } else if !detach, try git.reference("refs/heads/" + name) != nil {
      try git.setHead(branch: "refs/heads/" + name)
    } else {
      let id = try resolveCommit(name)
      if !detach { throw AnnotError.other("'\(name)' is not a branch; use 'annot switch --detach \(name)' to look at it") }
      try git.setHeadDetached(id)
    }
    try? FileManager.default.removeItem(atPath: stageFile)
  }

  // MARK: Tags

  public func tags() throws -> [(name: String, commit: ObjectID)] {
    try git.references(prefix: "refs/tags/").map { (String($0.name.dropFirst(10)), $0.id) }
  }

  public func createTag(_ name: String, at rev: String?, message: String?, force: Bool) throws -> ObjectID {
    let _lock = try lockForWriting("tag")
    defer { withExtendedLifetime(_lock) {} }
    guard Self.validRefName(name) else { throw AnnotError.invalidName(name, kind: "tag") }
    let existing = try git.reference("refs/tags/" + name)
    if existing != nil && !force { throw AnnotError.tagExists(name) }
    let target = try resolveCommit(rev ?? "HEAD")
    var refTarget = target
    if let message { refTarget = try git.createTag(name: name, target: target, tagger: signature(role: "COMMITTER"), message: message) }
    try git.updateReference("refs/tags/" + name, to: refTarget, message: "tag: \(name)")
    return target
  }

  public func deleteTag(_ name: String) throws {
    let _lock = try lockForWriting("tag -d")
    defer { withExtendedLifetime(_lock) {} }
    guard try git.reference("refs/tags/" + name) != nil else { throw AnnotError.noSuchTag(name) }
    try git.deleteReference("refs/tags/" + name)
  }

  // MARK: Reset

  public enum ResetMode: String, Sendable { case soft, mixed, hard }

  /// Moves the current branch to `rev`. `soft` keeps the stage; `mixed` and `hard` replace it
  /// with `rev`'s tree (annot has no working copy, so the two differ only in that `hard` also
  /// abandons a merge in progress).
  public func reset(to rev: String, mode: ResetMode) throws -> ObjectID {
    let _lock = try lockForWriting("reset")
    defer { withExtendedLifetime(_lock) {} }
    let target = try resolveCommit(rev)
    let oldStage = try stageTree()
    if isMerging && mode != .hard { throw AnnotError.mergeInProgress }
    switch try git.head() {
    case .branch(let ref): try git.updateReference(ref, to: target, message: "reset: moving to \(rev)")
    case .detached: try git.setHeadDetached(target)
    }
    if mode == .soft { try setStage(oldStage) } else { try? FileManager.default.removeItem(atPath: stageFile) }
    if mode == .hard { try clearMergeState() }
    return target
  }
}
