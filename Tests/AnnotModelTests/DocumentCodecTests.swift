import Testing
import AnnotModel
import AnnotTestSupport

/// The direct document writer and reader (DocumentCodec.swift) against the `JSONValue`-tree
/// reference they replace: the same bytes out, and the same document or the same error in.
@Suite struct DocumentCodecTests {
  /// A document using every field and shape, with values picked to stress number formatting,
  /// string escaping and key order.
  static func randomDocument(_ rng: inout SeededRNG) -> LabelDocument {
    func num() -> Double {
      switch Int.random(in: 0..<6, using: &rng) {
      case 0: return Double(Int.random(in: -5...5000, using: &rng))
      case 1: return Double.random(in: -1e3...1e4, using: &rng)
      case 2: return [0, -0.0, 0.1, 1e-7, 1e15, 123456789012345, 2.5e20, -1e16][Int.random(in: 0..<8, using: &rng)]
      default: return (Double.random(in: 0...640, using: &rng) * 100).rounded() / 100
      }
    }
    func nums(_ n: Int) -> [Double] { (0..<n).map { _ in num() } }
    func text() -> String {
      let pieces = ["a", "car", "é", "\"", "\\", "\n", "\t", "\u{1}", "/", "日本", "😀", " ", "x_y", "\u{7f}"]
      return (0..<Int.random(in: 1...4, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined()
    }
    func attrs() -> [String: AttributeValue] {
      var a: [String: AttributeValue] = [:]
      for _ in 0..<Int.random(in: 0...3, using: &rng) {
        a[text()] = [AttributeValue.bool(Bool.random(using: &rng)), .number(num()), .string(text())][Int.random(in: 0..<3, using: &rng)]
      }
      return a
    }
    var anns: [Annotation] = []
    for k in 0..<Int.random(in: 0...6, using: &rng) {
      let shape: Shape
      switch Int.random(in: 0..<8, using: &rng) {
      case 0: shape = .box(Box(x: num(), y: num(), w: num(), h: num()), rotation: Bool.random(using: &rng) ? 0 : num())
      case 1: shape = .polygon((0..<Int.random(in: 1...3, using: &rng)).map { _ in nums(2 * Int.random(in: 3...6, using: &rng)) })
      case 2: shape = .polyline(nums(2 * Int.random(in: 1...4, using: &rng)))
      case 3: shape = .points(nums(Int.random(in: 0...6, using: &rng)))
      case 4: shape = .ellipse(cx: num(), cy: num(), rx: num(), ry: num(), rotation: Bool.random(using: &rng) ? 0 : num())
      case 5: shape = .mask(RLEMask(height: 4, width: 5, counts: Bool.random(using: &rng) ? .compressed("0" + text()) : .runs([3, 7, 10])))
      case 6: shape = .keypoints(nums(3 * Int.random(in: 0...3, using: &rng)))
      default: shape = .tag
      }
      anns.append(Annotation(
        id: "\(text())\(k)", label: text(), shape: shape,
        bbox: Bool.random(using: &rng) ? Box(x: num(), y: num(), w: num(), h: num()) : nil,
        attributes: attrs(), score: Bool.random(using: &rng) ? num() : nil,
        group: Bool.random(using: &rng) ? Int.random(in: -3...2_000_000_000_000_000, using: &rng) : nil,
        zOrder: Bool.random(using: &rng) ? Int.random(in: -3...9, using: &rng) : nil, crowd: Bool.random(using: &rng),
        sourceID: Bool.random(using: &rng) ? text() : nil, sourceArea: Bool.random(using: &rng) ? num() : nil))
    }
    let image = ImageRecord(path: "d/\(text()).png", width: Int.random(in: 1...5000, using: &rng), height: Int.random(in: 1...5000, using: &rng),
                            mediaType: "image/png", sourceID: Bool.random(using: &rng) ? text() : nil,
                            split: Bool.random(using: &rng) ? "val" : nil, attributes: attrs())
    var doc = LabelDocument(image: image, annotations: anns)
    if Bool.random(using: &rng) { doc.annotations.reverse() }   // the writer sorts what it is given
    return doc
  }

  @Test func theDirectWriterGivesTheReferenceBytes() {
    var rng = SeededRNG(seed: 0xD0C0DEC)
    for _ in 0..<3000 {
      let doc = Self.randomDocument(&rng)
      let bytes = doc.canonicalBytes(), reference = doc.canonicalBytesThroughTree()
      guard bytes == reference else {   // the first difference, as text, and no flood of others
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: reference, as: UTF8.self))
        return
      }
      #expect((try? LabelDocument.decode(bytes)) == (try? LabelDocument.decodeThroughTree(bytes)))
    }
  }

