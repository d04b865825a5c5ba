import Foundation
import AnnotModel
import AnnotStore
import AnnotMedia

/// Reads a whole file with POSIX calls (faster than FileManager for many small images).
/// With `limit`, reads at most that many bytes (enough for an image header).
func readFile(_ path: String, limit: Int = .max) throws -> [UInt8] {
  let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
  guard fd >= 0 else { throw AnnotError.invalidFile(file: path, place: "", message: String(cString: strerror(errno))) }
  defer { close(fd) }
  var st = stat()
  guard fstat(fd, &st) == 0 else { throw AnnotError.invalidFile(file: path, place: "", message: String(cString: strerror(errno))) }
  guard (st.st_mode & S_IFMT) == S_IFREG else { throw AnnotError.invalidFile(file: path, place: "", message: "not a regular file") }
  // Bounded like the importers' inputs: a huge or sparse file must not exhaust memory.
  guard limit < Int.max || Int(st.st_size) <= Limits.maxInputBytes else {
    throw AnnotError.invalidFile(file: path, place: "", message: "file is \(st.st_size) bytes, over the input limit of \(Limits.maxInputBytes) (raise it with ANNOT_MAX_INPUT_BYTES)")
  }
  let size = min(Int(st.st_size), limit)
  var out = [UInt8](repeating: 0, count: size)
  var done = 0
  while done < size {
    let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
    if n < 0 { if errno == EINTR { continue }; throw AnnotError.invalidFile(file: path, place: "", message: String(cString: strerror(errno))) }
    if n == 0 { break }
    done += n
  }
  return done == size ? out : Array(out[0..<done])
}

extension Repository {
  /// What staging changed, for messages.
  public struct StageOutcome: Sendable {
    public var imagesAdded = 0
    public var imagesUpdated = 0
    public var imagesUnchanged = 0
    public var imagesRemoved = 0
    public var annotations = 0
    public var paths: [String] = []
    public var warnings: [String] = []
  }

  /// Turns a user-given path (relative to the current directory, or repository-relative) into a
  /// repository-relative path, refusing anything outside the repository or inside `.annot`.
  public func repositoryRelative(_ userPath: String, cwd: String = FileManager.default.currentDirectoryPath) throws -> String {
    let abs = userPath.hasPrefix("/") ? URL(fileURLWithPath: userPath) : URL(fileURLWithPath: cwd).appendingPathComponent(userPath)
    let std = abs.standardizedFileURL.path
    let rootPath = root.path
    guard std == rootPath || std.hasPrefix(rootPath + "/") else { throw AnnotError.pathOutsideRepository(userPath) }
    let rel = std == rootPath ? "" : String(std.dropFirst(rootPath.count + 1))
    if rel == Repository.directoryName || rel.hasPrefix(Repository.directoryName + "/") {
      throw AnnotError.invalidPath(userPath, reason: "inside the repository's own .annot directory")
    }
    return rel
  }

  /// A dataset path from a tree path or dataset path: `images/a.png`, `labels/a.png.json`, `a.png`.
  public func datasetPath(fromUserPath rel: String) -> String {
    if rel.hasPrefix("images/") { return String(rel.dropFirst(7)) }
    if rel.hasPrefix("labels/"), rel.hasSuffix(".json") { return String(rel.dropFirst(7).dropLast(5)) }
    return rel
  }

  // MARK: rm

  /// Unstages images (and their label documents). A directory prefix needs `recursive`, like `git rm -r`.
  /// Only the named paths and folders are read, never the whole stage.
  public func remove(_ userPaths: [String], recursive: Bool, dryRun: Bool = false) throws -> StageOutcome {
    let tx = try StageTransaction(self, command: "rm")
    var targets = Set<String>()
    for u in userPaths {
      let p = datasetPath(fromUserPath: try repositoryRelative(u))
      if try tx.image(p) != nil || tx.labels(p) != nil { targets.insert(p); continue }
      var under: [String] = []
      for (top, suffix) in [("images", ""), ("labels", ".json")] {
        let dir = p.isEmpty ? top : top + "/" + p
        guard let e = try tx.tree.entry(dir), e.isTree else { continue }
        for b in try git.leafEntries(under: e.id) where b.path.hasSuffix(suffix) {
          under.append((p.isEmpty ? "" : p + "/") + String(b.path.dropLast(suffix.count)))
        }
      }
      if under.isEmpty { throw AnnotError.invalidPath(u, reason: "pathspec did not match any staged image") }
      if !recursive { throw AnnotError.other("not removing '\(u)' recursively without -r") }
      targets.formUnion(under)
    }
    var out = StageOutcome()
    for p in targets.sorted() {
      try tx.remove(p)
      out.imagesRemoved += 1
      out.paths.append(p)
    }
    if !dryRun { try tx.finish() }
    return out
  }

