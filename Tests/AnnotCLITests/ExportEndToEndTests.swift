import Foundation
import Testing
import AnnotModel
import AnnotTestSupport

/// `annot export` and `annot verify` through the built binary.
@Suite struct ExportEndToEndTests {
  func repoWithData() throws -> (dir: URL, repo: URL) {
    let dir = try TestSupport.tempDir("export")
    let data = dir.appendingPathComponent("data")
    let coco = try TestSupport.cocoDataset(in: data, count: 6)
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let repo = dir.appendingPathComponent("repo")
    #expect(try TestSupport.annot(["import", "coco", coco.path, "--images", data.appendingPathComponent("images").path], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "r1"], in: repo).status == 0)
    return (dir, repo)
  }

  func tree(_ dir: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for rel in try FileManager.default.subpathsOfDirectory(atPath: dir.path) {
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent(rel).path, isDirectory: &isDir), !isDir.boolValue {
        out[rel] = try Data(contentsOf: dir.appendingPathComponent(rel))
      }
    }
    return out
  }

  @Test(arguments: ["coco", "yolo", "voc", "cvat", "labelme", "labelstudio", "annot"])
  func exportsAreByteIdenticalAcrossClonesAndVerify(_ format: String) throws {
    let (dir, repo) = try repoWithData()
    // A second copy of the repository, made by plain git.
    let clone = dir.appendingPathComponent("clone")
    try FileManager.default.createDirectory(at: clone, withIntermediateDirectories: true)
    #expect(try TestSupport.git(["clone", "-q", "--bare", repo.appendingPathComponent(".annot").path, clone.appendingPathComponent(".annot").path], in: dir).status == 0)
    let a = try TestSupport.annot(["export", "HEAD", "--format", format, "--to", dir.appendingPathComponent("out-a").path], in: repo)
    #expect(a.status == 0, "\(a.stderr)")
    let b = try TestSupport.annot(["export", "main", "--format", format, "--to", dir.appendingPathComponent("out-b").path], in: clone)
    #expect(b.status == 0, "\(b.stderr)")
    let ta = try tree(dir.appendingPathComponent("out-a")), tb = try tree(dir.appendingPathComponent("out-b"))
    #expect(!ta.isEmpty && ta == tb)
    #expect(try TestSupport.annot(["verify", dir.appendingPathComponent("out-a").path], in: dir).status == 0)
    // Exporting again onto an earlier export replaces it with the same bytes.
    #expect(try TestSupport.annot(["export", "HEAD", "--format", format, "--to", dir.appendingPathComponent("out-a").path], in: repo).status == 0)
    #expect(try tree(dir.appendingPathComponent("out-a")) == ta)
  }

  @Test func verifyCatchesChangedMissingAndExtraFiles() throws {
    let (dir, repo) = try repoWithData()
    let out = dir.appendingPathComponent("out")
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "coco", "--to", out.path], in: repo).status == 0)
    let json = out.appendingPathComponent("annotations/instances_default.json")
    var bytes = try Data(contentsOf: json)
    bytes[bytes.count / 2] ^= 1
    try bytes.write(to: json)
    let changed = try TestSupport.annot(["verify", out.path, "--json"], in: dir)
    #expect(changed.status == 1 && changed.stdout.contains(#""changed":["annotations/instances_default.json"]"#))
    try FileManager.default.removeItem(at: out.appendingPathComponent("images/default/img_1.png"))
    try TestSupport.write("x", to: out.appendingPathComponent("notes.txt"))
    let v = try TestSupport.annot(["verify", out.path, "--json"], in: dir)
    #expect(v.status == 1)
    #expect(v.stdout.contains(#""missing":["images/default/img_1.png"]"#), "\(v.stdout)")
    #expect(v.stdout.contains(#""extra":["notes.txt"]"#))
  }

  @Test func refusesUnsafeTargetsAndReportsLosses() throws {
    let (dir, repo) = try repoWithData()
    let busy = dir.appendingPathComponent("busy")
    try TestSupport.write("keep me", to: busy.appendingPathComponent("mine.txt"))
    let r = try TestSupport.annot(["export", "HEAD", "--format", "coco", "--to", busy.path], in: repo)
    #expect(r.status != 0 && r.stderr.contains("non-empty directory holding no earlier export"))
    #expect(try String(contentsOf: busy.appendingPathComponent("mine.txt"), encoding: .utf8) == "keep me")
    try TestSupport.write("x", to: dir.appendingPathComponent("afile"))
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "coco", "--to", dir.appendingPathComponent("afile").path], in: repo).status != 0)
    // Keypoints cannot go to YOLO detect: reported, and an error with --strict.
    let doc = #"{"version":1,"image":{"path":"img_0.png","width":64,"height":48,"media_type":"image/png"},"annotations":[{"id":"k1","label":"person","kind":"keypoints","keypoints":[10,10,2,20,20,2]},{"id":"p1","label":"car","kind":"polygon","polygon":[[1,1,10,1,10,10]]}]}"#
    try TestSupport.write(doc, to: repo.appendingPathComponent("labels/img_0.png.json"))
    #expect(try TestSupport.annot(["add", "labels/img_0.png.json"], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "kp"], in: repo).status == 0)
    let lossy = try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--to", dir.appendingPathComponent("y").path, "--json"], in: repo)
    #expect(lossy.status == 0)
    #expect(lossy.stdout.contains("polygons written as boxes"), "\(lossy.stdout)")
    let manifest = try String(contentsOf: dir.appendingPathComponent("y/annot-export.manifest"), encoding: .utf8)
    #expect(manifest.contains("\"losses\""))
    // The manifest is streamed (its `files` object spliced into the layout), and must be exactly
    // what the canonical layout writer gives for its content; its hashes are those of the files.
    let bytes = Array(manifest.utf8)
    let parsed = try JSONParser.parse(bytes)
    #expect(CanonicalJSON.writeDocumentLayout(parsed) == bytes)
    let files = try #require(parsed["files"]?.objectValue)
    #expect(files.count > 2)
    for (rel, hash) in files {
      let data = try Data(contentsOf: dir.appendingPathComponent("y").appendingPathComponent(rel))
      #expect(SHA256.hex(Array(data)) == hash.stringValue, "\(rel)")
    }
    let strict = try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--strict", "--to", dir.appendingPathComponent("y2").path], in: repo)
    #expect(strict.status != 0 && strict.stderr.contains("cannot hold everything"))
  }

  @Test func exportThenReimportKeepsLabels() throws {
    let (dir, repo) = try repoWithData()
    let out = dir.appendingPathComponent("coco-out")
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "coco", "--to", out.path], in: repo).status == 0)
    #expect(try TestSupport.annot(["switch", "-c", "back"], in: repo).status == 0)
    let imp = try TestSupport.annot(["import", "coco", out.appendingPathComponent("annotations/instances_default.json").path,
                                     "--images", out.appendingPathComponent("images/default").path], in: repo)
    #expect(imp.status == 0, "\(imp.stderr)")
    #expect(imp.stdout.contains("0 new, 0 changed, 6 unchanged"), "\(imp.stdout)")
  }
}
