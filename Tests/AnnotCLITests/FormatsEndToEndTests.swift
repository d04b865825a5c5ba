import Foundation
import Testing
import AnnotTestSupport

/// Issue 12's import and export paths through the built binary: COCO directories, darknet
/// layout round trips, auto-detection that says why, and the export manifest name.
@Suite struct FormatsEndToEndTests {
  func repo(_ dir: URL) throws -> URL {
    #expect(try TestSupport.annot(["init", "repo"], in: dir).status == 0)
    return dir.appendingPathComponent("repo")
  }

  /// Export COCO with splits, import the export directory (named and `auto`): same images, same splits.
  @Test func cocoDirectoryRoundTripKeepsSplits() throws {
    let dir = try TestSupport.tempDir("fmt-coco")
    let data = dir.appendingPathComponent("data")
    let coco = try TestSupport.cocoDataset(in: data, count: 4)
    let r = try repo(dir)
    #expect(try TestSupport.annot(["import", "coco", coco.path, "--images", data.appendingPathComponent("images").path], in: r).status == 0)
    let sp = try TestSupport.annot(["split", "--ratios", "train=0.5,val=0.5"], in: r)
    #expect(sp.status == 0, "\(sp.stderr)")
    #expect(try TestSupport.annot(["commit", "-m", "r1"], in: r).status == 0)
    let out = dir.appendingPathComponent("out")
    let e = try TestSupport.annot(["export", "HEAD", "--format", "coco", "--to", out.path], in: r)
    #expect(e.status == 0, "\(e.stderr)")
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("annot-export.manifest").path))
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("annot-manifest.json").path))
    for format in ["coco", "auto"] {
      #expect(try TestSupport.annot(["init", "back-\(format)"], in: dir).status == 0)
      let back = dir.appendingPathComponent("back-\(format)")
      let i = try TestSupport.annot(["import", format, out.path], in: back)
      #expect(i.status == 0, "\(i.stderr)")
      #expect(i.stdout.hasPrefix("coco: 4 images, 8 annotations read"), "\(i.stdout)")
      // Every image keeps the split it was exported with (one instances_<split>.json per split).
      #expect(try TestSupport.annot(["commit", "-m", "back"], in: back).status == 0)
      let q = try TestSupport.annot(["query", "kind == \"box\"", "--images", "--json"], in: back)
      let o = try TestSupport.annot(["query", "kind == \"box\"", "--images", "--json"], in: r)
      #expect(q.status == 0 && !q.stdout.isEmpty && q.stdout == o.stdout, "\(q.stdout) vs \(o.stdout)")
    }
  }

  /// layout=darknet exports read back as darknet (auto), with every image.
  @Test func darknetRoundTripStaysDarknet() throws {
    let dir = try TestSupport.tempDir("fmt-darknet")
    let data = dir.appendingPathComponent("data")
    let coco = try TestSupport.cocoDataset(in: data, count: 3)
    let r = try repo(dir)
    #expect(try TestSupport.annot(["import", "coco", coco.path, "--images", data.appendingPathComponent("images").path], in: r).status == 0)
    #expect(try TestSupport.annot(["commit", "-m", "r1"], in: r).status == 0)
    let out = dir.appendingPathComponent("dk")
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--option", "layout=darknet", "--to", out.path], in: r).status == 0)
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("obj.data").path))
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("obj_train_data/img_0.txt").path))
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("data.yaml").path))
    #expect(try TestSupport.annot(["verify", out.path], in: dir).status == 0)
    #expect(try TestSupport.annot(["init", "back"], in: dir).status == 0)
    let back = dir.appendingPathComponent("back")
    let i = try TestSupport.annot(["import", "auto", out.path], in: back)
    #expect(i.status == 0 && i.stdout.hasPrefix("yolo: 3 images, 6 annotations read"), "\(i.stdout)\(i.stderr)")
    #expect(try TestSupport.annot(["commit", "-m", "back"], in: back).status == 0)
    let again = dir.appendingPathComponent("dk2")
    #expect(try TestSupport.annot(["export", "HEAD", "--format", "yolo", "--option", "layout=darknet", "--to", again.path], in: back).status == 0)
    #expect(FileManager.default.fileExists(atPath: again.appendingPathComponent("obj_train_data/img_0.png").path))
  }

  /// `import auto` on something no format recognises names each format's reason, exits 1, and
  /// leaves the repository as it was.
  @Test func autoDetectionSaysWhy() throws {
    let dir = try TestSupport.tempDir("fmt-auto")
    let r = try repo(dir)
    let empty = dir.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let i = try TestSupport.annot(["import", "auto", empty.path], in: r)
    #expect(i.status != 0)
    #expect(i.stderr.contains("no known dataset format found in"), "\(i.stderr)")
    for reason in ["coco: no annotations/instances_<split>.json", "yolo: no data.yaml", "voc: no Annotations/*.xml", "cvat: no annotations.xml",
                   "labelme: no .json file", "labelstudio: not a JSON list of tasks", "annot: no annot.json"] {
      #expect(i.stderr.contains(reason), "missing '\(reason)' in \(i.stderr)")
    }
    #expect(i.stderr.split(separator: "\n").count == 1)
    let s = try TestSupport.annot(["status"], in: r)
    #expect(s.status == 0)
  }
}
