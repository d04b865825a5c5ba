import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  var mergeHeadFile: String { stateDir + "/MERGE_HEAD" }
  var conflictsFile: String { stateDir + "/CONFLICTS.json" }
  var origHeadFile: String { stateDir + "/ORIG_STAGE" }

  /// The other side of a merge in progress, if any.
  public func pendingMergeHead() throws -> ObjectID? {
    guard let s = try? String(contentsOfFile: mergeHeadFile, encoding: .utf8) else { return nil }
    return ObjectID(hex: s.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  func clearMergeState() throws {
    for f in [mergeHeadFile, conflictsFile, origHeadFile, stateDir + "/MERGE_MSG"] {
      try? FileManager.default.removeItem(atPath: f)
    }
  }

  public var isMerging: Bool { FileManager.default.fileExists(atPath: mergeHeadFile) }
}
