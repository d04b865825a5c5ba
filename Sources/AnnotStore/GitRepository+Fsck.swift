import CGit2
import AnnotModel

extension GitRepository {
  /// One object that failed verification.
  public struct ObjectProblem: Sendable, CustomStringConvertible {
    public var id: ObjectID
    public var message: String
    public var description: String { "\(id.hex): \(message)" }
  }

  /// Reads every object reachable from `roots` (commits, their trees, blobs; gitlinks are not
  /// followed, as git does not) and re-hashes it. Reads skip hash checks for speed
  /// (see GitError.swift), so this is where corruption is found.
  public func verifyReachable(from roots: [ObjectID], progress: ((Int) -> Void)? = nil) throws -> (objects: Int, problems: [ObjectProblem]) {
    var seen = Set<ObjectID>()
    var problems: [ObjectProblem] = []
    var stack: [(ObjectID, git_object_t)] = roots.map { ($0, GIT_OBJECT_COMMIT) }
    try sync {
      var odb: OpaquePointer?
      try check("git_repository_odb", git_repository_odb(&odb, raw))
      defer { git_odb_free(odb) }
      while let (id, expected) = stack.popLast() {
        guard seen.insert(id).inserted else { continue }
        progress?(seen.count)
        var oid = id.git
        var obj: OpaquePointer?
        guard git_odb_read(&obj, odb, &oid) == 0 else {
          problems.append(ObjectProblem(id: id, message: "missing or unreadable \(String(cString: git_object_type2string(expected)))"))
          continue
        }
        defer { git_odb_object_free(obj) }
        let type = git_odb_object_type(obj)
        var actual = git_oid()
        _ = git_odb_hash(&actual, git_odb_object_data(obj), git_odb_object_size(obj), type)
        if ObjectID(actual) != id { problems.append(ObjectProblem(id: id, message: "content does not match its id (corrupt)")); continue }
        if type != expected && !(expected == GIT_OBJECT_COMMIT && type == GIT_OBJECT_TAG) {
          problems.append(ObjectProblem(id: id, message: "is a \(String(cString: git_object_type2string(type))), expected a \(String(cString: git_object_type2string(expected)))"))
          continue
        }
        if type == GIT_OBJECT_COMMIT {
          var c: OpaquePointer?
          guard git_commit_lookup(&c, raw, &oid) == 0 else { problems.append(ObjectProblem(id: id, message: "unparsable commit")); continue }
          stack.append((ObjectID(git_commit_tree_id(c)), GIT_OBJECT_TREE))
          for i in 0..<git_commit_parentcount(c) { stack.append((ObjectID(git_commit_parent_id(c, i)), GIT_OBJECT_COMMIT)) }
          git_commit_free(c)
        } else if type == GIT_OBJECT_TAG {
          var t: OpaquePointer?
          guard git_tag_lookup(&t, raw, &oid) == 0 else { problems.append(ObjectProblem(id: id, message: "unparsable tag")); continue }
          stack.append((ObjectID(git_tag_target_id(t)), git_tag_target_type(t)))
          git_tag_free(t)
        } else if type == GIT_OBJECT_TREE {
          var t: OpaquePointer?
          guard git_tree_lookup(&t, raw, &oid) == 0 else { problems.append(ObjectProblem(id: id, message: "unparsable tree")); continue }
          for i in 0..<git_tree_entrycount(t) {
            let e = git_tree_entry_byindex(t, i)
            let kind = git_tree_entry_type(e)
            if kind == GIT_OBJECT_COMMIT { continue }   // gitlink: not ours to follow
            stack.append((ObjectID(git_tree_entry_id(e)), kind))
          }
          git_tree_free(t)
        }
      }
    }
    return (seen.count, problems)
  }
}
