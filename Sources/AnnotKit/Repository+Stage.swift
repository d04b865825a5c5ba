import Foundation
import AnnotModel
import AnnotStore
import AnnotMedia

/// Reads a whole file with POSIX calls (faster than FileManager for many small images).
func readFile(_ path: String) throws -> [UInt8] {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { throw AnnotError.invalidFile(file: path, place: "", message: String(cString: strerror(errno))) }
  defer { close(fd) }
  var st = stat()
  guard fstat(fd, &st) == 0 else { throw AnnotError.invalidFile(file: path, place: "", message: String(cString: strerror(errno))) }
  let size = Int(st.st_size)
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
  public func remove(_ userPaths: [String], recursive: Bool, dryRun: Bool = false) throws -> StageOutcome {
    let _lock = try lockForWriting("rm")
    defer { withExtendedLifetime(_lock) {} }
    try refuseDuringMerge()
    let stage = try stageTree()
    let all = try entries(in: stage)
    let known = Set(all.map(\.path))
    var targets: [String] = []
    for u in userPaths {
      let p = datasetPath(fromUserPath: try repositoryRelative(u))
      if known.contains(p) { targets.append(p); continue }
      let prefix = p.isEmpty ? "" : p + "/"
      let under = all.map(\.path).filter { $0.hasPrefix(prefix) }
      if under.isEmpty { throw AnnotError.invalidPath(u, reason: "pathspec did not match any staged image") }
      if !recursive { throw AnnotError.other("not removing '\(u)' recursively without -r") }
      targets.append(contentsOf: under)
    }
    var out = StageOutcome()
    var updates: [TreeUpdate] = []
    for p in Set(targets).sorted() {
      updates.append(.remove(path: DatasetPath.imageEntry(p)))
      updates.append(.remove(path: DatasetPath.labelEntry(p)))
      out.imagesRemoved += 1
      out.paths.append(p)
    }
    // Remove only entries that exist (libgit2 refuses to remove a missing path).
    let present = Set(all.flatMap { e in [e.image.map { _ in DatasetPath.imageEntry(e.path) }, e.labels.map { _ in DatasetPath.labelEntry(e.path) }].compactMap { $0 } })
    updates = updates.filter { present.contains($0.path) }
    if !dryRun { try setStage(try git.updateTree(stage, updates)) }
    return out
  }

  // MARK: mv

  /// Moves an image and its labels to a new dataset path (the document's image path follows).
  public func move(_ from: String, to: String) throws -> StageOutcome {
    let _lock = try lockForWriting("mv")
    defer { withExtendedLifetime(_lock) {} }
    try refuseDuringMerge()
    let src = datasetPath(fromUserPath: try repositoryRelative(from))
    let dst = datasetPath(fromUserPath: try repositoryRelative(to))
    if let why = DatasetPath.validate(dst) { throw AnnotError.invalidPath(to, reason: why) }
    let stage = try stageTree()
    guard let img = try git.entry(tree: stage, path: DatasetPath.imageEntry(src)), !img.isTree else {
      throw AnnotError.invalidPath(from, reason: "no staged image at this path")
    }
    if try git.entry(tree: stage, path: DatasetPath.imageEntry(dst)) != nil {
      throw AnnotError.invalidPath(to, reason: "destination exists")
    }
    var updates: [TreeUpdate] = [.remove(path: DatasetPath.imageEntry(src)), .upsert(path: DatasetPath.imageEntry(dst), blob: img.id)]
    if var doc = try document(in: stage, path: src) {
      doc.image.path = dst
      let blob = try git.writeBlob(doc.canonicalBytes())
      updates.append(.remove(path: DatasetPath.labelEntry(src)))
      updates.append(.upsert(path: DatasetPath.labelEntry(dst), blob: blob))
    }
    try setStage(try git.updateTree(stage, updates))
    var out = StageOutcome()
    out.paths = [src, dst]
    return out
  }

  func refuseDuringMerge() throws {
    if isMerging { throw AnnotError.mergeInProgress }
  }

  // MARK: add

  /// Stages files from the repository directory: images under `images/`, documents under
  /// `labels/` (validated), `annot.json`. Directories are walked recursively.
  public func add(_ userPaths: [String], dryRun: Bool) throws -> StageOutcome {
    let _lock = try lockForWriting("add")
    defer { withExtendedLifetime(_lock) {} }
    try refuseDuringMerge()
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
    let stage = try stageTree()
    var manifest = try self.manifest(in: stage)
    var manifestChanged = false
    var out = StageOutcome()
    var updates: [TreeUpdate] = []
    let pack = try PackWriter(repository: git)
    var newImages: [String: (ObjectID, ImageInfo)] = [:]
    var newDocs: [String: LabelDocument] = [:]
    for rel in files {
      let abs = root.appendingPathComponent(rel).path
      if let attrs = try? FileManager.default.attributesOfItem(atPath: abs), attrs[.type] as? FileAttributeType == .typeSymbolicLink {
        let dest = try FileManager.default.destinationOfSymbolicLink(atPath: abs)
        let target = URL(fileURLWithPath: dest, relativeTo: URL(fileURLWithPath: abs).deletingLastPathComponent()).standardizedFileURL.path
        guard target.hasPrefix(root.path + "/") else { throw AnnotError.invalidFile(file: rel, place: "", message: "symbolic link points outside the repository (\(dest))") }
      }
      if rel == DatasetPath.manifestEntry {
        do { manifest = try DatasetManifest.decode(readFile(abs)) } catch let e as DocumentError {
          throw AnnotError.invalidFile(file: rel, place: e.place, message: e.message)
        }
        manifestChanged = true
      } else if rel.hasPrefix("images/") {
        let p = String(rel.dropFirst(7))
        if let why = DatasetPath.validate(p) { throw AnnotError.invalidPath(rel, reason: why) }
        let bytes = try readFile(abs)
        let info: ImageInfo
        do { info = try ImageProbe.probe(bytes) } catch { throw AnnotError.invalidFile(file: rel, place: "", message: "\(error)") }
        newImages[p] = (try pack.add(bytes), info)
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
    // Documents must name known classes and hold finite, in-image geometry.
    for (p, doc) in newDocs.sorted(by: { $0.key < $1.key }) {
      for label in Set(doc.annotations.map(\.label)) where manifest.labelClass(named: label) == nil {
        manifest.ensureClass(label); manifestChanged = true
      }
      if let problem = DocumentValidation.problems(doc, schema: manifest).first {
        throw AnnotError.invalidFile(file: DatasetPath.labelEntry(p), place: problem.annotationID.map { "annotation \($0)" } ?? "", message: problem.message)
      }
    }
    if !dryRun { try pack.finish() }
    for (p, (blob, info)) in newImages.sorted(by: { $0.key < $1.key }) {
      let existing = try git.entry(tree: stage, path: DatasetPath.imageEntry(p))
      if existing?.id == blob, newDocs[p] == nil { out.imagesUnchanged += 1; continue }
      existing == nil ? (out.imagesAdded += 1) : (out.imagesUpdated += 1)
      updates.append(.upsert(path: DatasetPath.imageEntry(p), blob: blob))
      if newDocs[p] == nil {
        var doc = try document(in: stage, path: p) ?? LabelDocument(image: ImageRecord(path: p, width: info.width, height: info.height, mediaType: info.mediaType))
        doc.image.width = info.width; doc.image.height = info.height; doc.image.mediaType = info.mediaType
        newDocs[p] = doc
      }
      out.paths.append(p)
    }
    for (p, doc) in newDocs.sorted(by: { $0.key < $1.key }) {
      guard try newImages[p] != nil || git.entry(tree: stage, path: DatasetPath.imageEntry(p)) != nil else {
        throw AnnotError.invalidFile(file: DatasetPath.labelEntry(p), place: "", message: "no image images/\(p) is staged or being added")
      }
      out.annotations += doc.annotations.count
      if dryRun { if newImages[p] == nil { out.paths.append(p) }; continue }
      updates.append(.upsert(path: DatasetPath.labelEntry(p), blob: try git.writeBlob(doc.canonicalBytes())))
      if newImages[p] == nil { out.imagesUpdated += 1; out.paths.append(p) }
    }
    if dryRun { return out }
    if manifestChanged { updates.append(.upsert(path: DatasetPath.manifestEntry, blob: try git.writeBlob(manifest.canonicalBytes()))) }
    try setStage(try git.updateTree(stage, updates))
    return out
  }
}
