import Foundation
import AnnotModel
import AnnotStore
import AnnotFormats

/// The manifest written beside every export (`annot-export.manifest`), and `annot verify`.
///
/// The name has no `.json`, `.xml`, `.txt` or image extension and sits at the export root, so
/// the readers of every layout (LabelMe and globox glob `*.json`, COCO/VOC/YOLO/CVAT readers
/// look for their own names) skip it. Exports written before it was renamed carry
/// `annot-manifest.json`, which `verify` and re-export still recognise.
public enum ExportManifest {
  public static let fileName = "annot-export.manifest"
  public static let legacyFileName = "annot-manifest.json"
  static let names: Set<String> = [fileName, legacyFileName]

  /// The manifest file of an export directory: the current name, else the legacy one.
  static func path(in dir: URL) -> String {
    let current = dir.appendingPathComponent(fileName).path
    let legacy = dir.appendingPathComponent(legacyFileName).path
    return !FileManager.default.fileExists(atPath: current) && FileManager.default.fileExists(atPath: legacy) ? legacy : current
  }

  public struct Verification: Sendable {
    public var missing: [String] = []
    public var extra: [String] = []
    public var changed: [String] = []
    public var checked = 0
    public var ok: Bool { missing.isEmpty && extra.isEmpty && changed.isEmpty }
  }

  /// Re-hashes every file under `dir` and compares with its manifest.
  public static func verify(_ dir: URL) throws -> Verification {
    let mpath = path(in: dir)
    let mname = (mpath as NSString).lastPathComponent
    guard let data = FileManager.default.contents(atPath: mpath) else {
      throw AnnotError.invalidFile(file: mpath, place: "", message: "no export manifest here (is this an 'annot export' directory?)")
    }
    let m: JSONValue
    do { m = try JSONParser.parse(Array(data)) } catch { throw AnnotError.invalidFile(file: mpath, place: "", message: "\(error)") }
    guard let files = m["files"]?.objectValue else { throw AnnotError.invalidFile(file: mpath, place: "files", message: "missing or not an object") }
    var v = Verification()
    var present = Set<String>()
    let root = dir.standardizedFileURL.path
    if let walker = FileManager.default.enumerator(atPath: root) {
      while let rel = walker.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue, rel != mname {
          present.insert(rel)
        }
      }
    }
    for (rel, hash) in files.sorted(by: { $0.key < $1.key }) {
      guard present.contains(rel) else { v.missing.append(rel); continue }
      v.checked += 1
      let bytes = try readFile(root + "/" + rel)
      if SHA256.hex(bytes) != hash.stringValue { v.changed.append(rel) }
    }
    v.extra = present.subtracting(files.keys).sorted()
    return v
  }
}

/// Writes export files under one root, refusing any path that would leave it, and records
/// the sha256 of everything written.
///
/// Files are created and hashed on a writer thread while the exporter formats the next ones
/// (creating many small files is kernel work that would otherwise stall the exporter); at most
/// 64 MB wait to be written. `finish()` waits for the writer and throws its first failure.
final class DirectorySink: ExportSink, @unchecked Sendable {
  let root: URL
  private let rootPath: String
  private var written = Set<String>()
  private var madeDirs = Set<String>()
  private let queue = DispatchQueue(label: "annot.export.writer")
  private let group = DispatchGroup()
  private let lock = NSLock()
  /// Files written and their SHA-256s (32 bytes each in one buffer, in the order written):
  /// an export of 1M images writes 2M files, and a dictionary of paths to hex strings had been
  /// ~400 MB of its peak, twice that while the manifest was built from it.
  private var hashedPaths: [String] = []
  private var digests: [UInt8] = []
  private var failure: Error?
  private var pendingBytes = 0
  private let drained = NSCondition()
  private static let maxPending = 64 << 20

  init(root: URL) { self.root = root; rootPath = root.standardizedFileURL.path }

