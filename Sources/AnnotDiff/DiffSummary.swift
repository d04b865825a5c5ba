/// Annotation change counts, overall or for one class.
///
/// A modified annotation counts once under every kind it carries (a box moved and relabeled
/// adds 1 to `moved` and 1 to `relabeled`).
public struct ChangeCounts: Sendable, Hashable {
  /// Annotations added.
  public var added = 0
  /// Annotations removed.
  public var removed = 0
  /// Annotations moved.
  public var moved = 0
  /// Annotations resized.
  public var resized = 0
  /// Annotations reshaped.
  public var reshaped = 0
  /// Annotations relabeled.
  public var relabeled = 0
  /// Annotations with attribute changes.
  public var attributesChanged = 0
  /// Annotations with score changes.
  public var scoreChanged = 0
  /// Annotations with other field changes.
  public var otherChanged = 0

  /// All zero.
  public init() {}

  /// The count of one change kind.
  public subscript(kind: ChangeKind) -> Int {
    get {
      switch kind {
      case .added: added
      case .removed: removed
      case .moved: moved
      case .resized: resized
      case .reshaped: reshaped
      case .relabeled: relabeled
      case .attributes: attributesChanged
      case .score: scoreChanged
      case .other: otherChanged
      }
    }
    set {
      switch kind {
      case .added: added = newValue
      case .removed: removed = newValue
      case .moved: moved = newValue
      case .resized: resized = newValue
      case .reshaped: reshaped = newValue
      case .relabeled: relabeled = newValue
      case .attributes: attributesChanged = newValue
      case .score: scoreChanged = newValue
      case .other: otherChanged = newValue
      }
    }
  }

  /// True when every count is zero.
  public var isZero: Bool { ChangeKind.allCases.allSatisfy { self[$0] == 0 } }
}

/// Counts over a dataset diff: images by status, annotations by change kind, and per class.
///
/// An image can be both `modified` (labels or record changed) and `replaced` (bytes changed):
/// `imagesModified` counts images of status modified, `imagesReplaced` those whose bytes changed.
/// Per-class counts use the class of the new side; a relabeled annotation counts under its
/// NEW class, a removed one under its old class.
public struct DiffSummary: Sendable, Hashable {
  /// Images added.
  public var imagesAdded = 0
  /// Images removed.
  public var imagesRemoved = 0
  /// Images present on both sides under the same path with changes.
  public var imagesModified = 0
  /// Images whose bytes changed.
  public var imagesReplaced = 0
  /// Images renamed.
  public var imagesRenamed = 0
  /// Annotation counts over all images.
  public var annotations = ChangeCounts()
  /// Annotation counts per class name.
  public var byClass: [String: ChangeCounts] = [:]

  /// All zero.
  public init() {}

  /// Counts the given image diffs.
  public init(images: [ImageDiff]) {
    for image in images {
      switch image.status {
      case .added: imagesAdded += 1
      case .removed: imagesRemoved += 1
      case .modified: imagesModified += 1
      case .renamed: imagesRenamed += 1
      }
      if image.replaced != nil { imagesReplaced += 1 }
      for c in image.labels.changes {
        var perClass = byClass[c.className] ?? ChangeCounts()
        for k in c.kinds { annotations[k] += 1; perClass[k] += 1 }
        byClass[c.className] = perClass
      }
    }
  }
}
