import Foundation
import Testing
import AnnotModel
import AnnotStore
import AnnotTestSupport

@Suite struct TreeReaderTests {
  @Test func answersEveryPathLikeBypathLookups() throws {
    let dir = try TestSupport.tempDir("tree")
    let repo = try GitRepository.initBare(at: dir.appendingPathComponent("r.git").path)
    let a = try repo.writeBlob(Array("a".utf8)), b = try repo.writeBlob(Array("b".utf8))
    // A flat folder, a nested one, and names that sort differently as files and folders.
    var updates: [TreeUpdate] = (0..<300).map { .upsert(path: "images/\(String(format: "%05d", $0)).png", blob: $0 % 2 == 0 ? a : b) }
    updates += [.upsert(path: "images/sub/x.png", blob: a), .upsert(path: "images/sub.png", blob: b), .upsert(path: "annot.json", blob: a)]
    let tree = try repo.updateTree(nil, updates)
    let reader = try TreeReader(repo, root: tree)
    for p in ["images/00000.png", "images/00299.png", "images/sub/x.png", "images/sub.png", "annot.json", "images/sub",
              "images/missing.png", "nope/x", "images/00000.png/x", ""] {
      #expect(try reader.entry(p) == repo.entry(tree: tree, path: p), "\(p)")
    }
    #expect(try reader.blob("images/sub") == nil)
    #expect(try reader.blob("images/00001.png") == b)
  }
}

