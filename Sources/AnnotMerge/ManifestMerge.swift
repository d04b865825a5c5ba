import AnnotModel

/// Options and outcome of `mergeManifests`.
public enum ManifestMerge {
  /// How `mergeManifests` decides.
  public struct Options: Sendable, Equatable {
    /// `-X ours` / `-X theirs`: settle every schema conflict that way.
    public var strategy: ConflictChoice?
    /// Default options: no strategy.
    public init(strategy: ConflictChoice? = nil) { self.strategy = strategy }
  }
  /// What a schema merge produced.
  public struct Outcome: Sendable, Equatable {
    /// The merged schema; conflicting fields hold OUR value.
    public var merged: DatasetManifest
    /// Open conflicts (path `annot.json`): classes by id, then global attributes by name.
    public var conflicts: [LabelConflict]
    /// Decisions worth telling (a class both sides added under different ids).
    public var notes: [String]
    /// Conflicts `Options.strategy` settled.
    public var settled: [LabelConflict]
  }
}

/// Three-way merge of the dataset manifest (`annot.json`): the label schema.
///
/// Classes merge by id, field by field (`classes.<id>.name`, `.color`, `.supercategory`,
/// `.keypoints`, `.skeleton`, `.attributes` (the class's attribute definitions as one value)).
/// The same class changed differently → `modify/modify`; deleted on one side and changed on the
/// other → `delete/modify` on `classes.<id>`; added on both with the same id and different names →
/// `add/add` on `classes.<id>` (same name: merged field by field against an empty base).
/// Both sides adding the same class name under different ids keeps ours and notes it; any other
/// pair of classes left with one name is a `name/name` conflict on the higher id's `name`.
/// Global attribute definitions merge by name as whole values (`attributes.<name>`).
///
/// - Parameter base: the merge base's manifest; nil for unrelated histories.
/// - Throws: `MergeError.invalidMergedDocument` only if merged values fail to decode (a bug).
public func mergeManifests(base: DatasetManifest?, ours: DatasetManifest, theirs: DatasetManifest,
                           options: ManifestMerge.Options = .init()) throws(MergeError) -> ManifestMerge.Outcome {
  let path = DatasetPath.manifestEntry
  if ours == theirs || base == theirs { return .init(merged: ours, conflicts: [], notes: [], settled: []) }
  if base == ours { return .init(merged: theirs, conflicts: [], notes: [], settled: []) }
  var conflicts: [LabelConflict] = []
  var notes: [String] = []

  var byID: [Int: (b: LabelClass?, o: LabelClass?, t: LabelClass?)] = [:]
  for c in base?.classes ?? [] { byID[c.id, default: (nil, nil, nil)].b = c }
  for c in ours.classes { byID[c.id, default: (nil, nil, nil)].o = c }
  for c in theirs.classes { byID[c.id, default: (nil, nil, nil)].t = c }

  var merged: [LabelClass] = []
  var addedByTheirs = Set<Int>()
  for id in byID.keys.sorted() {
    let (b, o, t) = byID[id]!
    let whole = "classes.\(id)"
    if o == t { if let o { merged.append(o) }; continue }
    if b == o { if let t { merged.append(t); if b == nil { addedByTheirs.insert(id) } }; continue }
    if b == t { if let o { merged.append(o) }; continue }
    guard let o, let t else {
      conflicts.append(LabelConflict(path: path, field: whole, kind: .deleteModify, base: b.map(SchemaJSON.labelClass),
                                     ours: o.map(SchemaJSON.labelClass), theirs: t.map(SchemaJSON.labelClass)))
      if let o { merged.append(o) }
      continue
    }
    if b == nil, o.name != t.name {
      conflicts.append(LabelConflict(path: path, field: whole, kind: .addAdd, base: nil,
                                     ours: SchemaJSON.labelClass(o), theirs: SchemaJSON.labelClass(t)))
      merged.append(o)
      continue
    }
    let fb = b.map(SchemaJSON.classFields) ?? [:], fo = SchemaJSON.classFields(o), ft = SchemaJSON.classFields(t)
    let fields = ThreeWay.mergeFields(fb, fo, ft, order: SchemaJSON.classFieldOrder)
    for (f, kind) in fields.conflicts {
      conflicts.append(LabelConflict(path: path, field: "\(whole).\(f)", kind: kind, base: fb[f], ours: fo[f], theirs: ft[f]))
    }
    merged.append(try SchemaJSON.buildClass(fields.merged, id: id))
  }

  // One name, several ids.
  let groups = Dictionary(grouping: merged, by: \.name).filter { $0.value.count > 1 }
  for name in groups.keys.sorted(by: utf8Less) {
    var group = groups[name]!.sorted { $0.id < $1.id }
    if group.contains(where: { !addedByTheirs.contains($0.id) }) {
      for c in group where addedByTheirs.contains(c.id) {
        let kept = group.first { !addedByTheirs.contains($0.id) }!
        merged.removeAll { $0.id == c.id }
        notes.append("schema: class \"\(name)\" was added on both sides, with id \(kept.id) (ours) and \(c.id) (theirs); kept id \(kept.id)")
      }
      group.removeAll { addedByTheirs.contains($0.id) }
    }
    for c in group.dropFirst() {
      let (b, o, t) = byID[c.id]!
      conflicts.append(LabelConflict(path: path, field: "classes.\(c.id).name", kind: .nameClash, base: b.map { .string($0.name) },
                                     ours: o.map { .string($0.name) }, theirs: t.map { .string($0.name) }))
    }
  }

  // Global attribute definitions, by name; ours' order, then theirs' additions in their order.
  let ab = SchemaJSON.attributes(base?.attributes ?? []), ao = SchemaJSON.attributes(ours.attributes),
      at = SchemaJSON.attributes(theirs.attributes)
  let order = ours.attributes.map(\.name) + theirs.attributes.map(\.name).filter { ao[$0] == nil }
  var attributes: [JSONValue] = []
  for name in order {
    let (v, kind) = ThreeWay.merge(ab[name], ao[name], at[name])
    if let v { attributes.append(v) }
    if let kind {
      conflicts.append(LabelConflict(path: path, field: "attributes.\(name)", kind: kind, base: ab[name], ours: ao[name], theirs: at[name]))
    }
  }

  var manifest = DatasetManifest(classes: merged, attributes: try SchemaJSON.decodeAttributes(attributes))
  var settled: [LabelConflict] = []
  if let choice = options.strategy, !conflicts.isEmpty {
    manifest = try resolve(conflicts, inManifest: manifest, choice: choice)
    notes.append("schema: settled \(conflicts.count) conflict(s) with -X \(choice.rawValue)")
    settled = conflicts
    conflicts = []
  }
  return .init(merged: manifest, conflicts: conflicts, notes: notes, settled: settled)
}

