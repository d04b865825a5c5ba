import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

func formatDate(_ s: Signature) -> String {
  let f = DateFormatter()
  f.locale = Locale(identifier: "en_US_POSIX")
  f.timeZone = TimeZone(secondsFromGMT: s.offsetMinutes * 60)
  f.dateFormat = "EEE MMM d HH:mm:ss yyyy Z"
  return f.string(from: Date(timeIntervalSince1970: TimeInterval(s.time)))
}

func commitJSON(_ c: CommitInfo) -> JSONValue {
  func sig(_ s: Signature) -> JSONValue {
    .object(["name": .string(s.name), "email": .string(s.email), "time": .int(Int(s.time)), "offset_minutes": .int(s.offsetMinutes)])
  }
  return .object([
    "id": .string(c.id.hex), "tree": .string(c.tree.hex), "parents": .array(c.parents.map { .string($0.hex) }),
    "author": sig(c.author), "committer": sig(c.committer), "message": .string(c.message),
  ])
}

/// The label diff a commit introduced, against its first parent (an empty tree for a root commit).
func commitDiff(_ repo: Repository, _ c: CommitInfo, paths: [String]) throws -> DatasetDiff.Outcome {
  let parentTree = try c.parents.first.map { try repo.commitInfo($0).tree }
  return try repo.diff(old: parentTree, new: c.tree, paths: paths)
}

extension LogFormat.DateStyle: ExpressibleByArgument {}
