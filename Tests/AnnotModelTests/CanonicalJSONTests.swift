import Testing
import AnnotModel
import AnnotTestSupport

@Suite struct CanonicalJSONTests {
  @Test func numbersHaveOneFormatting() {
    #expect(CanonicalJSON.number(12) == "12")
    #expect(CanonicalJSON.number(-0.0) == "0")
    #expect(CanonicalJSON.number(12.5) == "12.5")
    #expect(CanonicalJSON.number(0.1) == "0.1")
    #expect(CanonicalJSON.number(1e20) == "1e+20")
    #expect(CanonicalJSON.number(1.0 / 3.0) == "0.3333333333333333")
  }

  /// The byte comparator all canonical ordering uses agrees with the standard library's UTF-8
  /// lexicographic order, on prefixes, equal strings and multi-byte characters.
  @Test func utf8PrecedesIsUTF8ByteOrder() {
    var rng = SeededRNG(seed: 0x5EED)
    let pieces = ["", "a", "b", "ab", "é", "e\u{301}", "日", "😀", "Z", "\u{0}", "\u{7f}", "aa"]
    for _ in 0..<5000 {
      let a = (0..<Int.random(in: 0...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      let b = (0..<Int.random(in: 0...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      #expect(CanonicalJSON.utf8Precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a.debugDescription) < \(b.debugDescription)")
    }
  }

  @Test func keysSortedAndStringsEscaped() throws {
    let v = try JSONParser.parse(#"{"b":1,"a":"x\"\n\u00e9","é":true,"Z":null}"#)
    #expect(CanonicalJSON.string(v) == "{\"Z\":null,\"a\":\"x\\\"\\n\u{e9}\",\"b\":1,\"é\":true}")
  }

  @Test(arguments: [
    ("{\"a\":1,\"a\":2}", "line 1, column 8: duplicate key \"a\""),
    ("{\"a\":1,\n \"b\": }", "line 2, column 7: unexpected character '}'"),
    ("[1e999]", "line 1, column 2: number out of range: 1e999"),
    ("[NaN]", "line 1, column 2: unexpected character 'N'"),
    ("\"abc", "line 1, column 5: unterminated string"),
    ("[1,]", "line 1, column 4: unexpected character ']'"),
    ("{} x", "line 1, column 4: unexpected data after the JSON value"),
  ])
  func parseErrorsNameLineAndColumn(_ input: String, _ message: String) {
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(input) }
    do { _ = try JSONParser.parse(input) } catch { #expect(error.description == message) }
  }

  @Test func documentRoundTripsByteForByte() throws {
    let doc = LabelDocument(image: ImageRecord(path: "train/a.png", width: 64, height: 48, mediaType: "image/png", sourceID: "7"), annotations: [
      Annotation(id: "b2", label: "car", shape: .box(Box(x: 1.5, y: 2, w: 10, h: 20), rotation: 0), attributes: ["occluded": .bool(true)], score: 0.25),
      Annotation(id: "a1", label: "person", shape: .polygon([[0, 0, 10, 0, 10, 10]]), bbox: Box(x: 0, y: 0, w: 10, h: 10), sourceID: "12"),
      Annotation(id: "c3", label: "person", shape: .keypoints([1, 2, 2, 0, 0, 0]), group: 4, zOrder: 1),
      Annotation(id: "d4", label: "crowd", shape: .mask(RLEMask(height: 48, width: 64, counts: .runs([10, 5, 3057]))), crowd: true),
      Annotation(id: "e5", label: "sunny", shape: .tag),
    ])
    let bytes = doc.canonicalBytes()
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text == """
    {
      "annotations": [
        {"bbox":[0,0,10,10],"id":"a1","kind":"polygon","label":"person","polygon":[[0,0,10,0,10,10]],"source_id":"12"},
        {"attributes":{"occluded":true},"bbox":[1.5,2,10,20],"id":"b2","kind":"box","label":"car","score":0.25},
        {"group":4,"id":"c3","keypoints":[1,2,2,0,0,0],"kind":"keypoints","label":"person","z_order":1},
        {"crowd":true,"id":"d4","kind":"mask","label":"crowd","mask":{"counts":[10,5,3057],"size":[48,64]}},
        {"id":"e5","kind":"tag","label":"sunny"}
      ],
      "image": {"height":48,"media_type":"image/png","path":"train/a.png","source_id":"7","width":64},
      "version": 1
    }

    """)
    let back = try LabelDocument.decode(bytes)
    #expect(back == doc)
    #expect(back.canonicalBytes() == bytes)
  }

  @Test func newerDocumentVersionIsRefused() {
    let json = #"{"version":2,"image":{"path":"a","width":1,"height":1,"media_type":"image/png"},"annotations":[]}"#
    #expect(throws: DocumentError.self) { try LabelDocument.decode(Array(json.utf8)) }
  }

  @Test func rleRoundTripsAndMeasures() {
    let runs = [3, 4, 10, 2, 1]
    #expect(RLE.decode(RLE.encode(runs)) == runs)
    let m = RLEMask(height: 5, width: 4, counts: .runs(runs))
    #expect(RLE.area(m) == 6)
    // Column-major: pixels 3..6 are column 0 rows 3,4 and column 1 rows 0,1; 17,18 are column 3 rows 2,3.
    #expect(RLE.boundingBox(m) == Box(x: 0, y: 0, w: 4, h: 5))
  }

  @Test func datasetPathsRejectEscapes() {
    #expect(DatasetPath.validate("train/a.png") == nil)
    #expect(DatasetPath.validate("/etc/passwd") != nil)
    #expect(DatasetPath.validate("a/../../b") != nil)
    #expect(DatasetPath.validate("a//b") != nil)
    #expect(DatasetPath.validate("C:/x") != nil)
    #expect(DatasetPath.validate("a\u{1}b") != nil)
  }

  @Test func gitBlobIDMatchesGit() {
    // `printf hello | git hash-object --stdin`
    let d = Digest.sha1()
    d.update(Array("blob 5\u{0}hello".utf8))
    #expect(Hex.encode(d.finish()) == "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0")
  }
}

@Suite struct JSONScanTests {
  @Test func scanFindsElementRangesThatParseToTheSameValues() throws {
    let text = #"{"info": {"a": [1, {"b": "]}"}]}, "images": [ {"id": 1, "s": "x\"]"} , 2, "three", [4, [5]], null ], "annotations": [], "k": 7}"#
    let bytes = Array(text.utf8)
    let (object, elements) = try JSONParser.scanObject(bytes, arrays: ["images", "annotations", "absent"])
    let whole = try JSONParser.parse(bytes)
    #expect(elements["images"]?.count == 5)
    #expect(elements["annotations"] == [])
    #expect(elements["absent"] == nil)
    let parsed = try elements["images"]!.map { try JSONParser.parse(bytes, in: $0) }
    #expect(JSONValue.array(parsed) == whole["images"])
    #expect(object["info"] == whole["info"])
    #expect(object["k"] == .number(7))
    #expect(object["images"] == .array([]))
  }

  @Test func errorsInsideAnElementNameTheLineOfTheWholeFile() throws {
    let bytes = Array("{\n\"images\": [\n{\"id\": 1},\n{\"id\": tru}\n]}".utf8)
    let (_, elements) = try JSONParser.scanObject(bytes, arrays: ["images"])
    let error = #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes, in: elements["images"]![1]) }
    #expect(error?.line == 4 && error?.column == 8 && error?.message == "invalid literal", "\(String(describing: error))")
    for bad in [#"{"images": [}"#, #"{"images": [1,]}"#, #"{"images": [1 2]}"#, #"{"images": ["x]}"#, #"[1]"#, #"{"images": [1]} x"#] {
      #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONParser.scanObject(Array(bad.utf8), arrays: ["images"]) }
    }
  }

  @Test func arrayScanGivesElementsOrNilForAnotherTopLevel() throws {
    let bytes = Array(#" [ {"a": "]"}, [1, [2]], "x", 3 ] "#.utf8)
    let ranges = try #require(try JSONParser.scanArray(bytes))
    #expect(JSONValue.array(try ranges.map { try JSONParser.parse(bytes, in: $0) }) == (try JSONParser.parse(bytes)))
    #expect(try JSONParser.scanArray(Array("[]".utf8)) == [])
    #expect(try JSONParser.scanArray(Array(#"{"a": 1}"#.utf8)) == nil)
    for bad in ["[1,]", "[1 2]", #"["x]"#, "[1] x", "[{]"] {
      #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONParser.scanArray(Array(bad.utf8)) }
    }
  }

  @Test func membersReadsOnlyTheKeysAsked() throws {
    let bytes = Array(#"[{"id": 5, "skip": {"deep": [1, "}"]}, "image_id": 7}, {"id": 1, "id": 2}, 4]"#.utf8)
    let r = try #require(try JSONParser.scanArray(bytes))
    #expect(JSONParser.members(["id", "image_id"], of: bytes, in: r[0]) == ["id": .number(5), "image_id": .number(7)])
    #expect(JSONParser.members(["id"], of: bytes, in: r[1]) == nil)   // a repeated key: the caller parses it fully
    #expect(JSONParser.members(["id"], of: bytes, in: r[2]) == nil)   // not an object
  }
}
