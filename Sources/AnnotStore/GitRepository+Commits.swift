import CGit2
import AnnotModel
import Foundation

/// A person and a moment, as git records them.
public struct Signature: Sendable, Hashable {
  public var name: String
  public var email: String
  /// Seconds since the epoch.
  public var time: Int64
  /// Minutes east of UTC.
  public var offsetMinutes: Int
  public init(name: String, email: String, time: Int64, offsetMinutes: Int = 0) {
    self.name = name; self.email = email; self.time = time; self.offsetMinutes = offsetMinutes
  }
}

/// A commit as read from the store.
public struct CommitInfo: Sendable, Hashable {
  public var id: ObjectID
  public var tree: ObjectID
  public var parents: [ObjectID]
  public var author: Signature
  public var committer: Signature
  public var message: String
  public var summary: String { String(message.split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }
}

extension GitRepository {
  public func commit(_ id: ObjectID) throws -> CommitInfo {
    try sync {
      var oid = id.git
      var c: OpaquePointer?
      let rc = git_commit_lookup(&c, raw, &oid)
      if rc == GIT_ENOTFOUND.rawValue { throw StoreError.notFound(id.hex) }
      try check("git_commit_lookup", rc)
      defer { git_commit_free(c) }
      func sig(_ s: UnsafePointer<git_signature>) -> Signature {
        Signature(name: String(cString: s.pointee.name), email: String(cString: s.pointee.email),
                  time: Int64(s.pointee.when.time), offsetMinutes: Int(s.pointee.when.offset))
      }
      var parents: [ObjectID] = []
      for i in 0..<git_commit_parentcount(c) { parents.append(ObjectID(git_commit_parent_id(c, i))) }
      return CommitInfo(id: id, tree: ObjectID(git_commit_tree_id(c)), parents: parents,
                        author: sig(git_commit_author(c)), committer: sig(git_commit_committer(c)),
                        message: String(cString: git_commit_message(c)))
    }
  }

  /// Writes a commit object (no ref is touched; use `updateReference`).
  public func createCommit(tree: ObjectID, parents: [ObjectID], message: String,
                           author: Signature, committer: Signature) throws -> ObjectID {
    if tree == Self.emptyTreeID { _ = try writeEmptyTree() }
    return try sync {
      var toid = tree.git
      var t: OpaquePointer?
      try check("git_tree_lookup", git_tree_lookup(&t, raw, &toid))
      defer { git_tree_free(t) }
      var pcs: [OpaquePointer?] = []
      defer { pcs.forEach { git_commit_free($0) } }
      for p in parents {
        var poid = p.git
        var pc: OpaquePointer?
        try check("git_commit_lookup", git_commit_lookup(&pc, raw, &poid))
        pcs.append(pc)
      }
      func mk(_ s: Signature) throws -> UnsafeMutablePointer<git_signature>? {
        var out: UnsafeMutablePointer<git_signature>?
        try check("git_signature_new", git_signature_new(&out, s.name, s.email, git_time_t(s.time), Int32(s.offsetMinutes)))
        return out
      }
      let a = try mk(author)
      defer { git_signature_free(a) }
      let c = try mk(committer)
      defer { git_signature_free(c) }
      var out = git_oid()
      try check("git_commit_create", git_commit_create(&out, raw, nil, a, c, "UTF-8", message, t, pcs.count, &pcs))
      return ObjectID(out)
    }
  }

  // MARK: References

  /// The target of a direct reference, or nil if it does not exist.
  public func reference(_ name: String) throws -> ObjectID? {
    try sync {
      var oid = git_oid()
      let rc = git_reference_name_to_id(&oid, raw, name)
      if rc == GIT_ENOTFOUND.rawValue { return nil }
      try check("git_reference_name_to_id", rc)
      return ObjectID(oid)
    }
  }

  /// Sets `name` to `id` atomically (lock file + rename), with a reflog entry.
  /// With `expected`, fails unless the ref currently points there (nil = must not exist).
  public func updateReference(_ name: String, to id: ObjectID, expected: ObjectID?? = .none, message: String) throws {
    try sync {
      var oid = id.git
      var ref: OpaquePointer?
      switch expected {
      case .none:
        try check("git_reference_create", git_reference_create(&ref, raw, name, &oid, 1, message))
      case .some(.none):
        try check("git_reference_create", git_reference_create(&ref, raw, name, &oid, 0, message))
      case .some(.some(let old)):
        var o = old.git
        try check("git_reference_create_matching", git_reference_create_matching(&ref, raw, name, &oid, 1, &o, message))
      }
      git_reference_free(ref)
    }
  }

  public func deleteReference(_ name: String) throws {
    try sync {
      var ref: OpaquePointer?
      try check("git_reference_lookup", git_reference_lookup(&ref, raw, name))
      defer { git_reference_free(ref) }
      try check("git_reference_delete", git_reference_delete(ref))
    }
  }

  /// References whose names start with `prefix` (e.g. `refs/heads/`), sorted by name.
  public func references(prefix: String) throws -> [(name: String, id: ObjectID)] {
    try sync {
      var iter: OpaquePointer?
      try check("git_reference_iterator_glob_new", git_reference_iterator_glob_new(&iter, raw, prefix + "*"))
      defer { git_reference_iterator_free(iter) }
      var out: [(String, ObjectID)] = []
      var ref: OpaquePointer?
      while git_reference_next(&ref, iter) == 0 {
        defer { git_reference_free(ref) }
        let name = String(cString: git_reference_name(ref))
        var peeled: OpaquePointer?
        if git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0 {
          out.append((name, ObjectID(git_object_id(peeled))))
          git_object_free(peeled)
        } else if let t = git_reference_target(ref) {
          out.append((name, ObjectID(t)))
        }
      }
      return out.sorted { $0.0 < $1.0 }
    }
  }

