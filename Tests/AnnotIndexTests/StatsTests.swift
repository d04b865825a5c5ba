import AnnotModel
import Testing
@testable import AnnotIndex

@Test func statsMatchSwiftCounts() throws {
  let idx = try Fixture.index(queryDocs)
  let st = try idx.stats(revision: Fixture.commitID(1))
  let anns: [(path: String, a: Annotation)] = queryDocs.flatMap { entry in entry.doc.annotations.map { (entry.path, $0) } }
  #expect(st.images == queryDocs.count)
  #expect(st.annotations == anns.count)
  #expect(st.imagesWithoutAnnotations == queryDocs.filter { $0.doc.annotations.isEmpty }.count)

  let schema = Set(Fixture.manifest().classes.map(\.name))
  let labels = Set(anns.map(\.a.label)).union(schema)
  let wantClasses = labels.sorted().map { l in
    IndexStats.ClassCount(label: l, annotations: anns.filter { $0.a.label == l }.count,
                          images: Set(anns.filter { $0.a.label == l }.map(\.path)).count, inSchema: schema.contains(l))
  }
  #expect(st.classes == wantClasses)
  #expect(st.classes.contains { $0.label == "unused-class" && $0.annotations == 0 })

  var kinds: [String: Int] = [:]
  for x in anns { kinds[x.a.shape.kind, default: 0] += 1 }
  #expect(st.kinds == kinds)

  let geo = anns.filter { $0.a.shape.kind != "tag" }.map(\.a.area)
  #expect(st.sizes == .init(small: geo.filter { $0 < 32 * 32 }.count,
                            medium: geo.filter { $0 >= 32 * 32 && $0 < 96 * 96 }.count,
                            large: geo.filter { $0 >= 96 * 96 }.count))

  var attrs: [String: [String: Int]] = [:]
  for x in anns {
    for (k, v) in x.a.attributes {
      let text: String = switch v {
      case .bool(let b): String(b)
      case .number(let d): CanonicalJSON.number(d)
      case .string(let s): s
      }
      attrs[k, default: [:]][text, default: 0] += 1
    }
  }
  #expect(st.attributes == attrs)
  #expect(st.attributes["truncation"]?["0.5"] != nil || st.attributes["truncation"]?["1"] != nil)

  let splitNames = Set(queryDocs.map(\.doc.image.split))
  let wantSplits = splitNames.sorted { ($0 ?? "") < ($1 ?? "") }.map { s in
    IndexStats.SplitCount(split: s, images: queryDocs.filter { $0.doc.image.split == s }.count,
                          annotations: queryDocs.filter { $0.doc.image.split == s }.reduce(0) { $0 + $1.doc.annotations.count })
  }
  #expect(st.splits == wantSplits)

  // JSON form round-trips through the canonical writer and parser.
  let text = CanonicalJSON.string(st.json)
  #expect(try JSONParser.parse(text) == st.json)
}