  /// Edits of canonical bytes that a hand, another tool or an attacker makes: whitespace, key
  /// order, unknown and repeated keys, nulls, wrong types, truncation. For each, `decode` gives
  /// exactly what the reference gives, the document or the error message.
  @Test func theDirectReaderReadsWhatTheReferenceReads() {
    var rng = SeededRNG(seed: 0xBADD0C)
    let edits: [(inout [UInt8], inout SeededRNG) -> Void] = [
      { b, r in b.insert(contentsOf: Array(" \n\t ".utf8).shuffled(using: &r), at: Int.random(in: 0...b.count, using: &r)) },
      { b, r in b.removeLast(Int.random(in: 1...min(8, b.count), using: &r)) },
      { b, r in let k = Int.random(in: 0..<b.count, using: &r); b[k] = Array("{}[],:\"0-.e nul".utf8).randomElement(using: &r)! },
      { b, _ in Self.replace(&b, "\"score\":", "\"score\":null,\"score\":") },
      { b, _ in Self.replace(&b, "\"id\":", "\"extra\":[1,{\"x\":2}],\"id\":") },
      { b, _ in Self.replace(&b, "\"kind\":\"box\"", "\"kind\":\"box\",\"polygon\":[[1,2,3,4,5,6]]") },
      { b, _ in Self.replace(&b, "\"crowd\":true", "\"crowd\":1") },
      { b, _ in Self.replace(&b, "\"version\": 1", "\"version\": 1.0") },
      { b, _ in Self.replace(&b, "\"version\": 1", "\"version\": 2") },
      { b, _ in Self.replace(&b, "\"width\":", "\"width\":1e2,\"w\":") },
      { b, _ in Self.replace(&b, "\"label\":\"", "\"label\":\"\\u00e9\\/") },
      { b, _ in Self.replace(&b, "\"attributes\":{", "\"attributes\":{\"k\":null,") },
      { b, _ in Self.replace(&b, "\"attributes\":{", "\"attributes\":{\"k\":1,\"k\":2,") },
      { b, _ in Self.replace(&b, "\"mask\":{", "\"mask\":{\"size\":[1,1],") },
      { b, _ in Self.replace(&b, "\"group\":", "\"group\":0.5,\"z\":") },
      { b, _ in Self.replace(&b, "\"rotation\":", "\"rotation\":\"7\",\"r\":") },
      { b, _ in Self.replace(&b, "\"id\":\"", "\"id\":\"\",\"i\":\"") },
      // Two annotations with one id.
      { b, _ in
        guard let s = String(validating: b, as: UTF8.self),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("    {") }) else { return }
        Self.replace(&b, "\"annotations\": [\n", "\"annotations\": [\n" + (line.hasSuffix(",") ? line : line + ",") + "\n")
      },
    ]
    var accepted = 0, refused = 0
    for _ in 0..<3000 {
      var bytes = Self.randomDocument(&rng).canonicalBytes()
      for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
        edits[Int.random(in: 0..<edits.count, using: &rng)](&bytes, &rng)
      }
      let reference = Result { try LabelDocument.decodeThroughTree(bytes) }
      let direct = Result { try LabelDocument.decode(bytes) }
      switch (reference, direct) {
      case (.success(let a), .success(let b)) where a == b: accepted += 1
      case (.failure(let a), .failure(let b)) where "\(a)" == "\(b)": refused += 1
      default:
        Issue.record("direct \(direct) and reference \(reference) disagree on \(String(decoding: bytes, as: UTF8.self))")
        return
      }
    }
    // Both outcomes must be exercised for the comparison to mean anything.
    #expect(accepted > 300 && refused > 300, "accepted \(accepted), refused \(refused)")
  }

  static func replace(_ b: inout [UInt8], _ what: String, _ with: String) {
    guard var s = String(validating: b, as: UTF8.self), let r = s.firstRange(of: what) else { return }
    s.replaceSubrange(r, with: with)
    b = Array(s.utf8)
  }
}
