import Foundation
import Testing
import AnnotModel
import AnnotTestSupport

/// query, stats, validate and split through the binary; expected answers are computed here
/// from the documents the test wrote, not through the index.
@Suite struct QueryEndToEndTests {
  /// A repository whose documents the test knows: image i has (i % 4) + 1 boxes; box k of
  /// image i is w = 4 + i + k, h = 5, label cycles car/person/bike, occluded when k is even.
  func build() throws -> (repo: URL, docs: [LabelDocument]) {
    let dir = try TestSupport.tempDir("query")
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let repo = dir.appendingPathComponent("repo")
    let labels = ["car", "person", "bike"]
    var docs: [LabelDocument] = []
    for i in 0..<12 {
      let path = (i < 9 ? "train/" : "val/") + "im\(i).png"
      try TestSupport.write(TestSupport.png(width: 40, height: 30, seed: i), to: repo.appendingPathComponent("images/" + path))
      var anns: [Annotation] = []
      for k in 0..<((i % 4) + 1) {
        anns.append(Annotation(id: "a\(i)-\(k)", label: labels[(i + k) % 3], shape: .box(Box(x: 1, y: 1, w: Double(4 + i + k), h: 5), rotation: 0),
                               attributes: ["occluded": .bool(k % 2 == 0)]))
      }
      let doc = LabelDocument(image: ImageRecord(path: path, width: 40, height: 30, mediaType: "image/png"), annotations: anns)
      docs.append(doc)
      try TestSupport.write(doc.canonicalBytes(), to: repo.appendingPathComponent("labels/\(path).json"))
    }
    let add = try TestSupport.annot(["add", "images", "labels"], in: repo)
    #expect(add.status == 0, "\(add.stderr)")
    #expect(try TestSupport.annot(["commit", "-m", "r1"], in: repo).status == 0)
    return (repo, docs)
  }

  @Test func queryCountsEqualADirectComputation() throws {
    let (repo, docs) = try build()
    let all = docs.flatMap { d in d.annotations.map { (d.image.path, $0) } }
    func count(_ expr: String, _ pred: (String, Annotation) -> Bool) throws {
      let r = try TestSupport.annot(["query", expr, "--count", "--json"], in: repo)
      #expect(r.status == 0, "\(r.stderr)")
      let hits = all.filter { pred($0.0, $0.1) }
      let images = Set(hits.map(\.0)).count
      #expect(r.stdout == #"{"annotations":\#(hits.count),"images":\#(images)}"# + "\n", "\(expr): \(r.stdout)")
    }
    try count(#"label == "car""#) { $1.label == "car" }
    try count(#"label == "person" and area < 60"#) { $1.label == "person" && $1.area < 60 }
    try count("attr.occluded == true and w >= 10") { $1.attributes["occluded"] == .bool(true) && ($1.boundingBox?.w ?? 0) >= 10 }
    try count(#"not label == "bike" or h > 5"#) { !($1.label == "bike") || ($1.boundingBox?.h ?? 0) > 5 }
    try count(#"path ~ "val/*""#) { p, _ in p.hasPrefix("val/") }
    let imgs = try TestSupport.annot(["query", #"count(label == "car") >= 2"#, "--images"], in: repo).stdout
    let expected = docs.filter { $0.annotations.filter { $0.label == "car" }.count >= 2 }.map(\.image.path).sorted()
    #expect(imgs.split(separator: "\n").map(String.init).sorted() == expected)
    let bad = try TestSupport.annot(["query", "label == "], in: repo)
    #expect(bad.status != 0 && bad.stderr.contains("query:1:"))
    let sql = try TestSupport.annot(["sql", "SELECT count(*) FROM annotations WHERE label = 'bike'", "--json"], in: repo)
    #expect(sql.stdout.contains("[[\(all.filter { $0.1.label == "bike" }.count)]]"), "\(sql.stdout)")
    #expect(try TestSupport.annot(["sql", "DROP VIEW annotations"], in: repo).status != 0)
    // The index is a cache: deleting it loses nothing.
    try FileManager.default.removeItem(at: repo.appendingPathComponent(".annot/annot/index.sqlite"))
    try count(#"label == "car""#) { $1.label == "car" }
  }

  @Test func statsAndValidate() throws {
    let (repo, docs) = try build()
    let s = try TestSupport.annot(["stats", "--json"], in: repo).stdout
    let anns = docs.reduce(0) { $0 + $1.annotations.count }
    #expect(s.contains(#""annotations":\#(anns)"#) && s.contains(#""images":12"#), "\(s)")
    #expect(try TestSupport.annot(["validate"], in: repo).status == 0)
    // A box outside the image and an unknown class are found.
    var bad = docs[0]
    bad.annotations.append(Annotation(id: "zz", label: "car", shape: .box(Box(x: 35, y: 1, w: 20, h: 5), rotation: 0)))
    let json = String(decoding: bad.canonicalBytes(), as: UTF8.self).replacingOccurrences(of: #""id":"zz","kind":"box","label":"car""#, with: #""id":"zz","kind":"box","label":"ghost""#)
    try TestSupport.write(json, to: repo.appendingPathComponent("labels/train/im0.png.json"))
    // add refuses such a document; plain git can still commit one, and validate must find it.
    let v = try TestSupport.annot(["add", "labels/train/im0.png.json"], in: repo)
    #expect(v.status != 0 && v.stderr.contains("extends outside"))
    let script = """
    set -e
    export GIT_DIR=.annot GIT_INDEX_FILE=$PWD/tmp-index
    git read-tree HEAD
    blob=$(git hash-object -w labels/train/im0.png.json)
    git update-index --cacheinfo 100644,$blob,labels/train/im0.png.json
    tree=$(git write-tree)
    commit=$(echo "bad labels via plain git" | git commit-tree $tree -p HEAD)
    git update-ref refs/heads/main $commit
    rm -f tmp-index
    """
    let r = try TestSupport.run("/bin/sh", ["-c", script], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let out = try TestSupport.annot(["validate", "--json"], in: repo)
    #expect(out.status == 1)
    #expect(out.stdout.contains(#""annotation":"zz","file":"labels/train/im0.png.json","message":"label \"ghost\" is not a class of the schema""#), "\(out.stdout)")
    #expect(out.stdout.contains("extends outside the 40x30 image"))
  }

  @Test func splitIsDeterministicAndStoredInTheTree() throws {
    let (repo, _) = try build()
    let first = try TestSupport.annot(["split", "--ratios", "train=0.5,val=0.5"], in: repo)
    #expect(first.status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "split"], in: repo).status == 0)
    let again = try TestSupport.annot(["split", "--ratios", "train=0.5,val=0.5"], in: repo)
    #expect(again.stdout == first.stdout)
    #expect(try TestSupport.annot(["status", "--json"], in: repo).stdout.contains(#""images_modified":[]"#))
    let stats = try TestSupport.annot(["stats", "--json"], in: repo).stdout
    #expect(stats.contains(#""split":"train""#) && stats.contains(#""split":"val""#))
  }
}
