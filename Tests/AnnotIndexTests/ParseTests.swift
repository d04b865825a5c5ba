import Testing
@testable import AnnotIndex

/// Parse errors name the 1-based line and column. To add a case: the filter, the exact message.
@Test(arguments: [
  ("area < ", "query:1:8: expected a value after '<'"),
  (#"label == "a" and w <  )"#, "query:1:23: expected a value after '<'"),
  (#"lable == "x""#, "query:1:1: unknown field 'lable'"),
  ("label == 5", "query:1:10: 'label' is text; expected a string, found a number"),
  ("area > \"big\"", "query:1:8: 'area' is a number; expected a number, found a string"),
  (#"label == "x"#, "query:1:10: unterminated string"),
  (#"(label == "x""#, "query:1:14: expected ')' to close the '(' at column 1, found the end of the query"),
  (#"label == "x" area > 3"#, "query:1:14: unexpected 'area'; expected 'and', 'or' or the end of the query"),
  (#"label "x""#, "query:1:7: expected a comparison (==, !=, <, <=, >, >=, ~) after 'label', found '\"x\"'"),
  ("label == \"x\"\nand area <\n", "query:3:1: expected a value after '<'"),
  (#"area ~ "1*""#, "query:1:6: '~' matches text; 'area' is a number"),
  (#"label == "x" and $"#, "query:1:18: unexpected character '$'"),
  ("", "query:1:1: empty query; write 'true' to match everything"),
  ("attr.occluded < true", "query:1:15: true and false compare only with == and !="),
  ("count(label == \"a\") > \"x\"", "query:1:23: count(…) is a number; expected a number, found a string"),
  ("not", "query:1:4: expected a filter, found the end of the query"),
  ("attr. == 1", "query:1:1: expected an attribute name after 'attr.'"),
])
func parseErrorsReportColumns(_ input: String, _ message: String) {
  do {
    _ = try AnnotQuery(input)
    Issue.record("parsed: \(input)")
  } catch {
    #expect(error.description.hasPrefix(message), "\(error.description)")
  }
}

@Test func parseErrorSurfacesThroughIndex() throws {
  let idx = try Fixture.index(Array(queryDocs.prefix(2)))
  #expect(throws: IndexError.query(QueryParseError(line: 1, column: 8, message: "expected a value after '<'"))) {
    try idx.query("area < ", revision: Fixture.commitID(1))
  }
}

@Test func operatorsAndKeywordsParse() throws {
  let a = try AnnotQuery(#"label = "a" && !(area >= 1e3 || x <= -2.5) AND NOT kind != 'box'"#)
  #expect(a.root == .and(.and(.compare(.label, .eq, .string("a")),
                              .not(.or(.compare(.area, .ge, .number(1000)), .compare(.x, .le, .number(-2.5))))),
                         .not(.compare(.kind, .ne, .string("box")))))
  let b = try AnnotQuery("attr.weird-name.v2 == 1")
  #expect(b.root == .compare(.attr("weird-name.v2"), .eq, .number(1)))
  let c = try AnnotQuery(#"label == "tab\t \"q\"""#)
  #expect(c.root == .compare(.label, .eq, .string("tab\t \"q\"")))
}
