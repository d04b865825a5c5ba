import AnnotModel

/// Options and outcome of `mergeBlob`.
public enum BlobMerge {
  /// How `mergeBlob` decides.
  public struct Options: Sendable, Equatable {
    /// `-X ours` / `-X theirs`: take that side instead of reporting a conflict.
    public var strategy: ConflictChoice?
    /// Default options: no strategy.
    public init(strategy: ConflictChoice? = nil) { self.strategy = strategy }
  }
  /// The merged image bytes, or why they conflict.
  public enum Outcome: Sendable, Equatable {
    /// The bytes to keep (nil: the image file is deleted).
    case resolved(ObjectID?)
    /// Replaced differently on both sides (`modify/modify`), deleted vs replaced (`delete/modify`),
    /// or added differently on both (`add/add`). The merge keeps ours until resolved.
    case conflict(LabelConflict.Kind)
  }
}

/// Three-way merge of an image file by blob id. Image bytes are never merged inside: one side's
/// bytes win, or it is a conflict.
public func mergeBlob(base: ObjectID?, ours: ObjectID?, theirs: ObjectID?,
                      options: BlobMerge.Options = .init()) -> BlobMerge.Outcome {
  if ours == theirs { return .resolved(ours) }
  if base == ours { return .resolved(theirs) }
  if base == theirs { return .resolved(ours) }
  switch options.strategy {
  case .ours?: return .resolved(ours)
  case .theirs?: return .resolved(theirs)
  case .base?: return .resolved(base)
  case nil: break
  }
  return .conflict(base == nil ? .addAdd : (ours == nil || theirs == nil) ? .deleteModify : .modifyModify)
}

extension LabelConflict {
  /// The conflict record of an image file's bytes: field `image_bytes`, values the blob ids as hex strings.
  public static func imageBytes(path: String, kind: Kind, base: ObjectID?, ours: ObjectID?, theirs: ObjectID?) -> LabelConflict {
    LabelConflict(path: path, field: imageBytesField, kind: kind, base: base.map { .string($0.hex) },
                  ours: ours.map { .string($0.hex) }, theirs: theirs.map { .string($0.hex) })
  }
  /// The `field` name of image-bytes conflicts.
  public static let imageBytesField = "image_bytes"
}
