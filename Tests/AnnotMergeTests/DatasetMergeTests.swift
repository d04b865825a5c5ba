import Testing
import AnnotModel
import AnnotTestSupport
@testable import AnnotMerge

/// DatasetMerge over constructed tree changes and an in-memory object store (no libgit2): one
/// case per row of the whole-dataset table in Docs/MERGE.md.
@Suite struct DatasetMergeTests {
  let store = MemoryObjects()
  func change(_ path: String, _ old: ObjectID?, _ new: ObjectID?) -> EntryChange { EntryChange(path: path, oldBlob: old, newBlob: new) }
  func docBlob(_ label: String, x: Double = 0) -> ObjectID { store.put(F.doc("a.png", [F.box("1", label, x, 0, 10, 10)])) }

  @Test func changedOnOneSideOnlyTakesThatSideAndTheSameChangeOnBothIsKept() throws {
    let base = docBlob("car"), theirs = docBlob("truck"), img = store.put([1, 2, 3])
    let out = try DatasetMerge.merge(ours: [change("labels/b.png.json", nil, docBlob("dog"))],
                                     theirs: [change("labels/a.png.json", base, theirs), change("images/c.png", nil, img), change("images/b.png", nil, img)],
                                     hasBase: true, objects: store)
    #expect(out.edits.map(\.path) == ["labels/a.png.json", "images/c.png", "images/b.png"])
    #expect(out.edits[0].edit == .blob(theirs) && out.conflicts.isEmpty)
    #expect(out.imagesTouched == ["a.png", "c.png", "b.png"])
    // The same change on both sides: nothing to edit (ours already has it).
    let same = try DatasetMerge.merge(ours: [change("images/c.png", nil, img)], theirs: [change("images/c.png", nil, img)], hasBase: true, objects: store)
    #expect(same.edits.isEmpty && same.conflicts.isEmpty && same.imagesTouched == ["c.png"])
  }

  @Test func documentsChangedOnBothSidesMergePerField() throws {
    let base = docBlob("car")
    let ours = store.put(F.doc("a.png", [F.box("1", "car", 5, 0, 10, 10)]))   // moved
    let theirs = docBlob("truck")                                              // relabeled
    let out = try DatasetMerge.merge(ours: [change("labels/a.png.json", base, ours)], theirs: [change("labels/a.png.json", base, theirs)],
                                     hasBase: true, objects: store)
    #expect(out.conflicts.isEmpty)
    guard case .bytes(let bytes) = out.edits.first?.edit else { Issue.record("no merged document"); return }
    let merged = try LabelDocument.decode(bytes)
    #expect(merged.annotations.first?.label == "truck" && merged.annotations.first?.boundingBox?.x == 5)
    // Both relabel differently: a conflict, unless a strategy settles it.
    let clash = try DatasetMerge.merge(ours: [change("labels/a.png.json", base, docBlob("bus"))], theirs: [change("labels/a.png.json", base, theirs)],
                                       hasBase: true, objects: store)
    #expect(clash.conflicts.map(\.field) == ["label"])
    let settled = try DatasetMerge.merge(ours: [change("labels/a.png.json", base, docBlob("bus"))], theirs: [change("labels/a.png.json", base, theirs)],
                                         hasBase: true, objects: store, options: .init(strategy: .theirs))
    #expect(settled.conflicts.isEmpty)
  }

  @Test func imageBytesSchemaAndUnknownFiles() throws {
    let a = store.put([1]), b = store.put([2]), c = store.put([3])
    let bytes = try DatasetMerge.merge(ours: [change("images/a.png", a, b)], theirs: [change("images/a.png", a, c)], hasBase: true, objects: store)
    #expect(bytes.conflicts.count == 1 && bytes.edits.isEmpty)
    var m0 = DatasetManifest(), m1 = DatasetManifest(), m2 = DatasetManifest()
    m0.classes = [LabelClass(id: 1, name: "car")]
    m1.classes = m0.classes + [LabelClass(id: 2, name: "person")]
    m2.classes = m0.classes + [LabelClass(id: 3, name: "bike")]
    let schema = try DatasetMerge.merge(ours: [change("annot.json", store.put(m0), store.put(m1))], theirs: [change("annot.json", store.put(m0), store.put(m2))],
                                        hasBase: true, objects: store)
    guard case .bytes(let merged) = schema.edits.first?.edit else { Issue.record("no merged schema"); return }
    #expect(try DatasetManifest.decode(merged).classes.map(\.name) == ["car", "person", "bike"])
    let other = try DatasetMerge.merge(ours: [change("README.md", a, b)], theirs: [change("README.md", a, c)], hasBase: true, objects: store)
    #expect(other.conflicts.map(\.field) == ["file"])
    // A document that does not parse names the entry.
    #expect(throws: DatasetMerge.InvalidFile.self) {
      try DatasetMerge.merge(ours: [change("labels/a.png.json", a, b)], theirs: [change("labels/a.png.json", a, store.put(Array("{".utf8)))],
                             hasBase: true, objects: store)
    }
  }
}
