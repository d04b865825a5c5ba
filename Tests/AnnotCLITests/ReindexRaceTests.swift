import Foundation
import Testing
import AnnotTestSupport

/// `annot reindex` while `annot query` runs, as real concurrent processes: every query answers
/// (the old index or the new one, both complete), none fails with a SQLite error.
@Suite struct ReindexRaceTests {
  @Test func queriesDuringReindexSeeTheOldIndexOrTheNewOneNeverAnError() throws {
    let dir = try TestSupport.tempDir("reindex-race")
    let json = try TestSupport.cocoDataset(in: dir.appendingPathComponent("data"), count: 300)
    let repo = dir.appendingPathComponent("repo")
    #expect(try TestSupport.annot(["init", repo.path], in: dir).status == 0)
    #expect(try TestSupport.annot(["import", "coco", json.path, "--images", dir.appendingPathComponent("data/images").path], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "round 1"], in: repo).status == 0)
    let expected = try TestSupport.annot(["query", "label == \"cat\" or area > 0", "--count"], in: repo)
    #expect(expected.status == 0, "\(expected.stderr)")
    // Readers and the reindexer as separate processes, started together by bash.
    let script = """
      A="\(TestSupport.annotBinary)"
      out=\(dir.path)/out; mkdir -p $out
      ( for i in $(seq 1 8); do "$A" reindex >$out/reindex.$i 2>&1; echo $? >$out/reindex.$i.rc; done ) &
      for r in 1 2; do
        ( for i in $(seq 1 25); do "$A" query 'label == "cat" or area > 0' --count >$out/q.$r.$i 2>&1; echo $? >$out/q.$r.$i.rc; done ) &
      done
      wait
      """
    let r = try TestSupport.run("/bin/bash", ["-c", script], in: repo)
    #expect(r.status == 0)
    let out = dir.appendingPathComponent("out")
    var queries = 0
    for name in try FileManager.default.contentsOfDirectory(atPath: out.path) where name.hasSuffix(".rc") {
      let rc = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
      let text = try String(contentsOf: out.appendingPathComponent(String(name.dropLast(3))), encoding: .utf8)
      #expect(rc == "0", "\(name): \(text)")
      if name.hasPrefix("q.") {
        queries += 1
        #expect(text == expected.stdout, "\(name): \(text)")
      }
    }
    #expect(queries == 50)
    let fsck = try TestSupport.annot(["fsck"], in: repo)
    #expect(fsck.status == 0, "\(fsck.stdout)")
  }
}