@Suite struct StatCacheTests {
  @Test func hitsOnlyWhileStatDataIsUnchangedAndSurvivesReload() throws {
    let dir = try TestSupport.tempDir("statcache")
    let file = dir.appendingPathComponent("x.png").path
    try TestSupport.write(Array("one".utf8), to: URL(fileURLWithPath: file))
    // Backdate the file: entries newer than two seconds are not recorded (racy-git rule).
    var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
    #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
    let id = ObjectID(hex: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")!
    let cachePath = dir.appendingPathComponent("cache").path
    let cache = StatCache(path: cachePath)
    var st = try #require(StatCache.Stat.of(file))
    // ctime cannot be backdated; record with a stat whose times are old, as a file written long ago has.
    st.ctimeNs = 1_600_000_000_000_000_000
    cache.record(file, st, id)
    // What a run records is for the next run (the run that read the file knows its blob).
    #expect(cache.lookup(file, st) == nil)
    cache.save()
    let reloaded = StatCache(path: cachePath)
    #expect(reloaded.count == 1)
    #expect(reloaded.lookup(file, st) == id)
    var changed = st
    changed.size += 1
    #expect(reloaded.lookup(file, changed) == nil)
    changed = st
    changed.mtimeNs += 1
    #expect(reloaded.lookup(file, changed) == nil)
    #expect(reloaded.lookup(file + "x", st) == nil)
    // A fresh file (now) is never recorded.
    let fresh = try #require(StatCache.Stat.of(file))
    reloaded.record(file, fresh, id)
    reloaded.save()
    #expect(StatCache(path: cachePath).lookup(file, fresh) == nil)
    #expect(StatCache(path: cachePath).lookup(file, st) == id)
    // A damaged cache file is ignored.
    try TestSupport.write(Array("ANNOTSC2\u{7}\u{0}\u{0}\u{0}garbage".utf8), to: URL(fileURLWithPath: cachePath))
    #expect(StatCache(path: cachePath).count == 0)
  }

  @Test func mergesManyEntriesInPathOrder() throws {
    let dir = try TestSupport.tempDir("statcache")
    let cachePath = dir.appendingPathComponent("cache").path
    let old = StatCache.Stat(dev: 1, ino: 2, size: 3, mtimeNs: 4, ctimeNs: 5)
    let ids = (0..<200).map { i in ObjectID(bytes: (0..<20).map { UInt8(truncatingIfNeeded: $0 &+ i) }) }
    let first = StatCache(path: cachePath)
    for i in stride(from: 0, to: 200, by: 2) { first.record("/d/\(i)", old, ids[i]) }
    first.save()
    let second = StatCache(path: cachePath)
    for i in stride(from: 1, to: 200, by: 2) { second.record("/d/\(i)", old, ids[i]) }
    second.record("/d/0", old, ids[199])   // replaces an old entry
    second.record("/d/7", old, ids[0])
    second.record("/d/7", old, ids[7])     // of two records in one run, the later one wins
    second.save()
    let third = StatCache(path: cachePath)
    #expect(third.count == 200)
    #expect(third.lookup("/d/0", old) == ids[199])
    for i in 1..<200 { #expect(third.lookup("/d/\(i)", old) == ids[i]) }
  }

  @Test func keepsImageHeadersThroughMergesAndIgnoresTheOldFormat() throws {
    let dir = try TestSupport.tempDir("statcache")
    let cachePath = dir.appendingPathComponent("cache").path
    let old = StatCache.Stat(dev: 1, ino: 2, size: 3, mtimeNs: 4, ctimeNs: 5)
    let id = ObjectID(bytes: Array(repeating: 9, count: 20))
    let h = StatCache.Header(width: 640, height: 480, media: 2, bitDepth: 8)
    let a = StatCache(path: cachePath)
    a.record("/d/with", old, id, header: h)
    a.record("/d/without", old, id)
    a.save()
    let b = StatCache(path: cachePath)
    b.record("/d/another", old, id, header: StatCache.Header(width: 1, height: 2, media: 1, bitDepth: 12))
    b.save()   // old records are copied as bytes, headers and all
    let c = StatCache(path: cachePath)
    #expect(c.count == 3)
    #expect(c.header("/d/with", old) == h)
    #expect(c.header("/d/without", old) == nil && c.lookup("/d/without", old) == id)
    #expect(c.header("/d/another", old) == StatCache.Header(width: 1, height: 2, media: 1, bitDepth: 12))
    var moved = old
    moved.ino += 1
    #expect(c.header("/d/with", moved) == nil)   // a header is only as good as the stat data
    // A cache written before headers were kept (ANNOTSC1) is ignored, not misread.
    var v1 = Array("ANNOTSC1".utf8) + [1, 0, 0, 0, 7, 0] + Array("/d/with".utf8)
    for v: UInt64 in [1, 2, 3, 4, 5] { for k in 0..<8 { v1.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
    v1 += id.bytes
    try TestSupport.write(v1, to: URL(fileURLWithPath: cachePath))
    #expect(StatCache(path: cachePath).count == 0)
  }
}

@Suite struct ObjectMemoTests {
  @Test func remembersAcrossRunsAndIgnoresADamagedFile() throws {
    let dir = try TestSupport.tempDir("memo")
    let path = dir.appendingPathComponent("memo").path
    func id(_ i: Int) -> ObjectID { ObjectID(bytes: (0..<20).map { UInt8(truncatingIfNeeded: $0 * 7 + i) }) }
    let a = ObjectMemo(path: path)
    #expect(a.lookup(id(1)) == nil)
    for i in 0..<100 { a.record(id(i), id(i + 1000)) }
    a.save()
    let b = ObjectMemo(path: path)
    for i in 0..<100 { #expect(b.lookup(id(i)) == id(i + 1000)) }
    #expect(b.lookup(id(500)) == nil)
    b.record(id(3), id(6))
    b.record(id(200), id(201))
    b.record(id(3), id(7))   // a later record of a key wins, within a run and over earlier runs
    b.save()
    let c = ObjectMemo(path: path)
    #expect(c.lookup(id(3)) == id(7))
    #expect(c.lookup(id(200)) == id(201))
    #expect(c.lookup(id(99)) == id(1099))
    // One record per key, sorted: 100 from the first run and the new key 200.
    let file = try #require(FileManager.default.contents(atPath: path))
    #expect(file.count == 12 + 101 * 40)
    try TestSupport.write(Array("ANNOTOM1\u{5}\u{0}\u{0}\u{0}short".utf8), to: URL(fileURLWithPath: path))
    #expect(ObjectMemo(path: path).lookup(id(3)) == nil)
  }
}
