import Testing
import AnnotModel
import AnnotTestSupport
@testable import AnnotDiff

/// DatasetDiff over a constructed tree diff: modified, replaced, renamed, added, removed images,
/// a "rename" whose labels changed (not a rename), the schema diff, read costs and errors.
@Suite struct DatasetDiffTests {
  typealias Scenario = DiffFixtures.Scenario
  static func pixels(_ n: Int, _ seed: UInt8) -> [UInt8] { DiffFixtures.pixels(n, seed) }
  static func scenario() -> Scenario { DiffFixtures.scenario() }

  @Test func imagesByStatus() throws {
    let s = Self.scenario()
    var sizeCalls: [ObjectID] = []
    let out = try DatasetDiff.compare(s.changes.reversed(), objects: s.store, imageByteSize: { id in
      sizeCalls.append(id); return s.sizes[id]!
    })
    #expect(out.images.map(\.path) == ["train/a.png", "train/b.png", "train/c2.png", "train/d.png", "train/f.png", "train/f2.png", "val/e.png"])
    #expect(out.images.map(\.status) == [.modified, .modified, .renamed, .removed, .removed, .added, .added])
    let b = out.images[1]
    #expect(b.replaced == .init(oldSize: 100, newSize: 120))
    #expect(b.labels.isEmpty)
    #expect(sizeCalls.count == 2)   // only the replaced image's two blobs
    #expect(out.images[2].oldPath == "train/c.png")
    #expect(out.images[2].labels.changes.isEmpty)
    #expect(out.images[0].labels.changes.map(\.kinds) == [[.moved]])
    #expect(out.images[3].labels.changes.map(\.status) == [.removed, .removed])
    #expect(out.schema == nil)

    let sum = out.summary
    #expect([sum.imagesAdded, sum.imagesRemoved, sum.imagesModified, sum.imagesReplaced, sum.imagesRenamed] == [2, 2, 2, 1, 1])
    // Added: e's cat + f2's truck; removed: d's car and person + f's car; a's car moved.
    #expect(sum.annotations[.added] == 2 && sum.annotations[.removed] == 3 && sum.annotations[.moved] == 1)
    #expect(sum.byClass["car"].map { [$0[.removed], $0[.moved]] } == [2, 1])
    #expect(sum.byClass["truck"]?[.added] == 1)
    #expect(sum.byClass.keys.sorted() == ["car", "cat", "person", "truck"])
  }

  @Test func readsOnlyChangedLabelDocuments() throws {
    let s = Self.scenario()
    _ = try DatasetDiff.compare(s.changes, objects: s.store, imageByteSize: { s.sizes[$0]! })
    // Every read is a label blob of a changed entry, each read once; image bytes are never read.
    #expect(Set(s.store.reads) == s.labelBlobs)
    #expect(s.store.reads.count == s.labelBlobs.count)
  }

  @Test func renameDetectionCanBeTurnedOff() throws {
    let s = Self.scenario()
    let out = try DatasetDiff.compare(s.changes, objects: s.store, imageByteSize: { s.sizes[$0]! },
                                      options: .init(detectRenames: false))
    #expect(out.summary.imagesRenamed == 0)
    #expect(out.images.first { $0.path == "train/c.png" }?.status == .removed)
    #expect(out.images.first { $0.path == "train/c2.png" }?.status == .added)
  }