  /// How many files were written.
  var fileCount: Int { lock.lock(); defer { lock.unlock() }; return hashedPaths.count }

  /// The manifest's `files` object, `{"path":"sha256 hex",…}` in canonical form (keys in UTF-8
  /// byte order, as `CanonicalJSON` writes an object), streamed into `out` without building it.
  func writeFilesObject(into out: inout BufferedFileWriter) {
    lock.lock(); defer { lock.unlock() }
    let order = hashedPaths.indices.sorted { CanonicalJSON.utf8Precedes(hashedPaths[$0], hashedPaths[$1]) }
    out.append(UInt8(ascii: "{"))
    var piece: [UInt8] = []
    for (n, k) in order.enumerated() {
      piece.removeAll(keepingCapacity: true)
      if n > 0 { piece.append(UInt8(ascii: ",")) }
      CanonicalJSON.writeString(hashedPaths[k], into: &piece)
      piece.append(UInt8(ascii: ":")); piece.append(UInt8(ascii: "\""))
      piece += Array(Hex.encode(Array(digests[(k * 32)..<(k * 32 + 32)])).utf8)
      piece.append(UInt8(ascii: "\""))
      out.append(piece)
    }
    out.append(UInt8(ascii: "}"))
  }

  func write(_ relativePath: String, _ bytes: [UInt8]) throws {
    if let why = DatasetPath.validate(relativePath) { throw AnnotError.invalidPath(relativePath, reason: "export path: \(why)") }
    if ExportManifest.names.contains(relativePath) { throw AnnotError.invalidPath(relativePath, reason: "reserved for the export manifest") }
    guard written.insert(relativePath).inserted else { throw AnnotError.other("export wrote \(relativePath) twice") }
    var newDir: String? = nil
    if let slash = relativePath.lastIndex(of: "/") {
      let d = rootPath + "/" + relativePath[..<slash]
      if madeDirs.insert(d).inserted { newDir = d }
    }
    let dir = newDir
    lock.lock(); let failed = failure; lock.unlock()
    if let failed { throw failed }
    drained.lock()
    while pendingBytes > Self.maxPending { drained.wait() }
    pendingBytes += bytes.count
    drained.unlock()
    group.enter()
    queue.async {
      defer {
        self.drained.lock(); self.pendingBytes -= bytes.count; self.drained.signal(); self.drained.unlock()
        self.group.leave()
      }
      do {
        if let dir { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try self.writeNow(relativePath, bytes)
      } catch {
        self.lock.lock(); if self.failure == nil { self.failure = error }; self.lock.unlock()
      }
    }
  }

  /// Waits for every queued file; throws the first failure.
  func finish() throws {
    group.wait()
    lock.lock(); defer { lock.unlock() }
    if let failure { throw failure }
  }

  private func writeNow(_ relativePath: String, _ bytes: [UInt8]) throws {
    let path = rootPath + "/" + relativePath
    // Never follow a symlink planted inside the export directory: O_NOFOLLOW refuses one (ELOOP).
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
    if fd < 0, errno == ELOOP { throw AnnotError.invalidPath(relativePath, reason: "is a symbolic link in the export directory") }
    guard fd >= 0 else { throw AnnotError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var done = 0
    try bytes.withUnsafeBytes { buf in
      while done < buf.count {
        let n = Foundation.write(fd, buf.baseAddress! + done, buf.count - done)
        if n < 0 { if errno == EINTR { continue }; throw AnnotError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        done += n
      }
    }
    let hash = SHA256.hash(bytes)
    lock.lock(); hashedPaths.append(relativePath); digests += hash; lock.unlock()
  }

  func writeImage(_ relativePath: String, item: ExportItem) throws {
    try write(relativePath, try item.imageBytes())
  }
}

extension Repository {
  public struct ExportOutcome: Sendable {
    public var commit: ObjectID
    public var images: Int
    public var files: Int
    public var report: ExportReport
  }

  /// Writes revision `rev` in `format` to `dir`, plus `annot-export.manifest`. The same revision,
  /// format and options give the same bytes on every machine: items go to the exporter sorted
  /// by path, exporters use fixed number formats, and nothing reads the clock.
  ///
  /// `dir` must not exist, be empty, or hold only an earlier export (which is replaced whole:
  /// the export is written into a temporary sibling and renamed into place, so a killed or
  /// failed export leaves `dir` as it was).
  ///
  /// `progress(done, total)` is called as the exporter reads each image's bytes (from any thread).
  public func export(_ rev: String, format: String, to dir: URL, options: [String: String] = [:],
                     include: ((LabelDocument) -> Bool)? = nil, strict: Bool = false,
                     registry: FormatRegistry = .builtIn,
                     progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> ExportOutcome {
    let exporter = try registry.exporter(named: format)
    let commit = try resolveCommit(rev)
    let tree = try git.commit(commit).tree
    // A labels-only clone says so before anything is written.
    if isLabelsOnly { try fetchMissingImagesOnDemand(in: tree); try requireImages(in: tree) }
    try refuseInsideGitDir(dir)
    try checkExportTarget(dir)
    // Written into a temporary sibling, renamed into place at the end (Repository+ExportStaging).
    let staging = try StagedDirectory.begin(dir, kind: "export")
    do {
      let outcome = try export(commit: commit, tree: tree, format: format, exporter: exporter, to: staging, options: options,
                               include: include, strict: strict, progress: progress)
      try StagedDirectory.finish(staging, at: dir, kind: "export")
      return outcome
    } catch {
      StagedDirectory.abandon(staging)
      throw error
    }
  }

  private func export(commit: ObjectID, tree: ObjectID, format: String, exporter: any DatasetExporter, to dir: URL, options: [String: String],
                      include: ((LabelDocument) -> Bool)?, strict: Bool, progress: (@Sendable (Int, Int) -> Void)?) throws -> ExportOutcome {
    let manifest = try self.manifest(in: tree)
    let store = git
    // In path byte order, the order every exporter writes in.
    let all = try entries(in: tree).filter { $0.labels != nil && $0.image != nil }
      .sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    let exported = ExportCount()
    // Documents are read a batch at a time and decoded on all cores; the exporter gets them one
    // by one, so a streaming exporter never holds more than a batch.
    @Sendable func documents(_ body: (_ image: ObjectID, _ doc: LabelDocument) throws -> Void) throws {
      let batch = 1024
      for start in stride(from: 0, to: all.count, by: batch) {
        let slice = all[start..<min(start + batch, all.count)]
        let raw = try slice.map { (path: $0.path, bytes: try store.blob($0.labels!)) }
        let docs = try ParallelMap.map(raw) { r -> LabelDocument in
          do { return try LabelDocument.decode(r.bytes) } catch let error as DocumentError {
            throw AnnotError.invalidFile(file: DatasetPath.labelEntry(r.path), place: error.place, message: error.message)
          }
        }
        for (e, doc) in zip(slice, docs) { try body(e.image!, doc) }
      }
    }
    let stream: ExportStream
    if let include {
      // A filtered export knows how many images it writes only once every document is read:
      // the chosen ones are kept, and the progress counts them.
      var chosen: [(ObjectID, LabelDocument)] = []
      try documents { image, doc in if include(doc) { chosen.append((image, doc)) } }
      let counter = progress.map { ExportProgressCounter(total: chosen.count, report: $0) }
      let items = chosen.map { image, doc in
        ExportItem(document: doc, imageBytes: { defer { counter?.tick() }; return try store.blob(image) })
      }
      exported.set(items.count)
      stream = ExportStream(items)
    } else {
      let counter = progress.map { ExportProgressCounter(total: all.count, report: $0) }
      stream = ExportStream(count: all.count) { body in
        try documents { image, doc in
          exported.add()
          try body(ExportItem(document: doc, imageBytes: { defer { counter?.tick() }; return try store.blob(image) }))
        }
      }
    }
    let sink = DirectorySink(root: dir)
    let report: ExportReport
    do { report = try exporter.export(manifest: manifest, stream: stream, to: sink, options: ExportOptions(extra: options)) } catch {
      try? sink.finish()
      throw error
    }
    try sink.finish()
    if strict, !report.losses.isEmpty { throw FormatError.lossy(format: format, summary: report.lossSummary) }
    try Self.writeExportManifest(to: dir.appendingPathComponent(ExportManifest.fileName).path, sink: sink, fields: [
      "annot_version": .string(Repository.toolVersion),
      "commit": .string(commit.hex),
      "format": .string(format),
      "options": .object(options.mapValues { .string($0) }),
      "images": .number(Double(exported.value)),
      "losses": .object(report.losses.mapValues { .number(Double($0)) }),
    ])
    return ExportOutcome(commit: commit, images: exported.value, files: sink.fileCount, report: report)
  }

  public static let toolVersion = "0.1.0"

  /// Writes `annot-export.manifest`: `fields` plus `files` (the sink's hashes) in
  /// `CanonicalJSON.writeDocumentLayout`'s layout, byte for byte, with `files` streamed from the
  /// sink instead of built as a `JSONValue` of 2M entries. The layout is written with `files`
  /// empty and the object is spliced in where that empty object stands (`  "files": {}` on a
  /// line of its own can be nothing else: other keys' values are written without spaces).
  static func writeExportManifest(to path: String, sink: DirectorySink, fields: [String: JSONValue]) throws {
    var withEmptyFiles = fields
    withEmptyFiles["files"] = .object([:])
    let layout = CanonicalJSON.writeDocumentLayout(.object(withEmptyFiles))
    let marker = Array("\n  \"files\": {}".utf8)
    guard let at = layout.firstRange(of: marker) else { preconditionFailure("the manifest layout has a files line") }
    guard var out = BufferedFileWriter(path: path) else { throw AnnotError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    out.append(layout[..<(at.upperBound - 2)])
    sink.writeFilesObject(into: &out)
    out.append(layout[at.upperBound...])
    guard out.commit() else { throw AnnotError.cannotWrite(path: path, reason: "write failed") }
  }

  /// An export into `.annot` (say `--to .annot/refs/heads/x`) would overwrite refs and objects:
  /// refused, whichever symlinks the path goes through. The deepest existing ancestor of `dir`
  /// is resolved, so a target that does not exist yet is judged by where it would be created.
  func refuseInsideGitDir(_ dir: URL) throws {
    guard let gitReal = FileWalk.realPath(gitDir) else { return }
    var probe = dir.standardizedFileURL
    var rest: [String] = []
    while FileWalk.realPath(probe.path) == nil, probe.path != "/" {
      rest.insert(probe.lastPathComponent, at: 0)
      probe.deleteLastPathComponent()
    }
    guard let base = FileWalk.realPath(probe.path) else { return }
    let target = ([base] + rest).joined(separator: "/")
    if target == gitReal || target.hasPrefix(gitReal + "/") || gitReal.hasPrefix(target + "/") {
      throw AnnotError.invalidPath(dir.path, reason: "export target is inside (or contains) the repository's .annot directory")
    }
  }
}

/// Counts image reads of an export for its progress callback.
/// Images handed to the exporter (a stream's items are counted as they are produced).
final class ExportCount: @unchecked Sendable {
  private let lock = NSLock()
  private var n = 0
  func add() { lock.lock(); n += 1; lock.unlock() }
  func set(_ v: Int) { lock.lock(); n = v; lock.unlock() }
  var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

final class ExportProgressCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var done = 0
  let total: Int
  let report: @Sendable (Int, Int) -> Void
  init(total: Int, report: @escaping @Sendable (Int, Int) -> Void) { self.total = total; self.report = report }
  func tick() {
    lock.lock()
    done += 1
    let n = done
    lock.unlock()
    report(n, total)
  }
}
