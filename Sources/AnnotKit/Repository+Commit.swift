import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  /// The author or committer from the environment and git config, as git does:
  /// GIT_<ROLE>_NAME/EMAIL/DATE, then user.name/user.email, then a fallback.
  public func signature(role: String) -> Signature {
    let env = environment
    let name = env["GIT_\(role)_NAME"] ?? git.config("user.name") ?? globalGitConfig("user.name") ?? "annot"
    let email = env["GIT_\(role)_EMAIL"] ?? git.config("user.email") ?? globalGitConfig("user.email") ?? "annot@localhost"
    var time = Int64(Date().timeIntervalSince1970)
    var offset = TimeZone.current.secondsFromGMT() / 60
    if let d = env["GIT_\(role)_DATE"], let parsed = Self.parseGitDate(d) { (time, offset) = parsed }
    return Signature(name: name, email: email, time: time, offsetMinutes: offset)
  }

  /// "@1700000000 +0100" or "1700000000 +0100" (git's internal date format).
  static func parseGitDate(_ s: String) -> (Int64, Int)? {
    let parts = s.trimmingCharacters(in: .whitespaces).split(separator: " ")
    guard let first = parts.first, let t = Int64(first.hasPrefix("@") ? first.dropFirst() : first) else { return nil }
    var off = 0
    if parts.count > 1, let tz = Int(parts[1]) { off = (tz / 100) * 60 + (tz % 100) }
    return (t, off)
  }

  func globalGitConfig(_ key: String) -> String? {
    guard let home = environment["HOME"], let text = try? String(contentsOfFile: home + "/.gitconfig", encoding: .utf8) else { return nil }
    let parts = key.split(separator: ".")
    guard parts.count == 2 else { return nil }
    var section = ""
    for raw in text.split(separator: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("[") { section = line.dropFirst().dropLast().lowercased(); continue }
      guard section == parts[0].lowercased(), let eq = line.firstIndex(of: "=") else { continue }
      if line[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == parts[1].lowercased() {
        return line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      }
    }
    return nil
  }

  /// Parses "Name <email>" for `--author`.
  public static func parseAuthor(_ s: String) -> (String, String)? {
    guard let lt = s.firstIndex(of: "<"), let gt = s.lastIndex(of: ">"), lt < gt else { return nil }
    let name = s[..<lt].trimmingCharacters(in: .whitespaces)
    let email = String(s[s.index(after: lt)..<gt])
    return name.isEmpty ? nil : (name, email)
  }

  public struct CommitOptions: Sendable {
    public var message: String
    public var author: (name: String, email: String)?
    public var amend = false
    public var allowEmpty = false
    public init(message: String) { self.message = message }
  }

  /// Records the stage as a new commit on the current branch (or detached HEAD).
  @discardableResult
  public func commit(_ options: CommitOptions) throws -> ObjectID {
    let _lock = try lockForWriting("commit")
    defer { withExtendedLifetime(_lock) {} }
    if FileManager.default.fileExists(atPath: mergeHeadFile) {
      let remaining = try conflicts().count
      if remaining > 0 { throw AnnotError.unresolvedConflicts(remaining) }
    }
    let tree = try stageTree()
    let head = try headCommit()
    var parents: [ObjectID] = head.map { [$0] } ?? []
    if options.amend {
      guard let head else { throw AnnotError.other("nothing to amend: the current branch has no commits") }
      parents = try git.commit(head).parents
    } else if let mergeHead = try pendingMergeHead() {
      parents.append(mergeHead)
    } else if !options.allowEmpty, tree == (try headTree() ?? git.emptyTree()) {
      throw AnnotError.nothingToCommit
    }
    var author = signature(role: "AUTHOR")
    if let a = options.author { author.name = a.name; author.email = a.email }
    if options.amend, let head, options.author == nil { author = try git.commit(head).author }
    let committer = signature(role: "COMMITTER")
    var message = options.message
    if !message.hasSuffix("\n") { message += "\n" }
    let id = try git.createCommit(tree: tree, parents: parents, message: message, author: author, committer: committer)
    let summary = String(options.message.split(separator: "\n").first ?? "")
    let reflog = options.amend ? "commit (amend): \(summary)" : (parents.isEmpty ? "commit (initial): \(summary)" : (parents.count > 1 ? "commit (merge): \(summary)" : "commit: \(summary)"))
    switch try git.head() {
    case .branch(let ref):
      try git.updateReference(ref, to: id, expected: .some(head), message: reflog)
    case .detached:
      try git.setHeadDetached(id)
    }
    try? FileManager.default.removeItem(atPath: stageFile)
    try clearMergeState()
    refMoved(to: id)
    return id
  }
}