  /// What HEAD points at: a branch ref name (possibly unborn), or a detached commit.
  public enum Head: Sendable, Equatable {
    case branch(String)
    case detached(ObjectID)
  }

  public func head() throws -> Head {
    try sync {
      var ref: OpaquePointer?
      try check("git_reference_lookup", git_reference_lookup(&ref, raw, "HEAD"))
      defer { git_reference_free(ref) }
      if git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC {
        return .branch(String(cString: git_reference_symbolic_target(ref)))
      }
      return .detached(ObjectID(git_reference_target(ref)))
    }
  }

  public func setHead(branch refName: String) throws {
    _ = try sync { try check("git_repository_set_head", git_repository_set_head(raw, refName)) }
  }

  public func setHeadDetached(_ id: ObjectID) throws {
    try sync {
      var oid = id.git
      try check("git_repository_set_head_detached", git_repository_set_head_detached(raw, &oid))
    }
  }

  /// Creates an annotated tag object pointing at `target` and returns its id.
  public func createTag(name: String, target: ObjectID, tagger: Signature, message: String) throws -> ObjectID {
    try sync {
      var oid = target.git
      var obj: OpaquePointer?
      try check("git_object_lookup", git_object_lookup(&obj, raw, &oid, GIT_OBJECT_COMMIT))
      defer { git_object_free(obj) }
      var sig: UnsafeMutablePointer<git_signature>?
      try check("git_signature_new", git_signature_new(&sig, tagger.name, tagger.email, git_time_t(tagger.time), Int32(tagger.offsetMinutes)))
      defer { git_signature_free(sig) }
      var out = git_oid()
      try check("git_tag_create", git_tag_create(&out, raw, name, obj, sig, message, 0))
      return ObjectID(out)
    }
  }

  // MARK: Revisions

  /// Resolves a git revision expression (branch, tag, full or short id, HEAD~2, main^) to a commit.
  public func resolveCommit(_ spec: String) throws -> ObjectID {
    try sync {
      var obj: OpaquePointer?
      try check("git_revparse_single", git_revparse_single(&obj, raw, spec))
      defer { git_object_free(obj) }
      var peeled: OpaquePointer?
      try check("git_object_peel", git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT))
      defer { git_object_free(peeled) }
      return ObjectID(git_object_id(peeled))
    }
  }

  /// Resolves any revision expression, including `REV:PATH`, to an object and its kind.
  public func resolveObject(_ spec: String) throws -> (id: ObjectID, kind: String) {
    try sync {
      var obj: OpaquePointer?
      try check("git_revparse_single", git_revparse_single(&obj, raw, spec))
      defer { git_object_free(obj) }
      let kind = String(cString: git_object_type2string(git_object_type(obj)))
      return (ObjectID(git_object_id(obj)), kind)
    }
  }

  public func mergeBase(_ a: ObjectID, _ b: ObjectID) throws -> ObjectID? {
    try sync {
      var oa = a.git, ob = b.git, out = git_oid()
      let rc = git_merge_base(&out, raw, &oa, &ob)
      if rc == GIT_ENOTFOUND.rawValue { return nil }
      try check("git_merge_base", rc)
      return ObjectID(out)
    }
  }

  /// Whether `ancestor` is reachable from `descendant` (or equal).
  public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
    if ancestor == descendant { return true }
    return try sync {
      var a = ancestor.git, d = descendant.git
      return try check("git_graph_descendant_of", git_graph_descendant_of(raw, &d, &a)) == 1
    }
  }

  /// Commits reachable from `starts`, newest first (time order, like `git log`).
  public func walk(from starts: [ObjectID], hiding: [ObjectID] = [], limit: Int? = nil) throws -> [ObjectID] {
    try sync {
      var w: OpaquePointer?
      try check("git_revwalk_new", git_revwalk_new(&w, raw))
      defer { git_revwalk_free(w) }
      try check("git_revwalk_sorting", git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue))
      for s in starts { var o = s.git; try check("git_revwalk_push", git_revwalk_push(w, &o)) }
      for h in hiding { var o = h.git; try check("git_revwalk_hide", git_revwalk_hide(w, &o)) }
      var out: [ObjectID] = []
      var oid = git_oid()
      while git_revwalk_next(&oid, w) == 0 {
        out.append(ObjectID(oid))
        if let limit, out.count >= limit { break }
      }
      return out
    }
  }

  /// Reflog entries of `ref`, newest first: (old, new, message).
  public func reflog(_ ref: String) throws -> [(old: ObjectID, new: ObjectID, message: String)] {
    try sync {
      var log: OpaquePointer?
      try check("git_reflog_read", git_reflog_read(&log, raw, ref))
      defer { git_reflog_free(log) }
      var out: [(ObjectID, ObjectID, String)] = []
      for i in 0..<git_reflog_entrycount(log) {
        let e = git_reflog_entry_byindex(log, i)
        let msg = git_reflog_entry_message(e).map { String(cString: $0) } ?? ""
        out.append((ObjectID(git_reflog_entry_id_old(e)), ObjectID(git_reflog_entry_id_new(e)), msg))
      }
      return out
    }
  }
}
