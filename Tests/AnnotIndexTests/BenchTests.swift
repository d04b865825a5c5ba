import AnnotModel
import Foundation
import Testing
import AnnotTestSupport
@testable import AnnotIndex

/// Opt-in measurement (100,000 documents, 1,000,000 annotations). Run with
/// `ANNOT_BENCH_INDEX=1 swift test -c release --scratch-path .build-index --filter Bench`;
/// it is skipped in ordinary `swift test`. Numbers go to Docs/INDEX.md.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ANNOT_BENCH_INDEX"] == "1"))
struct IndexBench {
  static let images = Int(ProcessInfo.processInfo.environment["ANNOT_BENCH_IMAGES"] ?? "") ?? 100_000
  static let labels = (0..<80).map { "class" + String(100 + $0).dropFirst() }

  /// 10 annotations per image, 80 classes, boxes of 1…400 px sides, half with `occluded`.
  static func document(_ i: Int, version: Int, rng: inout SeededRNG) -> LabelDocument {
    let path = "train/" + String(1_000_000 + i).dropFirst() + ".jpg"
    var anns: [Annotation] = []
    anns.reserveCapacity(10)
    for k in 0..<10 {
      let w = Double(Int.random(in: 1...400, using: &rng)), h = Double(Int.random(in: 1...400, using: &rng))
      var attrs: [String: AttributeValue] = [:]
      if Bool.random(using: &rng) { attrs["occluded"] = .bool(Bool.random(using: &rng)) }
      anns.append(Annotation(
        id: "a\(k)", label: labels[Int.random(in: 0..<80, using: &rng)],
        shape: .box(Box(x: Double(Int.random(in: 0...600, using: &rng)), y: Double(Int.random(in: 0...300, using: &rng)), w: w, h: h), rotation: 0),
        attributes: attrs, score: Double(Int.random(in: 0...1000, using: &rng)) / 1000))
    }
    let image = ImageRecord(path: path, width: 1024, height: 768, mediaType: "image/jpeg",
                            split: i % 10 == 0 ? "val" : "train", attributes: ["round": .number(Double(version))])
    return LabelDocument(image: image, annotations: anns)
  }

  static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
  }

  static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
  static func ms(_ s: Double) -> String { String(format: "%.2f ms", s * 1000) }

  @Test func run() throws {
    let dbPath = Fixture.temporaryPath("bench")
    let idx = try LabelIndex(path: dbPath)
    let n = Self.images
    var rng = SeededRNG(seed: 2024)
    var entries: [(path: String, docBlob: ObjectID)] = []
    entries.reserveCapacity(n)
    var insertTime = 0.0
    var annotations = 0
    var start = 0
    while start < n {  // generate in batches so 1M annotations never sit in memory at once
      let end = min(start + 5000, n)
      let batch = (start..<end).map { i in
        let d = Self.document(i, version: 0, rng: &rng)
        return (blob: Fixture.blobID(d), doc: d)
      }
      annotations += batch.reduce(0) { $0 + $1.doc.annotations.count }
      entries += batch.map { ($0.doc.image.path, $0.blob) }
      insertTime += try Self.seconds { try idx.indexDocuments(batch) }
      start = end
    }
    let revTime = try Self.seconds {
      try idx.indexRevision(commit: Fixture.commitID(0), entries: entries, manifest: nil)
    }
    print("bench: \(n) documents, \(annotations) annotations")
    print(String(format: "bench: full build: documents %.2f s (%.0f docs/s, %.0f annotations/s); revision listing %.2f s",
                 insertTime, Double(n) / insertTime, Double(annotations) / insertTime, revTime))

    // Labeling rounds: 1% of the images change per round, each derived from the previous one.
    var current = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0.docBlob) })
    var roundDocs: [Double] = [], roundRevs: [Double] = []
    for round in 1...15 {
      let changed = (0..<(n / 100)).map { _ in Int.random(in: 0..<n, using: &rng) }
      let docs = changed.map { i in
        let d = Self.document(i, version: round, rng: &rng)
        return (blob: Fixture.blobID(d), doc: d)
      }
      let t1 = try Self.seconds { try idx.indexDocuments(docs) }
      let changes = docs.map { (path: $0.doc.image.path, docBlob: Optional($0.blob)) }
      var info: LabelIndex.RevisionInfo!
      let t2 = try Self.seconds {
        info = try idx.indexRevision(commit: Fixture.commitID(round), basedOn: Fixture.commitID(round - 1), changes: changes)
      }
      for c in changes { current[c.path] = c.docBlob }
      roundDocs.append(t1)
      roundRevs.append(t2)
      print(String(format: "bench: round %2d: %d changed docs indexed in %@, revision in %@ (%@, %d rows)", round, changes.count,
                   Self.ms(t1), Self.ms(t2), info.isSnapshot ? "snapshot" : "delta", info.storedRows))
    }
    print("bench: incremental round p50: documents \(Self.ms(Self.median(roundDocs))), revision \(Self.ms(Self.median(roundRevs))), " +
          "max revision \(Self.ms(roundRevs.max()!))")
    let last = try idx.entries(revision: Fixture.commitID(15))
    #expect(last.count == current.count)
    #expect(Dictionary(uniqueKeysWithValues: last.map { ($0.path, $0.docBlob) }) == current)

    // Query latency, p50 of 21 runs, on the snapshot and on a delta revision.
    let filters = [
      #"label == "class07""#,
      #"label == "class07" and area > 100000"#,
      #"label == "class07" and attr.occluded == true"#,
      #"area > 159000"#,
      #"attr.occluded == true and score > 0.999"#,
      #"count(label == "class07") >= 3"#,
    ]
    let deltaRev = try idx.revisions().last { !$0.isSnapshot }!.commit
    for (name, rev) in [("snapshot", Fixture.commitID(0)), ("delta", deltaRev)] {
      for f in filters {
        let q = try AnnotQuery(f)
        let mode: QueryMode = q.isAnnotationLevel ? .annotations : .images
        var times: [Double] = []
        var rows = 0
        for _ in 0..<21 {
          times.append(try Self.seconds {
            let out = try idx.query(q, revision: rev, mode: mode)
            rows = mode == .images ? out.images.count : out.annotations.count
          })
        }
        var imgRows = 0
        let imgTime = Self.median(try (0..<5).map { _ in try Self.seconds { imgRows = try idx.query(q, revision: rev, mode: .count).imageCount } })
        print("bench: query [\(name)] \(f): p50 \(Self.ms(Self.median(times))) (\(rows) \(mode.rawValue) rows); " +
              "count mode \(Self.ms(imgTime)) (\(imgRows) images)")
      }
    }
    var st: IndexStats!
    let statsTime = try Self.seconds { st = try idx.stats(revision: Fixture.commitID(0)) }
    #expect(st.annotations == annotations)
    let sqlTime = try Self.seconds { _ = try idx.sql("SELECT label, count(*) FROM annotations GROUP BY label", revision: deltaRev) }
    print("bench: stats \(Self.ms(statsTime)); sql group-by on a new revision (builds temp views) \(Self.ms(sqlTime))")

    try idx.db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    let size = (try FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? NSNumber)?.intValue ?? 0
    print(String(format: "bench: size on disk %.1f MB (%.0f bytes/annotation)", Double(size) / 1e6, Double(size) / Double(annotations + 15 * n / 10)))
  }
}
