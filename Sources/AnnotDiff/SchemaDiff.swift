import AnnotModel

/// Differences between two label schemas (`annot.json`). Classes are paired by their stable id.
public struct SchemaDiff: Sendable, Hashable {
  /// A class named by id and name.
  public struct ClassRef: Sendable, Hashable {
    /// The class id.
    public var id: Int
    /// The class name (the new one when it changed).
    public var name: String
    /// Creates a class reference.
    public init(id: Int, name: String) { self.id = id; self.name = name }
  }
  /// A class whose name changed under the same id.
  public struct Rename: Sendable, Hashable {
    /// The class id.
    public var id: Int
    /// The old name.
    public var from: String
    /// The new name.
    public var to: String
    /// Creates a rename.
    public init(id: Int, from: String, to: String) { self.id = id; self.from = from; self.to = to }
  }
  /// A class whose colour changed (nil = no colour).
  public struct Recolor: Sendable, Hashable {
    /// The class id.
    public var id: Int
    /// The (new) class name.
    public var name: String
    /// The old colour.
    public var from: String?
    /// The new colour.
    public var to: String?
    /// Creates a recolor record.
    public init(id: Int, name: String, from: String?, to: String?) { self.id = id; self.name = name; self.from = from; self.to = to }
  }
  /// A class with other edits: the names of the changed fields.
  public struct Edit: Sendable, Hashable {
    /// The class id.
    public var id: Int
    /// The (new) class name.
    public var name: String
    /// Changed fields among `supercategory`, `keypoints`, `skeleton`, `attributes`, sorted.
    public var fields: [String]
    /// Creates an edit record.
    public init(id: Int, name: String, fields: [String]) { self.id = id; self.name = name; self.fields = fields }
  }

  /// Classes only in the new schema, by id.
  public var added: [ClassRef] = []
  /// Classes only in the old schema, by id.
  public var removed: [ClassRef] = []
  /// Classes renamed, by id.
  public var renamed: [Rename] = []
  /// Classes recoloured, by id.
  public var recolored: [Recolor] = []
  /// Classes with other edits, by id.
  public var edited: [Edit] = []
  /// True when the dataset-wide attribute definitions changed.
  public var attributesChanged = false
  /// True when the manifest itself was added (nil old side) or removed (nil new side).
  public var manifestAdded = false
  /// True when the manifest was deleted.
  public var manifestRemoved = false

  /// Creates an empty schema diff.
  public init() {}

  /// True when nothing changed.
  public var isEmpty: Bool {
    added.isEmpty && removed.isEmpty && renamed.isEmpty && recolored.isEmpty && edited.isEmpty
      && !attributesChanged && !manifestAdded && !manifestRemoved
  }

  /// Compares two manifests; a nil side counts as an empty schema.
  public static func compare(old: DatasetManifest?, new: DatasetManifest?) -> SchemaDiff {
    var d = SchemaDiff()
    d.manifestAdded = old == nil && new != nil
    d.manifestRemoved = old != nil && new == nil
    let o = old ?? DatasetManifest(), n = new ?? DatasetManifest()
    let oldByID = Dictionary(o.classes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    let newByID = Dictionary(n.classes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    for id in Set(oldByID.keys).union(newByID.keys).sorted() {
      switch (oldByID[id], newByID[id]) {
      case (nil, let b?): d.added.append(ClassRef(id: id, name: b.name))
      case (let a?, nil): d.removed.append(ClassRef(id: id, name: a.name))
      case (let a?, let b?):
        if a.name != b.name { d.renamed.append(Rename(id: id, from: a.name, to: b.name)) }
        if a.color != b.color { d.recolored.append(Recolor(id: id, name: b.name, from: a.color, to: b.color)) }
        var fields: [String] = []
        if a.attributes != b.attributes { fields.append("attributes") }
        if a.keypoints != b.keypoints { fields.append("keypoints") }
        if a.skeleton != b.skeleton { fields.append("skeleton") }
        if a.supercategory != b.supercategory { fields.append("supercategory") }
        if !fields.isEmpty { d.edited.append(Edit(id: id, name: b.name, fields: fields)) }
      case (nil, nil): break
      }
    }
    d.attributesChanged = o.attributes != n.attributes
    return d
  }
}
