/// Why a merge or a resolution could not run at all. (Conflicts are not errors: they are in the Outcome.)
public enum MergeError: Error, Sendable, Equatable, CustomStringConvertible {
  /// An option is out of range (for example an IoU threshold outside 0…1).
  case invalidOption(String)
  /// A conflict file or conflict object does not follow the format; `place` is its JSON path.
  case invalidConflictFile(place: String, message: String)
  /// A resolution cannot apply to the document it was given (for example the annotation is gone).
  case unresolvable(path: String, annotationID: String?, field: String?, reason: String)
  /// Merged fields did not form a valid document; a bug in the merge, reported rather than hidden.
  case invalidMergedDocument(path: String, message: String)

  public var description: String {
    switch self {
    case .invalidOption(let m): "invalid merge option: \(m)"
    case let .invalidConflictFile(place, message):
      "conflict file\(place.isEmpty ? "" : " at \(place)"): \(message); run 'annot merge --abort' and merge again"
    case let .unresolvable(path, id, field, reason):
      "image \(path)\(id.map { ": annotation \($0)" } ?? "")\(field.map { " \($0)" } ?? ""): cannot resolve: \(reason)"
    case let .invalidMergedDocument(path, message):
      "image \(path): the merged labels are not a valid document (\(message)); please report this bug"
    }
  }
}
