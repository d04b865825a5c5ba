/// Annotation change counts, overall or for one class.
///
/// A modified annotation counts once under every kind it carries (a box moved and relabeled
/// adds 1 to `moved` and 1 to `relabeled`).
public struct ChangeCounts: Sendable, Hashable {
  /// One counter per change kind, in declaration order: a new kind needs no new field here.
  private var values = [Int](repeating: 0, count: ChangeKind.allCases.count)

  /// All zero.
  public init() {}

  /// The count of one change kind.
  public subscript(kind: ChangeKind) -> Int {
    get { values[kind.ordinal] }
    set { values[kind.ordinal] = newValue }
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
