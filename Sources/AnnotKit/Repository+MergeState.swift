import Foundation
import AnnotModel
import AnnotStore

extension Repository {
  var mergeHeadFile: String { layout.mergeHead }
  var conflictsFile: String { layout.conflicts }
  var origHeadFile: String { layout.originalStage }

  /// The other side of a merge in progress, if any.
  public func pendingMergeHead() throws -> ObjectID? {
    guard let s = try? String(contentsOfFile: mergeHeadFile, encoding: .utf8) else { return nil }
    return ObjectID(hex: s.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  func clearMergeState() throws {
    for f in layout.mergeState {
      try? FileManager.default.removeItem(atPath: f)
    }
  }

  public var isMerging: Bool { FileManager.default.fileExists(atPath: mergeHeadFile) }
}
