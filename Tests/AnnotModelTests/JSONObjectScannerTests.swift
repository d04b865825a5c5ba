import Testing
import AnnotModel
import AnnotTestSupport

/// The chunked scanner of huge top-level objects (JSONObjectScanner.swift) against the reference
/// it stands in for, `JSONParser.scanObject` over the whole input: on every input the scanner
/// accepts, the same members, values and element ranges; on every input the reference refuses,
/// the scanner does not accept or one of the values it found does not parse (so the caller asks
/// the reference for the error).
@Suite struct JSONObjectScannerTests {
  static let arrays: Set<String> = ["images", "annotations"]

  /// A COCO-like object: the two arrays, other members of every JSON type, keys with escapes.
  static func randomObject(_ rng: inout SeededRNG) -> String {
    func scalar() -> String {
      ["0", "-12.5e3", "true", "false", "null", "\"a\\\"b\"", "\"é\\u00e9\"", "\"[{\"", "17"][Int.random(in: 0..<9, using: &rng)]
    }
    func value(_ depth: Int) -> String {
      switch depth > 2 ? 0 : Int.random(in: 0..<4, using: &rng) {
      case 0: return scalar()
      case 1: return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in value(depth + 1) }.joined(separator: ", ") + "]"
      default: return "{" + (0..<Int.random(in: 0...3, using: &rng)).map { k in "\"k\(k)\": " + value(depth + 1) }.joined(separator: ",") + "}"
      }
    }
    let ws = ["", " ", "\n  ", "\t", "\r\n"]
    func w() -> String { ws[Int.random(in: 0..<ws.count, using: &rng)] }
    var members = [
      "\"images\"" + w() + ":" + w() + "[" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in w() + value(1) + w() }.joined(separator: ",") + "]",
      "\"annotations\":[" + (0..<Int.random(in: 0...6, using: &rng)).map { _ in value(1) }.joined(separator: "," + w()) + w() + "]",
      "\"categories\": " + value(0), "\"info\":" + value(0), "\"k\\u0065y\": " + scalar(),
    ]
    if Bool.random(using: &rng) { members.append("\"annotations2\": " + value(0)) }
    members.shuffle(using: &rng)
    return w() + "{" + w() + members.joined(separator: w() + "," + w()) + w() + "}" + w()
  }

  /// Scans `bytes` fed in chunks of `chunk` bytes.
  static func scan(_ bytes: [UInt8], chunk: Int) -> JSONObjectLayout? {
    var s = JSONObjectScanner(arrays: arrays)
    var at = 0
    while at < bytes.count {
      let end = min(at + chunk, bytes.count)
      let ok = bytes[at..<end].withUnsafeBufferPointer { s.feed($0) }
      if !ok { return nil }
      at = end
    }
    return s.finish()
  }

  static func check(_ bytes: [UInt8], chunk: Int) throws {
    let reference = try? JSONParser.scanObject(bytes, arrays: arrays)
    guard let layout = scan(bytes, chunk: chunk) else { return }   // the caller then asks the reference
    // The scanner checks values' strings and nesting only; the caller parses the members that are
    // not element arrays and asks the reference when one does not parse.
    let parsed = layout.members.filter { $0.elements == nil }.map { m in
      try? bytes[m.value].withUnsafeBufferPointer { try JSONParser.parseElement($0) }
    }
    if parsed.contains(where: { $0 == nil }) { return }
    let ref = try #require(reference, "the scanner accepted what the reference refuses: \(String(decoding: bytes, as: UTF8.self))")
    guard case .object(let object) = ref.object else { Issue.record("not an object"); return }
    #expect(Set(layout.members.map(\.key)) == Set(object.keys))
    for m in layout.members {
      if let e = m.elements {
        #expect(e == ref.elements[m.key], "elements of \(m.key)")
      } else {
        // The reference parsed the value; parsing the scanner's range gives the same value.
        let v = try? bytes[m.value].withUnsafeBufferPointer { try JSONParser.parseElement($0) }
        #expect(v == object[m.key], "value of \(m.key)")
      }
    }
  }

  @Test func validObjectsGiveTheReferenceLayoutInAnyChunking() throws {
    var rng = SeededRNG(seed: 11)
    for _ in 0..<1500 {
      let bytes = Array(Self.randomObject(&rng).utf8)
      for chunk in [1, 2, 7, 64, 1 << 20] { try Self.check(bytes, chunk: chunk) }
      // Every valid object is accepted by the scanner too.
      #expect(Self.scan(bytes, chunk: 3) != nil)
    }
  }

  @Test func brokenObjectsAreNeverAcceptedWhereTheReferenceRefuses() throws {
    var rng = SeededRNG(seed: 12)
    let pieces: [[UInt8]] = [[], Array("\"".utf8), Array("\\".utf8), Array("{".utf8), Array("}".utf8), Array("[".utf8),
                             Array("]".utf8), Array(",".utf8), Array(":".utf8), Array(" ".utf8), [0xFF], [0x00]]
    for _ in 0..<4000 {
      var bytes = Array(Self.randomObject(&rng).utf8)
      for _ in 0..<Int.random(in: 1...3, using: &rng) {
        let at = Int.random(in: 0...bytes.count, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: bytes.insert(contentsOf: pieces[Int.random(in: 0..<pieces.count, using: &rng)], at: at)
        case 1: if at < bytes.count { bytes.remove(at: at) }
        default: bytes = Array(bytes.prefix(at))
        }
      }
      for chunk in [1, 5, 1 << 20] { try Self.check(bytes, chunk: chunk) }
    }
  }

  @Test func duplicateKeysAndDeepNestingAreLeftToTheReference() {
    #expect(Self.scan(Array("{\"a\": 1, \"a\": 2}".utf8), chunk: 4) == nil)
    #expect(Self.scan(Array("{\"a\": 1, \"\\u0061\": 2}".utf8), chunk: 4) == nil)
    let deep = "{\"a\": " + String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1) + "}"
    #expect(Self.scan(Array(deep.utf8), chunk: 100) == nil)
    #expect((try? JSONParser.scanObject(Array(deep.utf8), arrays: Self.arrays)) == nil)
  }

  @Test func integerMembersFollowIntValue() {
    func pair(_ s: String) -> (Int, Int)? {
      Array(s.utf8).withUnsafeBufferPointer { JSONParser.integerMembers("id", "image_id", of: $0) }
    }
    #expect(pair("{\"id\": 5, \"bbox\": [1, {\"id\": 9}], \"image_id\": -3}")! == (5, -3))
    #expect(pair("{\"i\\u0064\": 5, \"image_id\": 2.0}")! == (5, 2))
    #expect(pair("{\"id\": 5.5, \"image_id\": 2}") == nil)
    #expect(pair("{\"id\": \"5\", \"image_id\": 2}") == nil)
    #expect(pair("{\"id\": 5, \"id\": 6, \"image_id\": 2}") == nil)
    #expect(pair("{\"id\": 5}") == nil)
    #expect(pair("{\"id\": 1e16, \"image_id\": 2}") == nil)
    #expect(pair("[1, 2]") == nil)
    #expect(pair("{\"id\": 5, \"image_id\": 2} x") == nil)
    // Against the dictionary route it replaced, on the members JSONParser.members reads.
    var rng = SeededRNG(seed: 13)
    for _ in 0..<2000 {
      let v = ["1", "-7", "2.0", "2.5", "1e3", "\"x\"", "null", "[1]", "9007199254740993"]
      let s = "{\"a\": [1, 2], \"id\": \(v[Int.random(in: 0..<v.count, using: &rng)]), \"image_id\": \(v[Int.random(in: 0..<v.count, using: &rng)])}"
      let bytes = Array(s.utf8)
      let m = JSONParser.members(["id", "image_id"], of: bytes, in: 0..<bytes.count)
      let expected: (Int, Int)? = m.flatMap { m in m["id"]?.intValue.flatMap { a in m["image_id"]?.intValue.map { (a, $0) } } }
      let got = pair(s)
      #expect(got?.0 == expected?.0 && got?.1 == expected?.1, "\(s)")
    }
  }
}
