import AnnotModel
import Testing
@testable import AnnotMerge

@Test func conflictFileBytesAreStable() {
  let conflicts = [
    LabelConflict(path: "a.png", annotationID: "a7", field: "label", kind: .modifyModify,
                  base: .string("cat"), ours: .string("dog"), theirs: .string("fox")),
    LabelConflict(path: "b.png", annotationID: "b1", kind: .deleteModify, base: .string("x"), ours: nil, theirs: .string("y")),
  ]
  let text = String(decoding: ConflictFile.encode(conflicts), as: UTF8.self)
  #expect(text == """
    {
      "conflicts": [
        {"annotation":"a7","base":"cat","field":"label","kind":"modify/modify","ours":"dog","path":"a.png","theirs":"fox"},
        {"annotation":"b1","base":"x","kind":"delete/modify","path":"b.png","theirs":"y"}
      ],
      "format": "annot-conflicts",
      "version": 1
    }

    """)
}

@Test func conflictFileRoundTripsEveryKindOfConflict() throws {
  var all: [LabelConflict] = []
  for c in MergeCase.all {
    all += try mergeDocuments(base: c.base, ours: c.ours, theirs: c.theirs, path: P, options: c.options).conflicts
  }
  for c in ManifestCase.all { all += try mergeManifests(base: c.base, ours: c.ours, theirs: c.theirs).conflicts }
  // 19 document-table conflicts + 7 schema-table conflicts, counted from the tables by hand.
  #expect(all.count == 26)
  #expect(Set(all.map(\.kind)) == Set(LabelConflict.Kind.allCases))
  let bytes = ConflictFile.encode(all)
  #expect(try ConflictFile.decode(bytes) == all)
  // Encoding is a pure function of the list.
  #expect(ConflictFile.encode(try ConflictFile.decode(bytes)) == bytes)
  for c in all { #expect(try LabelConflict.decode(c.json) == c) }
}

@Test func conflictFileErrorsNameThePlace() {
  #expect(throws: MergeError.invalidConflictFile(place: "conflicts[0].kind", message: "unknown conflict kind \"edit/edit\"; known: modify/modify, delete/modify, add/add, name/name")) {
    try ConflictFile.decode(Array(#"{"format":"annot-conflicts","version":1,"conflicts":[{"path":"a","kind":"edit/edit"}]}"#.utf8))
  }
  #expect(throws: MergeError.invalidConflictFile(place: "version", message: "unsupported version 2; this annot reads version 1")) {
    try ConflictFile.decode(Array(#"{"format":"annot-conflicts","version":2,"conflicts":[]}"#.utf8))
  }
  #expect(throws: MergeError.invalidConflictFile(place: "conflicts[0].colour", message: "unknown key")) {
    try ConflictFile.decode(Array(#"{"format":"annot-conflicts","version":1,"conflicts":[{"path":"a","kind":"add/add","colour":1}]}"#.utf8))
  }
  #expect(throws: MergeError.invalidConflictFile(place: "format", message: "expected \"annot-conflicts\"")) {
    try ConflictFile.decode(Array(#"{"version":1,"conflicts":[]}"#.utf8))
  }
}
