import Testing
import AnnotModel
import AnnotTestSupport

/// `DatasetPath.validate`'s byte pass against the String rules it stands in for.
@Suite struct DatasetPathTests {
  @Test func theBytePassGivesTheReferenceVerdictAndMessage() {
    var rng = SeededRNG(seed: 21)
    let pieces = ["a", "img", "0001.png", ".", "..", ".git", ".GiT", ".gitx", "@0", "@f", "@g", "@", "é", "日本", "K", "İ",
                  "/", "/", "\\", ":", "c:", "\u{1}", "\u{7f}", " ", "x.y", "\u{301}", "a\u{301}:", ""]
    for _ in 0..<20_000 {
      let p = (0..<Int.random(in: 0...5, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined()
      #expect(DatasetPath.validate(p) == DatasetPath.validateSlowly(p), "\(p.debugDescription)")
    }
    #expect(DatasetPath.validate(String(repeating: "a/", count: 2049)) == "path longer than 4096 bytes")
    #expect(DatasetPath.validate("train/0001.png") == nil)
  }
}
