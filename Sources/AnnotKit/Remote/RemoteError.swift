import Foundation

/// Errors of remote operations, each one line that says what to do.
public enum RemoteError: Error, Sendable, CustomStringConvertible {
  case noSuchRemote(String)
  case remoteExists(String)
  case invalidRemoteName(String)
  /// The remote could not be reached or the transfer failed; nothing changed locally.
  case transfer(remote: String, url: String, reason: String)
  /// A push that is not a fast-forward.
  case rejected
  case rejectedByServer(ref: String, reason: String)
  case noSuchRemoteBranch(remote: String, branch: String)
  case detachedHead
  case destinationExists(String)
  /// A command needs image bytes that a labels-only clone has not fetched.
  case imagesNotFetched(missing: Int, example: String)
  /// Images the remote could not provide.
  case imagesUnavailable(missing: Int, example: String)
  /// A labels mirror that does not rebuild the commit it claims to mirror.
  case mirrorMismatch(mirror: String, claimed: String, rebuilt: String)
  /// A commit offered as a labels mirror has no `annot-real` header.
  case notLabelsMirror(String)
  /// Building a mirror found a parent without one (the walk is parents first, so a bug).
  case unmirroredParent(parent: String, commit: String)

  public var description: String {
    switch self {
    case .noSuchRemote(let n): "no remote named '\(n)' (see 'annot remote -v'; add one with 'annot remote add NAME URL')"
    case .remoteExists(let n): "a remote named '\(n)' already exists"
    case .invalidRemoteName(let n): "'\(n)' is not a valid remote name"
    case let .transfer(remote, url, reason):
      "cannot reach remote '\(remote)' (\(url)): \(reason.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces))"
    case .rejected: "rejected: the remote has commits you do not have; run 'annot pull' first, or push --force"
    case let .rejectedByServer(ref, reason): "rejected: the remote refused \(ref): \(reason)"
    case let .noSuchRemoteBranch(remote, branch): "the remote '\(remote)' has no branch '\(branch)'"
    case .detachedHead: "HEAD is detached: name the branch to push or pull, or switch to one"
    case .destinationExists(let p): "destination '\(p)' already exists and is not an empty directory"
    case let .imagesNotFetched(n, example):
      "images not fetched: run 'annot fetch --images' (\(n) image\(n == 1 ? "" : "s") missing in this labels-only clone, e.g. images/\(example))"
    case let .imagesUnavailable(n, example): "\(n) image\(n == 1 ? "" : "s") could not be fetched from the remote (e.g. \(example))"
    case let .mirrorMismatch(m, claimed, rebuilt):
      "labels mirror \(m) claims commit \(claimed) but rebuilds \(rebuilt); fetch the images with 'annot fetch --images'"
    case .notLabelsMirror(let m): "\(m) is not a labels mirror (no annot-real header)"
    case let .unmirroredParent(p, c): "labels mirror: parent \(p) of \(c) has no mirror"
    }
  }
}