/// Settles schema conflicts (path `annot.json`) by writing the chosen side's values into `manifest`.
/// The schema counterpart of `resolve(_:in:choice:forAnnotation:)`.
public func resolve(_ conflicts: [LabelConflict], inManifest manifest: DatasetManifest,
                    choice: ConflictChoice) throws(MergeError) -> DatasetManifest {
  var classes = manifest.classes
  var attributes = manifest.attributes
  for c in conflicts {
    func fail(_ reason: String) -> MergeError { .unresolvable(path: c.path, annotationID: nil, field: c.field, reason: reason) }
    guard let field = c.field else { throw fail("schema conflicts always name a field") }
    let value = c.value(choice)
    let parts = field.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    if parts[0] == "attributes", parts.count >= 2 {
      let name = String(field.dropFirst("attributes.".count))
      let index = attributes.firstIndex { $0.name == name }
      let chosen = try value.map { v throws(MergeError) in try SchemaJSON.decodeAttributes([v]) }?.first
      switch (index, chosen) {
      case let (i?, a?): attributes[i] = a
      case let (i?, nil): attributes.remove(at: i)
      case let (nil, a?): attributes.append(a)
      case (nil, nil): break
      }
      continue
    }
    guard parts[0] == "classes", parts.count >= 2, let id = Int(parts[1]) else { throw fail("unknown schema field") }
    if parts.count == 2 {
      classes.removeAll { $0.id == id }
      if let value {
        guard case .object(var o) = value else { throw fail("a class must be an object") }
        o["id"] = nil
        classes.append(try SchemaJSON.buildClass(o, id: id))
      }
      continue
    }
    guard let i = classes.firstIndex(where: { $0.id == id }) else { throw fail("class \(id) is not in the merged schema") }
    var fields = SchemaJSON.classFields(classes[i])
    fields[parts[2]] = value
    classes[i] = try SchemaJSON.buildClass(fields, id: id)
  }
  return DatasetManifest(classes: classes, attributes: attributes)
}

/// Schema values as the manifest writes them, taken from `DatasetManifest.json` so the encoding
/// stays the model's.
enum SchemaJSON {
  static func labelClass(_ c: LabelClass) -> JSONValue {
    DatasetManifest(classes: [c]).json["classes"]?.arrayValue?.first ?? .null
  }
  static func classFields(_ c: LabelClass) -> [String: JSONValue] {
    var o = labelClass(c).objectValue ?? [:]
    o["id"] = nil
    return o
  }
  static let classOrder = ["name", "color", "supercategory", "keypoints", "skeleton", "attributes"]
  static func classFieldOrder(_ names: [String]) -> [String] {
    classOrder.filter(names.contains) + names.filter { !classOrder.contains($0) }.sorted(by: utf8Less)
  }
  static func attributes(_ defs: [AttributeDefinition]) -> [String: JSONValue] {
    let values = DatasetManifest(attributes: defs).json["attributes"]?.arrayValue ?? []
    var out: [String: JSONValue] = [:]
    for (d, v) in zip(defs, values) { out[d.name] = v }
    return out
  }
  private static func decodeManifest(classes: [JSONValue], attributes: [JSONValue]) throws(MergeError) -> DatasetManifest {
    let v: JSONValue = .object(["format": .string("annot"), "version": .number(Double(DatasetManifest.currentVersion)),
                                "classes": .array(classes), "attributes": .array(attributes)])
    do { return try DatasetManifest.decode(CanonicalJSON.encode(v)) } catch {
      throw .invalidMergedDocument(path: DatasetPath.manifestEntry, message: error.description)
    }
  }
  static func buildClass(_ fields: [String: JSONValue], id: Int) throws(MergeError) -> LabelClass {
    var o = fields
    o["id"] = .number(Double(id))
    guard let c = try decodeManifest(classes: [.object(o)], attributes: []).classes.first else {
      throw .invalidMergedDocument(path: DatasetPath.manifestEntry, message: "class \(id) vanished")
    }
    return c
  }
  static func decodeAttributes(_ values: [JSONValue]) throws(MergeError) -> [AttributeDefinition] {
    try decodeManifest(classes: [], attributes: values).attributes
  }
}
