import AnnotModel
import Testing
@testable import AnnotMerge

func schema(_ classes: LabelClass..., attributes: [AttributeDefinition] = []) -> DatasetManifest {
  DatasetManifest(classes: classes, attributes: attributes)
}
func cls(_ id: Int, _ name: String, color: String? = nil, supercategory: String? = nil, keypoints: [String] = [],
         skeleton: [[Int]] = [], attributes: [AttributeDefinition] = []) -> LabelClass {
  LabelClass(id: id, name: name, color: color, supercategory: supercategory, keypoints: keypoints, skeleton: skeleton, attributes: attributes)
}
let occluded = AttributeDefinition(name: "occluded", kind: .bool)
let truncated = AttributeDefinition(name: "truncated", kind: .bool)

/// One row of the schema merge table ("base: X, ours: Y, theirs: Z = result"); also run swapped.
/// Conflict paths are always `annot.json`; `Expected.annotation` stays nil.
struct ManifestCase: Sendable, CustomTestStringConvertible {
  var name: String
  var base: DatasetManifest?, ours: DatasetManifest, theirs: DatasetManifest
  var merged: DatasetManifest
  var mergedIfSwapped: DatasetManifest?
  var conflicts: [Expected] = []
  var notes = 0
  var testDescription: String { name }

