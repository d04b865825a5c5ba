import Foundation
import AnnotModel
import AnnotStore

/// Which ref moved, for the state derived from it.
enum RefMove {
  /// The current branch (commit, merge, fast-forward, pull): index it and update its labels mirror.
  case currentBranch
  /// A ref nobody works on here (a remote-tracking branch, a fresh clone's HEAD): index only.
  case other
}

extension Repository {
  /// The one hook for "derived state follows a ref move": every operation that moves a ref to
  /// `commit` calls it once, after the move. Derived state (the query index, the labels mirror
  /// and image shards) is a cache: this never fails the command, and whatever it skips is
  /// rebuilt by the next `query` or `push`.
  func refMoved(to commit: ObjectID, _ move: RefMove = .currentBranch) {
    if move == .currentBranch { updateLabelsMirror(commit) }
    indexCommitQuietly(commit)
  }
}