  @Test func schemaChanges() throws {
    let store = MemoryObjects()
    let old = DatasetManifest(classes: [
      LabelClass(id: 1, name: "car", color: "#ff0000"),
      LabelClass(id: 2, name: "person", color: "#00ff00"),
      LabelClass(id: 4, name: "dog"),
      LabelClass(id: 5, name: "rider", keypoints: ["head"]),
    ])
    let new = DatasetManifest(classes: [
      LabelClass(id: 1, name: "auto", color: "#ff0000"),
      LabelClass(id: 2, name: "person", color: "#0000ff"),
      LabelClass(id: 3, name: "bus"),
      LabelClass(id: 5, name: "rider", supercategory: "human", keypoints: ["head", "tail"]),
    ], attributes: [AttributeDefinition(name: "occluded", kind: .bool)])
    let change = EntryChange(path: "annot.json", oldBlob: store.put(old), newBlob: store.put(new))
    let out = try DatasetDiff.compare([change], objects: store, imageByteSize: { _ in 0 })
    let s = try #require(out.schema)
    #expect(s.added == [.init(id: 3, name: "bus")])
    #expect(s.removed == [.init(id: 4, name: "dog")])
    #expect(s.renamed == [.init(id: 1, from: "car", to: "auto")])
    #expect(s.recolored == [.init(id: 2, name: "person", from: "#00ff00", to: "#0000ff")])
    #expect(s.edited == [.init(id: 5, name: "rider", fields: ["keypoints", "supercategory"])])
    #expect(s.attributesChanged)
    #expect(!s.manifestAdded && !s.manifestRemoved)
    #expect(out.images.isEmpty)

    // An unchanged manifest under a new blob id (cannot happen with canonical bytes, but harmless): no schema diff.
    let same = EntryChange(path: "annot.json", oldBlob: store.put(old), newBlob: store.put(Array(old.canonicalBytes()) + [0x20]))
    #expect(try DatasetDiff.compare([same], objects: store, imageByteSize: { _ in 0 }).schema == nil)
  }

  /// Batches are read while the one before is decoded; the error reported is still the first in
  /// path order, whichever kind it is and whichever batch it is in.
  @Test func theFirstErrorInPathOrderWinsAcrossBatches() throws {
    let store = MemoryObjects()
    let good = store.put(LabelDocument(image: ImageRecord(path: "p.png", width: 4, height: 4, mediaType: "image/png")))
    let bad = store.put(Array("{\"version\": 1}".utf8))
    let missing = ObjectID(bytes: [UInt8](repeating: 7, count: 20))
    func changes(badAt: Int, missingAt: Int) -> [EntryChange] {
      (0..<5000).map { k in
        let path = "labels/\(String(format: "%05d", k)).png.json"
        return EntryChange(path: path, oldBlob: k == missingAt ? missing : good, newBlob: k == badAt ? bad : good)
      }
    }
    func firstError(badAt: Int, missingAt: Int) -> DiffError? {
      do { _ = try DatasetDiff.compare(changes(badAt: badAt, missingAt: missingAt), objects: store, imageByteSize: { _ in 0 }) }
      catch { return error }
      return nil
    }
    // The invalid document (second batch) comes before the unreadable blob (third batch).
    guard case .invalidDocument(let first, _, _)? = firstError(badAt: 2100, missingAt: 4500) else { Issue.record("expected an invalid document"); return }
    #expect(first == "labels/02100.png.json")
    // And the other way round: the unreadable blob comes first.
    guard case .unreadable(let second, _, _)? = firstError(badAt: 4500, missingAt: 2100) else { Issue.record("expected an unreadable blob"); return }
    #expect(second == "labels/02100.png.json")
    // In one batch, the earlier path wins too.
    guard case .unreadable(let third, _, _)? = firstError(badAt: 2101, missingAt: 2100) else { Issue.record("expected an unreadable blob"); return }
    #expect(third == "labels/02100.png.json")
  }

  @Test func errorsNameTheEntry() throws {
    let store = MemoryObjects()
    let bad = store.put(Array("{\"version\": 1}".utf8))
    let missing = ObjectID(bytes: [UInt8](repeating: 7, count: 20))
    #expect(throws: DiffError.invalidDocument(entry: "labels/x.png.json", blob: bad, DocumentError("image", "expected an object, found null"))) {
      try DatasetDiff.compare([EntryChange(path: "labels/x.png.json", oldBlob: nil, newBlob: bad)], objects: store, imageByteSize: { _ in 0 })
    }
    do {
      _ = try DatasetDiff.compare([EntryChange(path: "labels/y.png.json", oldBlob: missing, newBlob: nil)], objects: store, imageByteSize: { _ in 0 })
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasPrefix("cannot read labels/y.png.json (blob 0707070)"))
    }
  }

  @Test func labelNoiseBelowToleranceIsNotAChange() throws {
    let store = MemoryObjects()
    let o = F.doc("x.png", [F.box("1", "car", 0, 0, 10, 10)]), n = F.doc("x.png", [F.box("1", "car", 1e-9, 0, 10, 10)])
    let out = try DatasetDiff.compare([EntryChange(path: "labels/x.png.json", oldBlob: store.put(o), newBlob: store.put(n))],
                                      objects: store, imageByteSize: { _ in 0 })
    #expect(out.images.isEmpty)
  }
}