  static let all: [ManifestCase] = [
    ManifestCase(name: "class 1: ours color, theirs name = both",
                 base: schema(cls(1, "car")), ours: schema(cls(1, "car", color: "#ff0000")), theirs: schema(cls(1, "auto")),
                 merged: schema(cls(1, "auto", color: "#ff0000"))),
    ManifestCase(name: "class 1 name: car, ours auto, theirs vehicle = conflict classes.1.name",
                 base: schema(cls(1, "car")), ours: schema(cls(1, "auto")), theirs: schema(cls(1, "vehicle")),
                 merged: schema(cls(1, "auto")), mergedIfSwapped: schema(cls(1, "vehicle")),
                 conflicts: [Expected(nil, "classes.1.name", .modifyModify, base: #""car""#, ours: #""auto""#, theirs: #""vehicle""#)]),
    ManifestCase(name: "class 2 added on ours only = added",
                 base: schema(cls(1, "car")), ours: schema(cls(1, "car"), cls(2, "bus")), theirs: schema(cls(1, "car", color: "#00ff00")),
                 merged: schema(cls(1, "car", color: "#00ff00"), cls(2, "bus"))),
    ManifestCase(name: "class 5 added on both, bus vs tram = conflict add/add classes.5",
                 base: schema(), ours: schema(cls(5, "bus")), theirs: schema(cls(5, "tram")),
                 merged: schema(cls(5, "bus")), mergedIfSwapped: schema(cls(5, "tram")),
                 conflicts: [Expected(nil, "classes.5", .addAdd, base: nil, ours: #"{"id":5,"name":"bus"}"#, theirs: #"{"id":5,"name":"tram"}"#)]),
    ManifestCase(name: "class 5 added on both, same name, colours differ = conflict classes.5.color (add/add)",
                 base: schema(), ours: schema(cls(5, "bus", color: "#111111", supercategory: "vehicle")),
                 theirs: schema(cls(5, "bus", color: "#222222")),
                 merged: schema(cls(5, "bus", color: "#111111", supercategory: "vehicle")),
                 mergedIfSwapped: schema(cls(5, "bus", color: "#222222", supercategory: "vehicle")),
                 conflicts: [Expected(nil, "classes.5.color", .addAdd, base: nil, ours: ##""#111111""##, theirs: ##""#222222""##)]),
    ManifestCase(name: "class 2: ours deleted, theirs recoloured = conflict delete/modify classes.2",
                 base: schema(cls(1, "car"), cls(2, "bus")), ours: schema(cls(1, "car")),
                 theirs: schema(cls(1, "car"), cls(2, "bus", color: "#333333")),
                 merged: schema(cls(1, "car")), mergedIfSwapped: schema(cls(1, "car"), cls(2, "bus", color: "#333333")),
                 conflicts: [Expected(nil, "classes.2", .deleteModify, base: #"{"id":2,"name":"bus"}"#, ours: nil,
                                      theirs: ##"{"color":"#333333","id":2,"name":"bus"}"##)]),
    ManifestCase(name: "class 2 deleted on theirs, unchanged on ours; class 3 deleted on both = both gone",
                 base: schema(cls(1, "car"), cls(2, "bus"), cls(3, "van")), ours: schema(cls(1, "car"), cls(2, "bus")),
                 theirs: schema(cls(1, "car")),
                 merged: schema(cls(1, "car"))),
    ManifestCase(name: "person: ours keypoints+skeleton, theirs supercategory = both",
                 base: schema(cls(1, "person")), ours: schema(cls(1, "person", keypoints: ["nose", "eye"], skeleton: [[1, 2]])),
                 theirs: schema(cls(1, "person", supercategory: "human")),
                 merged: schema(cls(1, "person", supercategory: "human", keypoints: ["nose", "eye"], skeleton: [[1, 2]]))),
    ManifestCase(name: "class attributes: ours [occluded], theirs [truncated] = conflict classes.1.attributes",
                 base: schema(cls(1, "car")), ours: schema(cls(1, "car", attributes: [occluded])),
                 theirs: schema(cls(1, "car", attributes: [truncated])),
                 merged: schema(cls(1, "car", attributes: [occluded])), mergedIfSwapped: schema(cls(1, "car", attributes: [truncated])),
                 conflicts: [Expected(nil, "classes.1.attributes", .addAdd, base: nil,
                                      ours: #"[{"name":"occluded","type":"bool"}]"#, theirs: #"[{"name":"truncated","type":"bool"}]"#)]),
    ManifestCase(name: "global attributes: ours adds occluded, theirs adds truncated = both (ours first)",
                 base: schema(cls(1, "car")), ours: schema(cls(1, "car"), attributes: [occluded]),
                 theirs: schema(cls(1, "car"), attributes: [truncated]),
                 merged: schema(cls(1, "car"), attributes: [occluded, truncated]),
                 mergedIfSwapped: schema(cls(1, "car"), attributes: [truncated, occluded])),
    ManifestCase(name: "global attribute occluded: bool, ours select, theirs string = conflict attributes.occluded",
                 base: schema(attributes: [occluded]),
                 ours: schema(attributes: [AttributeDefinition(name: "occluded", kind: .select, values: ["no", "part", "full"])]),
                 theirs: schema(attributes: [AttributeDefinition(name: "occluded", kind: .string)]),
                 merged: schema(attributes: [AttributeDefinition(name: "occluded", kind: .select, values: ["no", "part", "full"])]),
                 mergedIfSwapped: schema(attributes: [AttributeDefinition(name: "occluded", kind: .string)]),
                 conflicts: [Expected(nil, "attributes.occluded", .modifyModify, base: #"{"name":"occluded","type":"bool"}"#,
                                      ours: #"{"name":"occluded","type":"select","values":["no","part","full"]}"#,
                                      theirs: #"{"name":"occluded","type":"string"}"#)]),
    ManifestCase(name: "global attribute removed on theirs, unchanged on ours = removed",
                 base: schema(attributes: [occluded, truncated]), ours: schema(attributes: [occluded, truncated]),
                 theirs: schema(cls(1, "car"), attributes: [truncated]),
                 merged: schema(cls(1, "car"), attributes: [truncated])),
    ManifestCase(name: "class bus added on both as id 7 (ours) and 9 (theirs) = id 7 + note",
                 base: schema(cls(1, "car")), ours: schema(cls(1, "car"), cls(7, "bus")), theirs: schema(cls(1, "car"), cls(9, "bus")),
                 merged: schema(cls(1, "car"), cls(7, "bus")), mergedIfSwapped: schema(cls(1, "car"), cls(9, "bus")), notes: 1),
    ManifestCase(name: "classes 1 and 2 renamed to the same name = conflict name/name on classes.2.name",
                 base: schema(cls(1, "car"), cls(2, "auto")), ours: schema(cls(1, "vehicle"), cls(2, "auto")),
                 theirs: schema(cls(1, "car"), cls(2, "vehicle")),
                 merged: schema(cls(1, "vehicle"), cls(2, "vehicle")),
                 conflicts: [Expected(nil, "classes.2.name", .nameClash, base: #""auto""#, ours: #""auto""#, theirs: #""vehicle""#)]),
  ]
}

@Test(arguments: ManifestCase.all)
func manifestMerge(_ c: ManifestCase) throws {
  let outcome = try mergeManifests(base: c.base, ours: c.ours, theirs: c.theirs)
  #expect(outcome.merged == c.merged)
  #expect(outcome.conflicts == c.conflicts.map { $0.conflict(path: "annot.json") })
  #expect(outcome.notes.count == c.notes)
}

@Test(arguments: ManifestCase.all)
func manifestMergeSwapped(_ c: ManifestCase) throws {
  let outcome = try mergeManifests(base: c.base, ours: c.theirs, theirs: c.ours)
  #expect(outcome.merged == (c.mergedIfSwapped ?? c.merged))
  #expect(outcome.conflicts == c.conflicts.map { $0.conflict(path: "annot.json").mirrored })
  #expect(outcome.notes.count == c.notes)
}

@Test func manifestStrategyTheirsSettlesEverything() throws {
  let outcome = try mergeManifests(base: schema(cls(1, "car"), cls(2, "bus")),
                                   ours: schema(cls(1, "auto"), cls(2, "bus", color: "#010101")),
                                   theirs: schema(cls(1, "vehicle"), attributes: [occluded]),
                                   options: .init(strategy: .theirs))
  #expect(outcome.conflicts.isEmpty)
  #expect(outcome.settled.map(\.field) == ["classes.1.name", "classes.2"])
  #expect(outcome.merged == schema(cls(1, "vehicle"), attributes: [occluded]))
}

// MARK: - Image bytes

@Test func blobMergeCases() {
  let a = ObjectID(hex: String(repeating: "a", count: 40))!, b = ObjectID(hex: String(repeating: "b", count: 40))!,
      c = ObjectID(hex: String(repeating: "c", count: 40))!
  // (name, base, ours, theirs, expected); each also checked swapped.
  let table: [(String, ObjectID?, ObjectID?, ObjectID?, BlobMerge.Outcome, BlobMerge.Outcome)] = [
    ("base: a, ours: a, theirs: a = a", a, a, a, .resolved(a), .resolved(a)),
    ("base: a, ours: b, theirs: a = b", a, b, a, .resolved(b), .resolved(b)),
    ("base: a, ours: b, theirs: b = b", a, b, b, .resolved(b), .resolved(b)),
    ("base: a, ours: b, theirs: c = modify/modify", a, b, c, .conflict(.modifyModify), .conflict(.modifyModify)),
    ("base: a, ours: -, theirs: a = deleted", a, nil, a, .resolved(nil), .resolved(nil)),
    ("base: a, ours: -, theirs: b = delete/modify", a, nil, b, .conflict(.deleteModify), .conflict(.deleteModify)),
    ("base: -, ours: a, theirs: - = a", nil, a, nil, .resolved(a), .resolved(a)),
    ("base: -, ours: a, theirs: b = add/add", nil, a, b, .conflict(.addAdd), .conflict(.addAdd)),
    ("base: a, ours: -, theirs: - = deleted", a, nil, nil, .resolved(nil), .resolved(nil)),
  ]
  for (name, base, ours, theirs, expected, swapped) in table {
    #expect(mergeBlob(base: base, ours: ours, theirs: theirs) == expected, "\(name)")
    #expect(mergeBlob(base: base, ours: theirs, theirs: ours) == swapped, "\(name) (swapped)")
  }
  #expect(mergeBlob(base: a, ours: b, theirs: c, options: .init(strategy: .theirs)) == .resolved(c))
  #expect(mergeBlob(base: a, ours: nil, theirs: c, options: .init(strategy: .ours)) == .resolved(nil))
  let record = LabelConflict.imageBytes(path: P, kind: .deleteModify, base: a, ours: nil, theirs: c)
  #expect(record.field == "image_bytes")
  #expect(record.base == .string(String(repeating: "a", count: 40)))
  #expect(record.ours == nil)
}
