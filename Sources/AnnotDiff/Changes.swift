import AnnotModel

/// The kinds of annotation change the diff reports; also the filter names of the HTML page
/// and the keys of the per-class counts.
public enum ChangeKind: String, Sendable, Hashable, CaseIterable, Comparable {
  /// The annotation exists only on the new side.
  case added
  /// The annotation exists only on the old side.
  case removed
  /// The top-left corner of its bounding box moved.
  case moved
  /// The width or height of its bounding box changed.
  case resized
  /// The geometry changed beyond a move and a scale of its bounding box (vertex edit, mask edit, rotation, kind).
  case reshaped
  /// The class label changed.
  case relabeled
  /// An attribute was added, removed or changed.
  case attributes
  /// The confidence score was added, removed or changed.
  case score
  /// Another field changed: z_order, group, crowd, source_id, an explicit bbox, the shape kind.
  case other

  /// Declaration order.
  public static func < (a: ChangeKind, b: ChangeKind) -> Bool { a.ordinal < b.ordinal }

  /// The position in declaration order.
  public var ordinal: Int { Self.allCases.firstIndex(of: self)! }

  /// The key of this kind's count in JSON summaries: the kinds that name a field of the
  /// annotation say that it changed (`attributes_changed`), the others are their name.
  public var countKey: String {
    switch self {
    case .attributes, .score, .other: rawValue + "_changed"
    default: rawValue
    }
  }
}

/// A change of one named field, with JSON values (nil = absent on that side).
public struct FieldChange: Sendable, Equatable {
  /// The field name as written in documents (`z_order`, `media_type`, `attributes.weather`).
  public var field: String
  /// The old value, nil if absent.
  public var old: JSONValue?
  /// The new value, nil if absent.
  public var new: JSONValue?
  /// Creates a field change.
  public init(field: String, old: JSONValue?, new: JSONValue?) { self.field = field; self.old = old; self.new = new }
}

/// A change of one attribute of an annotation (nil = absent on that side).
public struct AttributeChange: Sendable, Hashable {
  /// The attribute name.
  public var key: String
  /// The old value, nil if the attribute was added.
  public var old: AttributeValue?
  /// The new value, nil if the attribute was removed.
  public var new: AttributeValue?
  /// Creates an attribute change.
  public init(key: String, old: AttributeValue?, new: AttributeValue?) { self.key = key; self.old = old; self.new = new }
}

/// What happened to one annotation between two documents of an image.
public struct AnnotationChange: Sendable, Equatable {
  /// Whether the annotation appeared, disappeared or changed.
  public enum Status: String, Sendable, Hashable { case added, removed, modified }
  /// Translation of the bounding box's top-left corner, in pixels (new − old).
  public struct Offset: Sendable, Hashable { public var dx: Double; public var dy: Double }
  /// Scale of the bounding box (new size / old size); nil for a side that was 0 wide or high.
  public struct Scale: Sendable, Hashable { public var sx: Double?; public var sy: Double? }
  /// The IoU (or OKS) of old and new geometry when the shape itself was edited.
  public struct Reshape: Sendable, Hashable { public var iou: Double }
  /// Old and new class label.
  public struct Relabel: Sendable, Hashable { public var from: String; public var to: String }
  /// Old and new confidence score (nil = absent).
  public struct ScoreChange: Sendable, Hashable { public var old: Double?; public var new: Double? }

  /// The annotation id: the new side's id, or the old one's for removals.
  public var id: String
  /// The old side's id when it differs from `id` (pairs found by geometry matching).
  public var oldID: String?
  /// Added, removed or modified.
  public var status: Status
  /// The annotation on the old side.
  public var old: Annotation?
  /// The annotation on the new side.
  public var new: Annotation?
  /// Set when the bounding box origin moved by more than the tolerance.
  public var moved: Offset?
  /// Set when the bounding box size changed by more than the tolerance.
  public var resized: Scale?
  /// Set when the geometry changed beyond a move and scale of its box.
  public var reshaped: Reshape?
  /// Set when the label changed.
  public var relabeled: Relabel?
  /// Attribute changes, sorted by key.
  public var attributes: [AttributeChange]
  /// Set when the score changed.
  public var score: ScoreChange?
  /// Other field changes (z_order, group, crowd, source_id, bbox, kind), sorted by field name.
  public var fields: [FieldChange]

  /// Creates a change record.
  public init(id: String, oldID: String? = nil, status: Status, old: Annotation?, new: Annotation?,
              moved: Offset? = nil, resized: Scale? = nil, reshaped: Reshape? = nil, relabeled: Relabel? = nil,
              attributes: [AttributeChange] = [], score: ScoreChange? = nil, fields: [FieldChange] = []) {
    self.id = id; self.oldID = oldID; self.status = status; self.old = old; self.new = new
    self.moved = moved; self.resized = resized; self.reshaped = reshaped; self.relabeled = relabeled
    self.attributes = attributes; self.score = score; self.fields = fields
  }

  /// The change kinds this record carries, in `ChangeKind` order.
  public var kinds: [ChangeKind] {
    switch status {
    case .added: return [.added]
    case .removed: return [.removed]
    case .modified:
      var k: [ChangeKind] = []
      if moved != nil { k.append(.moved) }
      if resized != nil { k.append(.resized) }
      if reshaped != nil { k.append(.reshaped) }
      if relabeled != nil { k.append(.relabeled) }
      if !attributes.isEmpty { k.append(.attributes) }
      if score != nil { k.append(.score) }
      if !fields.isEmpty { k.append(.other) }
      return k
    }
  }

  /// The class the change is counted under: the new label, or the old one for removals.
  public var className: String { new?.label ?? old?.label ?? "" }

  /// The shape kind (`box`, `polygon`, …): the new side's, or the old one's for removals.
  public var shapeKind: String { (new ?? old)?.shape.kind ?? "" }
}
