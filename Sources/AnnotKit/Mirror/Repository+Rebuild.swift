import Foundation
import AnnotModel
import AnnotStore

// Labels-only clones: the real commits rebuilt from fetched labels mirrors. Docs/REMOTES.md.

extension Repository {
  /// Rebuilds the real commits of every fetched labels mirror (their trees with gitlinks turned
  /// back into blob entries, whose bytes stay on the remote), checks each against the id it
  /// claims and the branch tips the remote advertises, and points `refs/remotes/R/*` at them.
  func rebuildFromMirrors(remote r: String, advertised: [RemoteRef]) throws -> [String] {
    var notes: [String] = []
    var adv: [String: ObjectID] = [:]
    for a in advertised { adv[a.name] = a.id }
    var map = MirrorMap(self)
    defer { map.save() }
    let prefix = "refs/annot/remotes/\(r)/labels/"
    for (name, tip) in try git.references(prefix: prefix) {
      let branch = String(name.dropFirst(prefix.count))
      let real = try rebuild(mirror: tip, map: &map)
      guard adv["refs/heads/\(branch)"] == real else {
        notes.append("branch '\(branch)': the remote's labels mirror is not its branch tip (push it from a full clone); skipped")
        continue
      }
      try git.updateReference("refs/remotes/\(r)/\(branch)", to: real, message: "fetch (labels only)")
    }
    // Lightweight tags on rebuilt commits come along; annotated tag objects need a full fetch.
    for a in advertised where a.name.hasPrefix("refs/tags/") && !a.name.hasSuffix("^{}") {
      if try git.reference(a.name) == nil, git.exists(a.id), (try? git.commit(a.id)) != nil {
        try git.updateReference(a.name, to: a.id, message: "fetch (labels only)")
      }
    }
    return notes
  }

  /// The labels → real direction: gitlinks become blob entries again (their bytes may stay on
  /// the remote), the `annot-real` header is dropped.
  static var rebuildDirection: RewriteDirection {
    RewriteDirection(
    edit: { path, id in id.map { .upsert(path: path, blob: $0) } ?? .remove(path: path) },
    headers: { source, commit in
      guard commit.header(mirrorHeader) != nil else { throw RemoteError.notLabelsMirror(source.hex) }
      return commit.headers.filter { !$0.hasPrefix(mirrorHeader + " ") }
    })
  }

  /// The real commit of the labels mirror `tip`, rebuilt (with its history) where this
  /// repository does not hold it; each rebuilt commit must have the id its mirror claims.
  func rebuild(mirror tip: ObjectID, map: inout MirrorMap) throws -> ObjectID {
    // A mirror whose real commit is here needs no rebuild.
    func present(_ m: ObjectID) throws -> ObjectID? { try mirroredCommit(m).flatMap { git.exists($0) ? $0 : nil } }
    _ = try rewrite(tip, Self.rebuildDirection, known: present, written: { m, real in
      let claimed = try mirroredCommit(m)!
      guard real == claimed else { throw RemoteError.mirrorMismatch(mirror: m.hex, claimed: claimed.hex, rebuilt: real.hex) }
      map.record(real, m)
    })
    guard let real = try mirroredCommit(tip) else { throw RemoteError.notLabelsMirror(tip.hex) }
    map.record(real, tip)
    return real
  }
}
