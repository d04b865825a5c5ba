import CGit2

/// An error reported by libgit2: the call that failed, its return code and libgit2's message.
public struct GitError: Error, Sendable, CustomStringConvertible {
  public let operation: String
  public let code: Int32
  public let message: String?

  public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
  public var isAmbiguous: Bool { code == GIT_EAMBIGUOUS.rawValue }
  public var isNonFastForward: Bool { code == GIT_ENONFASTFORWARD.rawValue }

  public var description: String { message ?? "\(operation) failed [\(code)]" }
}

/// Runs one libgit2 call and turns a negative result into a `GitError`.
/// libgit2 keeps its last error per thread, so it is read at once, on the calling thread.
@discardableResult
func check(_ operation: String, _ result: Int32) throws(GitError) -> Int32 {
  guard result < 0 else { return result }
  var message: String?
  if let last = git_error_last(), let text = last.pointee.message { message = String(cString: text) }
  throw GitError(operation: operation, code: result, message: message)
}

/// libgit2 must be initialised once per process before any call.
let libgit2Initialised: Bool = {
  git_libgit2_init()
  // Repositories annot opens are the user's own; ownership checks only produce confusing errors.
  _ = cgit2_set_owner_validation(0)
  // Trees annot builds only name blobs it has just written or read from a tree, so libgit2's
  // per-entry existence check would only re-read pack headers (touching the whole fresh pack).
  _ = cgit2_set_strict_object_creation(0)
  // Like git itself, do not re-hash every object on read (that caps reads near 400 MB/s);
  // `git fsck` (annot fsck) is where objects are verified.
  _ = cgit2_set_strict_hash_verification(0)
  return true
}()
