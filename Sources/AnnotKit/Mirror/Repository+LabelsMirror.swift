import Foundation
import AnnotModel
import AnnotStore

// The labels mirror: for every real commit a labels commit with the same tree except that each
// `images/` blob is a gitlink to it, so plain git protocols can move labels without image bytes.
// Design and ref layout: Docs/REMOTES.md.

extension Repository {
  /// The real commit a labels commit mirrors (its `annot-real` header).
  func mirroredCommit(_ mirror: ObjectID) throws -> ObjectID? {
    try git.rawCommit(mirror).header(Self.mirrorHeader).flatMap(ObjectID.init(hex:))
  }

  /// The real → labels direction: images become gitlinks, the `annot-real` header follows the
  /// committer line. `newImages` collects the image blobs the rewritten commits add.
  static func mirrorDirection(collecting newImages: @escaping (ObjectID) -> Void) -> RewriteDirection {
    RewriteDirection(
      edit: { path, id in
        guard let id else { return .remove(path: path) }
        guard path.hasPrefix("images/") else { return .upsert(path: path, blob: id) }
        newImages(id)
        return .gitlink(path: path, id: id)
      },
      headers: { source, commit in
        var out: [String] = []
        for l in commit.headers {
          out.append(l)
          if l.hasPrefix("committer ") { out.append("\(mirrorHeader) \(source.hex)") }
        }
        return out
      })
  }

  /// The labels commit of `commit`: the same tree with every `images/` blob replaced by a
  /// gitlink to it, parents the mirrors of the real parents, the same author, committer and
  /// message, plus an `annot-real` header. Deterministic, so every clone computes the same id.
  /// New image blobs are added to their shards.
  func labelsMirror(of commit: ObjectID, map: inout MirrorMap, fresh: Bool = false) throws -> ObjectID {
    defer { map.save() }
    final class Images { var ids = Set<ObjectID>() }
    let images = Images()
    let direction = Self.mirrorDirection { images.ids.insert($0) }
    // A commit just made has no mirror yet: skip the lookup that would read the cache file.
    let m = try rewrite(commit, direction, known: { c in fresh && c == commit ? nil : map.get(c) },
                        written: { c, m in map.record(c, m) })
    try addToShards(images.ids)
    return m
  }

  /// Keeps `refs/annot/labels/<branch>` and the image shards up to date after the current
  /// branch moved to `commit` (see `refMoved`). It never fails the command: `push` recomputes
  /// whatever is missing.
  func updateLabelsMirror(_ commit: ObjectID) {
    guard deriveLabelsMirror else { return }
    // Without a remote nobody can fetch the mirror yet: the first push builds it, so a local-only
    // repository pays nothing (the root commit of a large import would pay for all 256 shards).
    guard let remotes = try? git.remoteConfigs(), !remotes.isEmpty else { return }
    guard case .branch(let ref)? = try? git.head(), ref.hasPrefix("refs/heads/") else { return }
    let branch = String(ref.dropFirst(11))
    var map = MirrorMap(self)
    // The common case: the branch's mirror is the mirror of this commit's first parent.
    if let current = try? git.reference(Self.labelsRefPrefix + branch), let real = try? mirroredCommit(current) {
      map.seed[real] = current
    }
    guard let m = try? labelsMirror(of: commit, map: &map, fresh: true) else { return }
    try? git.updateReference(Self.labelsRefPrefix + branch, to: m, message: "annot: labels mirror")
  }

  /// Records real → mirror for mirrors fetched from a remote (walks only the new ones).
  func learnMirrors(prefix: String, before: [String: ObjectID]) throws {
    var map = MirrorMap(self)
    defer { map.save() }
    for (name, tip) in try git.references(prefix: prefix) where before[name] != tip {
      let hidden = before[name].map { [$0] } ?? []
      for m in try git.walk(from: [tip], hiding: hidden) {
        if let real = try mirroredCommit(m) { map.record(real, m) }
      }
    }
  }
}
