import Foundation
import Testing
import AnnotTestSupport

/// Hostile files and careless targets through the built binary (issue 11): each case ends with
/// a one-line error, a non-zero exit (never a signal) and, where a repository exists, the
/// repository exactly as it was.
@Suite struct HardeningEndToEndTests {
  func repoWithData(_ label: String) throws -> (dir: URL, repo: URL, data: URL) {
    let dir = try TestSupport.tempDir(label)
    let data = dir.appendingPathComponent("data")
    let coco = try TestSupport.cocoDataset(in: data, count: 3)
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let repo = dir.appendingPathComponent("repo")
    #expect(try TestSupport.annot(["import", "coco", coco.path, "--images", data.appendingPathComponent("images").path], in: repo).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "r1"], in: repo).status == 0)
    return (dir, repo, data)
  }

  /// Every file under `.annot` with its bytes: "exactly as it was" means this is unchanged
  /// (the query index under `.annot/annot/index*` may be rebuilt by readers, so it is left out).
  func snapshot(_ repo: URL) throws -> [String: Data] {
    let git = repo.appendingPathComponent(".annot")
    var out: [String: Data] = [:]
    for rel in try FileManager.default.subpathsOfDirectory(atPath: git.path) where !rel.hasPrefix("annot/index") {
      let u = git.appendingPathComponent(rel)
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir), !isDir.boolValue { out[rel] = try Data(contentsOf: u) }
    }
    return out
  }

  func expectOneLineError(_ r: TestSupport.Result, contains needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 1, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("Error: ") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(needle), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "raw control character in \(r.stderr.debugDescription)", sourceLocation: sourceLocation)
  }

  @Test func exportIntoTheGitDirectoryIsRefused() throws {
    let (_, repo, _) = try repoWithData("harden-export")
    let before = try snapshot(repo)
    for target in [".annot/refs/heads/x", ".annot", ".annot/objects", "."] {
      let r = try TestSupport.annot(["export", "HEAD", "--format", "coco", "--to", target], in: repo)
      expectOneLineError(r, contains: ".annot directory")
    }
    // Through a symlink too.
    try FileManager.default.createSymbolicLink(atPath: repo.appendingPathComponent("link").path, withDestinationPath: repo.appendingPathComponent(".annot/refs").path)
    expectOneLineError(try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--to", "link/heads/y"], in: repo), contains: ".annot directory")
    #expect(try snapshot(repo) == before)
    #expect(try TestSupport.git(["fsck", "--strict"], in: repo.appendingPathComponent(".annot")).status == 0)
  }

  @Test func addOfASymlinkedDirectoryLeavingTheRepositoryIsRefused() throws {
    let (dir, repo, _) = try repoWithData("harden-add")
    let outside = dir.appendingPathComponent("outside/sub")
    try TestSupport.write(TestSupport.png(width: 4, height: 4), to: outside.appendingPathComponent("a.png"))
    try FileManager.default.createDirectory(at: repo.appendingPathComponent("images"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: repo.appendingPathComponent("images/ext").path, withDestinationPath: outside.path)
    let before = try snapshot(repo)
    expectOneLineError(try TestSupport.annot(["add", "images/ext"], in: repo), contains: "outside the repository")
    expectOneLineError(try TestSupport.annot(["add", "images/ext/a.png"], in: repo), contains: "outside the repository")
    expectOneLineError(try TestSupport.annot(["add", "images"], in: repo), contains: "outside the repository")
    #expect(try snapshot(repo) == before)
  }

  @Test func readOnlyCommandsOnARepositoryWithoutCommitsWriteNothing() throws {
    let dir = try TestSupport.tempDir("harden-empty")
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    let repo = dir.appendingPathComponent("repo")
    let objects = repo.appendingPathComponent(".annot/objects")
    for args in [["status"], ["log"], ["diff"], ["branch"], ["query", "true"], ["stats"], ["validate"], ["fsck"], ["sql", "SELECT 1"]] {
      try TestSupport.annot(args, in: repo)
    }
    let written = try FileManager.default.subpathsOfDirectory(atPath: objects.path).filter { !$0.hasPrefix("info") && !$0.hasPrefix("pack") }
    #expect(written.isEmpty, "objects written by read-only commands: \(written)")
    // A commit of nothing writes the empty tree it points at, and the repository is sound.
    #expect(try TestSupport.annot(["commit", "--allow-empty", "-m", "empty"], in: repo).status == 0)
    #expect(try TestSupport.git(["fsck", "--strict"], in: repo.appendingPathComponent(".annot")).status == 0)
    #expect(try TestSupport.annot(["status"], in: repo).status == 0)
  }

  /// A 45-byte PNG header declaring 100000x100000 (its IHDR and nothing after).
  static let pngBomb: [UInt8] = {
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(100_000) + be32(100_000)
      + [8, 0, 0, 0, 0] + [0, 0, 0, 0] + be32(0) + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
  }()

  @Test func aDecompressionBombHeaderIsRefusedAtAdd() throws {
    let (_, repo, _) = try repoWithData("harden-bomb")
    #expect(Self.pngBomb.count == 45)
    try TestSupport.write(Self.pngBomb, to: repo.appendingPathComponent("images/bomb.png"))
    let before = try snapshot(repo)
    expectOneLineError(try TestSupport.annot(["add", "images/bomb.png"], in: repo), contains: "exceeds the limit")
    #expect(try snapshot(repo) == before)
    // The limit is documented as raisable.
    let raised = try TestSupport.annot(["add", "images/bomb.png"], in: repo,
                                       env: ["ANNOT_MAX_IMAGE_PIXELS": String(1 << 40), "ANNOT_MAX_IMAGE_SIDE": "200000"])
    #expect(raised.status == 0, "\(raised.stderr)")
  }

  @Test func aLargeInputFileIsRefusedBeforeItIsRead() throws {
    let (dir, repo, data) = try repoWithData("harden-big")
    let coco = try TestSupport.cocoDataset(in: dir.appendingPathComponent("d2"), count: 2)
    let size = try FileManager.default.attributesOfItem(atPath: coco.path)[.size] as! Int
    let before = try snapshot(repo)
    let r = try TestSupport.annot(["import", "coco", coco.path, "--images", dir.appendingPathComponent("d2/images").path], in: repo,
                                  env: ["ANNOT_MAX_INPUT_BYTES": String(size - 1)])
    expectOneLineError(r, contains: "over the input limit of \(size - 1) (raise it with ANNOT_MAX_INPUT_BYTES)")
    #expect(try snapshot(repo) == before)
    _ = data
  }

  @Test func sqlCannotCallFunctionsOutsideTheList() throws {
    let (_, repo, _) = try repoWithData("harden-sql")
    let r = try TestSupport.annot(["sql", "SELECT hex(fts3_tokenizer('simple'))"], in: repo)
    expectOneLineError(r, contains: "refused")
    #expect(try TestSupport.annot(["sql", "SELECT upper(label), count(*) FROM annotations GROUP BY label"], in: repo).status == 0)
  }

  @Test func controlCharactersInFileNamesAreEscapedInErrors() throws {
    let (_, repo, _) = try repoWithData("harden-quote")
    let name = "evil\u{1B}[31mred\nsecond line.png"
    try TestSupport.write(Array("not an image".utf8), to: repo.appendingPathComponent("images").appendingPathComponent(name))
    let r = try TestSupport.annot(["add", "images"], in: repo)
    expectOneLineError(r, contains: #"evil\e[31mred\nsecond line.png"#)
  }

  @Test func aYOLOLabelLinkedToAForeignFileIsNeitherReadNorEchoed() throws {
    let (dir, repo, _) = try repoWithData("harden-yolo")
    let out = dir.appendingPathComponent("yolo")
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--to", out.path], in: repo).status == 0)
    let labels = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".txt") && $0.contains("labels") }.sorted()
    let victim = out.appendingPathComponent(try #require(labels.first))
    try FileManager.default.removeItem(at: victim)
    try FileManager.default.createSymbolicLink(atPath: victim.path, withDestinationPath: "/etc/passwd")
    let before = try snapshot(repo)
    let r = try TestSupport.annot(["import", "yolo", out.path], in: repo)
    expectOneLineError(r, contains: "symlink resolves outside")
    #expect(!r.stderr.contains("root"), "\(r.stderr)")
    #expect(try snapshot(repo) == before)
  }

  @Test func aNonUTF8XMLNameIsAnErrorNotACrash() throws {
    let (dir, repo, _) = try repoWithData("harden-xml")
    let out = dir.appendingPathComponent("cvat")
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "cvat", "--to", out.path], in: repo).status == 0)
    let xml = out.appendingPathComponent("annotations.xml")
    var bytes = [UInt8](try Data(contentsOf: xml))
    let at = try #require(bytes.firstRange(of: Array("<image ".utf8))).lowerBound
    bytes[at + 2] = 0xFF  // "<i\u{FF}age "
    try Data(bytes).write(to: xml)
    let before = try snapshot(repo)
    expectOneLineError(try TestSupport.annot(["import", "cvat", out.path], in: repo), contains: "annotations.xml: line ")
    // 100,000 levels deep: refused at libxml2's depth limit, not a stack overflow.
    try Data(("<annotations>" + String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000) + "</annotations>").utf8).write(to: xml)
    expectOneLineError(try TestSupport.annot(["import", "cvat", out.path], in: repo), contains: "nested deeper than 256 levels")
    #expect(try snapshot(repo) == before)
  }
}