  // MARK: mv

  /// Moves an image and its labels to a new dataset path (the document's image path follows).
  public func move(_ from: String, to: String) throws -> StageOutcome {
    let tx = try StageTransaction(self, command: "mv")
    let src = datasetPath(fromUserPath: try repositoryRelative(from))
    let dst = datasetPath(fromUserPath: try repositoryRelative(to))
    if let why = DatasetPath.validate(dst) { throw AnnotError.invalidPath(to, reason: why) }
    guard let img = try tx.image(src) else { throw AnnotError.invalidPath(from, reason: "no staged image at this path") }
    if try tx.tree.entry(DatasetPath.imageEntry(dst)) != nil { throw AnnotError.invalidPath(to, reason: "destination exists") }
    let doc = try tx.document(src)
    try tx.remove(src)
    try tx.putImage(dst, img)
    if var doc {
      doc.image.path = dst
      try tx.putDocument(doc)
    }
    try tx.finish()
    var out = StageOutcome()
    out.paths = [src, dst]
    return out
  }

  func refuseDuringMerge() throws {
    if isMerging { throw AnnotError.mergeInProgress }
  }

  // MARK: add

  /// Stages files from the repository directory: images under `images/`, documents under
  /// `labels/` (validated), `annot.json`. Directories are walked recursively. Images whose stat
  /// data matches the stat cache are not read again.
  public func add(_ userPaths: [String], dryRun: Bool) throws -> StageOutcome {
    let tx = try StageTransaction(self, command: "add")
    var files: [String] = []
    for u in userPaths {
      let rel = try repositoryRelative(u)
      let abs = root.appendingPathComponent(rel).path
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: abs, isDirectory: &isDir) else {
        throw AnnotError.invalidPath(u, reason: "no such file or directory")
      }
      if isDir.boolValue {
        files.append(contentsOf: try FileWalk.files(root: root.path, under: rel) {
          $0 == Repository.directoryName || $0.hasPrefix(Repository.directoryName + "/")
        })
      } else {
        try FileWalk.requireInside(root: root.path, rel)
        files.append(rel)
      }
    }
    var out = StageOutcome()
    var imageFiles: [(path: String, abs: String)] = []
    var newDocs: [String: LabelDocument] = [:]
    for rel in files {
      let abs = root.appendingPathComponent(rel).path
      if let attrs = try? FileManager.default.attributesOfItem(atPath: abs), attrs[.type] as? FileAttributeType == .typeSymbolicLink {
        let dest = try FileManager.default.destinationOfSymbolicLink(atPath: abs)
        let target = URL(fileURLWithPath: dest, relativeTo: URL(fileURLWithPath: abs).deletingLastPathComponent()).standardizedFileURL.path
        guard target.hasPrefix(root.path + "/") else { throw AnnotError.invalidFile(file: rel, place: "", message: "symbolic link points outside the repository (\(dest))") }
      }
      if rel == DatasetPath.manifestEntry {
        do { tx.manifest = try DatasetManifest.decode(readFile(abs)) } catch let e as DocumentError {
          throw AnnotError.invalidFile(file: rel, place: e.place, message: e.message)
        }
      } else if rel.hasPrefix("images/") {
        let p = String(rel.dropFirst(7))
        if let why = DatasetPath.validate(p) { throw AnnotError.invalidPath(rel, reason: why) }
        imageFiles.append((p, abs))
      } else if rel.hasPrefix("labels/"), rel.hasSuffix(".json") {
        let p = String(rel.dropFirst(7).dropLast(5))
        let doc: LabelDocument
        do { doc = try LabelDocument.decode(readFile(abs)) } catch let e as DocumentError {
          throw AnnotError.invalidFile(file: rel, place: e.place, message: e.message)
        }
        guard doc.image.path == p else {
          throw AnnotError.invalidFile(file: rel, place: "image.path", message: "is \"\(doc.image.path)\" but the file is for \"\(p)\"")
        }
        newDocs[p] = doc
      } else {
        throw AnnotError.invalidPath(rel, reason: "not under images/ or labels/ and not annot.json")
      }
    }
    // Documents may introduce classes; the schema grows before they are validated.
    for (_, doc) in newDocs.sorted(by: { $0.key < $1.key }) {
      for label in Set(doc.annotations.map(\.label)).sorted() where tx.manifest.labelClass(named: label) == nil { tx.manifest.ensureClass(label) }
    }
    // Images: probed for their size, read and packed on all cores unless the stat cache knows them.
    let cache = StatCache(path: layout.statCache)
    var infos: [String: ImageInfo] = [:]
    var blobs: [String: ObjectID] = [:]
    var toRead: [(path: String, abs: String, stat: StatCache.Stat?)] = []
    for (p, abs) in imageFiles {
      let st = StatCache.Stat.of(abs)
      if let st, let id = cache.lookup(abs, st), git.exists(id, refresh: false), try tx.image(p) == id { blobs[p] = id; continue }
      toRead.append((p, abs, st))
    }
    // The header is probed from the same read that packs the file (one read per image).
    let probed = ProbeResults()
    let rootPath = root.path
    let readAndProbe: @Sendable (String) throws -> [UInt8] = { abs in
      let bytes = try readFile(abs)
      do { probed.set(abs, try ImageProbe.probe(bytes)) } catch let error as MediaError {
        throw AnnotError.invalidFile(file: String(abs.dropFirst(rootPath.count + 1)), place: "", message: error.problem)
      }
      return bytes
    }
    if dryRun {
      _ = try ParallelMap.map(toRead.map(\.abs)) { _ = try readAndProbe($0) }
    } else {
      try tx.images.addFiles(toRead.map(\.abs), read: readAndProbe) { k, id in
        blobs[toRead[k].path] = id
        if let st = toRead[k].stat { cache.record(toRead[k].abs, st, id) }
      }
    }
    for f in toRead { infos[f.path] = probed.get(f.abs) }
    for (p, _) in imageFiles.sorted(by: { $0.path < $1.path }) {
      let existing = try tx.image(p)
      guard let info = infos[p] else { out.imagesUnchanged += 1; continue }   // known to the stat cache, unchanged
      if !dryRun, existing == blobs[p], newDocs[p] == nil { out.imagesUnchanged += 1; continue }
      existing == nil ? (out.imagesAdded += 1) : (out.imagesUpdated += 1)
      if let b = blobs[p] { try tx.putImage(p, b) }
      if newDocs[p] == nil {
        var doc = try tx.document(p) ?? LabelDocument(image: ImageRecord(path: p, width: info.width, height: info.height, mediaType: info.mediaType))
        doc.image.width = info.width; doc.image.height = info.height; doc.image.mediaType = info.mediaType
        newDocs[p] = doc
      }
      out.paths.append(p)
    }
    let imagePaths = Set(imageFiles.map(\.path))
    for (p, doc) in newDocs.sorted(by: { $0.key < $1.key }) {
      guard try imagePaths.contains(p) || tx.image(p) != nil else {
        throw AnnotError.invalidFile(file: DatasetPath.labelEntry(p), place: "", message: "no image images/\(p) is staged or being added")
      }
      out.annotations += doc.annotations.count
      if dryRun {
        if let problem = DocumentValidation.problems(doc, schema: tx.manifest).first {
          throw AnnotError.invalidFile(file: DatasetPath.labelEntry(p), place: problem.annotationID.map { "annotation \($0)" } ?? "", message: problem.message)
        }
        if !imagePaths.contains(p) { out.paths.append(p) }
        continue
      }
      try tx.putDocument(doc)
      if !imagePaths.contains(p) { out.imagesUpdated += 1; out.paths.append(p) }
    }
    if dryRun { return out }
    try tx.finish()
    cache.save()
    return out
  }
}

/// Image headers probed on several threads, by file.
private final class ProbeResults: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [String: ImageInfo] = [:]
  func set(_ k: String, _ v: ImageInfo) { lock.lock(); values[k] = v; lock.unlock() }
  func get(_ k: String) -> ImageInfo? { lock.lock(); defer { lock.unlock() }; return values[k] }
}
