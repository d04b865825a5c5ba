import Foundation
import AnnotModel
import AnnotMedia

/// File-system reads shared by the importers: whole files, directory listings with their raw
/// byte names checked for UTF-8, and image files checked to stay inside their root.
enum FileAccess {
  /// One directory entry.
  struct Entry: Sendable {
    var name: String
    var isDirectory: Bool
  }

  /// Reads a whole annotation file, refusing what would exhaust memory: a file larger than
  /// ``Limits/maxInputBytes`` (checked on the open descriptor before reading), or anything
  /// that is not a regular file (a FIFO or device would never end). With `root`, the file must
  /// also resolve, through symlinks, inside `root`: the same rule as images, so a label file
  /// linked to `/etc/passwd` is refused before a byte of it is read.
  static func read(_ url: URL, display: String, inside root: URL? = nil,
                   limit: Int = Limits.maxInputBytes) throws(FormatError) -> [UInt8] {
    let (fd, st) = try openInput(url, display: display, inside: root, limit: limit)
    defer { close(fd) }
    let size = Int(st.st_size)
    var out = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
      let n = out.withUnsafeMutableBytes { sysRead(fd, $0.baseAddress! + done, size - done) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      done += n
    }
    // A file that shrank while being read is read as far as it goes; one that grew is cut at
    // the size it had, so the limit holds.
    if done < size { out.removeSubrange(done...) }
    return out
  }

  /// Opens an input file with `read`'s checks (inside `root`, a regular file, within `limit`)
  /// and returns the descriptor, which the caller closes, and its stat data.
  static func openInput(_ url: URL, display: String, inside root: URL? = nil,
                        limit: Int = Limits.maxInputBytes) throws(FormatError) -> (Int32, stat) {
    if let root {
      guard let real = resolved(url) else {
        throw FormatError.invalid(file: display, place: "", message: exists(url) ? "dangling symlink" : "no such file")
      }
      guard let realRoot = realRoot(root), real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") else {
        throw FormatError.invalid(file: display, place: "", message: "symlink resolves outside \(DisplayText.quoted(root.path)); refused")
      }
    }
    let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
      throw FormatError.invalid(file: display, place: "", message: exists(url) ? "cannot read the file" : "no such file")
    }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw FormatError.invalid(file: display, place: "", message: "not a regular file")
    }
    let size = Int(st.st_size)
    guard size <= limit else {
      close(fd)
      throw FormatError.invalid(file: display, place: "",
                                message: "file is \(size) bytes, over the input limit of \(limit) (raise it with ANNOT_MAX_INPUT_BYTES)")
    }
    return (fd, st)
  }

  /// True for a regular file, following symlinks.
  static func isRegularFile(_ url: URL) -> Bool {
    var st = stat()
    return stat(url.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
  }
  static func isDirectory(_ url: URL) -> Bool {
    var st = stat()
    return stat(url.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
  }
  /// True if something (even a dangling symlink) is at `url`.
  static func exists(_ url: URL) -> Bool {
    var st = stat()
    return lstat(url.path, &st) == 0
  }

  /// Entries of a directory sorted by name bytes, without `.` and `..`. Names that are not
  /// UTF-8 are an error rather than being mangled, since they would become dataset paths.
  static func list(_ dir: URL, display: String) throws(FormatError) -> [Entry] {
    guard let d = opendir(dir.path) else { throw FormatError.invalid(file: display, place: "", message: "cannot list the directory") }
    defer { closedir(d) }
    var out: [Entry] = []
    while let e = readdir(d) {
      let raw: [UInt8] = withUnsafeBytes(of: e.pointee.d_name) { buf in Array(buf.prefix { $0 != 0 }) }
      if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
      guard let name = String(validating: raw, as: UTF8.self) else {
        let shown = raw.map { $0 < 0x80 && $0 >= 0x20 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
        throw FormatError.invalid(file: display, place: "", message: "file name '\(shown)' is not valid UTF-8")
      }
      out.append(Entry(name: name, isDirectory: isDirectory(dir.appendingPathComponent(name))))
    }
    return out.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
  }

  /// All regular files under `dir`, as paths relative to it (`a/b.jpg`), sorted.
  static func walk(_ dir: URL, display: String, depth: Int = 0) throws(FormatError) -> [String] {
    guard depth < 32 else { throw FormatError.invalid(file: display, place: "", message: "directories nested deeper than 32 levels") }
    var out: [String] = []
    for e in try list(dir, display: display) {
      if e.isDirectory {
        for sub in try walk(dir.appendingPathComponent(e.name), display: display + "/" + e.name, depth: depth + 1) {
          out.append(e.name + "/" + sub)
        }
      } else {
        out.append(e.name)
      }
    }
    return out
  }

  /// `realPath` of a file, cheaply for the common case: one lstat tells a plain file, whose real
  /// path is its folder's (resolved once per folder) plus its name; anything else (a symlink) is
  /// resolved in full. `lstat` is the caller's, when it has one.
  static func resolved(_ file: URL, lstat given: stat? = nil) -> String? { resolved(atPath: file.path, lstat: given) }

  static func resolved(atPath file: String, lstat given: stat? = nil) -> String? {
    var st = stat()
    if let given { st = given } else if lstat(file, &st) != 0 { return nil }
    guard (st.st_mode & S_IFMT) == S_IFREG else { return realPath(URL(fileURLWithPath: file)) }
    let (folder, name) = split(file)
    return realRoot(atPath: folder).map { ($0.hasSuffix("/") ? $0 : $0 + "/") + name }
  }

  /// `a/b/c.png` → (`a/b`, `c.png`); `/c.png` → (`/`, `c.png`); `c.png` → (`.`, `c.png`).
  static func split(_ path: String) -> (folder: String, name: String) {
    let u = path.utf8
    guard let slash = u.lastIndex(of: UInt8(ascii: "/")) else { return (".", path) }
    let folder = slash == u.startIndex ? "/" : String(path[..<slash])
    return (folder, String(path[path.index(after: slash)...]))
  }

  /// The canonical absolute path (symlinks resolved), nil if it does not exist.
  static func realPath(_ url: URL) -> String? {
    guard let p = realpath(url.path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  /// `realPath` of the roots images are checked against and of the folders images are in: the
  /// same few are asked for once per image, and resolving one costs a system call per path
  /// component. Bounded: past 4,096 folders the rest are resolved each time.
  /// An entry is used only while `lstat` of the path still gives the same device and inode, so
  /// a folder that was replaced (by a symlink, say) since it was resolved is resolved again.
  private static let rootCache = RootCache()
  private final class RootCache: @unchecked Sendable {
    let lock = NSLock()
    var paths: [String: (real: String, dev: UInt64, ino: UInt64)] = [:]
    func real(_ path: String) -> String? {
      var st = stat()
      guard lstat(path, &st) == 0 else { return nil }
      let dev = UInt64(st.st_dev), ino = UInt64(st.st_ino)
      lock.lock()
      if let e = paths[path], e.dev == dev, e.ino == ino { lock.unlock(); return e.real }
      lock.unlock()
      guard let p = FileAccess.realPath(URL(fileURLWithPath: path)) else { return nil }
      lock.lock(); if paths.count < 4096 || paths[path] != nil { paths[path] = (p, dev, ino) }; lock.unlock()
      return p
    }
  }
  static func realRoot(_ url: URL) -> String? { rootCache.real(url.path) }
  static func realRoot(atPath path: String) -> String? { rootCache.real(path) }

  /// Checks that `file` exists, resolves (through symlinks) inside `root`, and has a readable
  /// image header; returns what the header says. Errors name `errFile` and `place`.
  static func probeImage(_ file: URL, root: URL, errFile: String, place: String,
                         headers: (any HeaderCache)? = nil) throws(FormatError) -> ImageInfo {
    try probeImage(atPath: file.path, root: root.path, errFile: errFile, place: place, headers: headers).info
  }

  /// `probeImage` by path, for importers that probe every image of a large dataset: it also
  /// returns the file's stat data (following a symlink), taken once and handed on, so the header
  /// cache here and the stat cache of the caller do not stat the file again. `lstat` is the
  /// caller's, when it already has one for `file`.
  static func probeImage(atPath file: String, root: String, errFile: String, place: String,
                         headers: (any HeaderCache)? = nil, lstat given: stat? = nil) throws(FormatError) -> (info: ImageInfo, stat: FileStat?) {
    // One lstat answers "exists", "symlink?" and "regular file?" for a plain file, and its real
    // path costs no realpath(3) (a system call per path component) per image.
    var st = stat()
    if let given { st = given } else {
      guard lstat(file, &st) == 0 else {
        throw FormatError.invalid(file: errFile, place: place, message: "image file not found: \(file)")
      }
    }
    // In a flat folder the file's folder is the root: resolved once, not twice, per image.
    let isPlain = (st.st_mode & S_IFMT) == S_IFREG
    let (folder, name) = split(file)
    guard let realRoot = realRoot(atPath: root),
          let real = isPlain && folder == root ? (realRoot.hasSuffix("/") ? realRoot : realRoot + "/") + name : resolved(atPath: file, lstat: st) else {
      throw FormatError.invalid(file: errFile, place: place, message: "image file is a dangling symlink: \(file)")
    }
    guard real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") else {
      throw FormatError.invalid(file: errFile, place: place, message: "image file \(file) resolves to \(real), outside \(realRoot)")
    }
    // What the bytes are: lstat's answer for a plain file, stat's through a symlink.
    let fileStat: FileStat? = isPlain ? FileStat(st) : FileStat.of(file)
    guard isPlain || isRegularFile(URL(fileURLWithPath: file)) else {
      throw FormatError.invalid(file: errFile, place: place, message: "image path is not a regular file: \(file)")
    }
    // A header the caller remembers for this unchanged file; the limits may have been lowered
    // since, so a remembered size over them is probed again (and refused with the file's name).
    if let fileStat, let known = headers?.header(forFile: file, stat: fileStat),
       Limits.imageSizeProblem(width: known.width, height: known.height) == nil {
      return (known, fileStat)
    }
    do { return (try ImageProbe.probe(atPath: file), fileStat) } catch {
      throw FormatError.invalid(file: errFile, place: place, message: error.description)
    }
  }
}

/// read(2), named apart from `FileAccess.read`.
private func sysRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buf, count) }

/// Number formatting for text formats.
enum FixedDecimal {
  /// `d` with exactly `places` decimals, rounded half away from zero, `-0` written as `0`.
  /// Built from integer arithmetic so no locale or libc printf can change it.
  static func format(_ d: Double, places: Int = 6) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = Int64((d * scale).rounded(.toNearestOrAwayFromZero))
    let negative = scaled < 0
    let mag = scaled.magnitude
    let unit = UInt64(scale)
    var frac = String(mag % unit)
    frac = String(repeating: "0", count: places - frac.count) + frac
    return (negative ? "-" : "") + String(mag / unit) + (places > 0 ? "." + frac : "")
  }
}

/// Shape conversions shared by exporters.
enum ShapeMath {
  /// Vertices of an ellipse as a flat polygon (`n` points, first at angle 0), rounded to
  /// 1/1000 px so the bytes do not depend on the last bit of a libm's sin/cos.
  static func ellipsePolygon(cx: Double, cy: Double, rx: Double, ry: Double, rotation: Double, n: Int = 32) -> [Double] {
    let r = rotation * Double.pi / 180
    var out: [Double] = []
    for k in 0..<n {
      let t = 2 * Double.pi * Double(k) / Double(n)
      let x = rx * cos(t), y = ry * sin(t)
      out.append(((cx + x * cos(r) - y * sin(r)) * 1000).rounded() / 1000)
      out.append(((cy + x * sin(r) + y * cos(r)) * 1000).rounded() / 1000)
    }
    return out
  }

  /// The four corners of a box rotated clockwise by `rotation` degrees about its centre,
  /// starting top-left; exact (no trig) when the rotation is 0.
  static func boxCorners(_ b: Box, rotation: Double) -> [Double] {
    if rotation == 0 { return [b.x, b.y, b.maxX, b.y, b.maxX, b.maxY, b.x, b.maxY] }
    let r = rotation * Double.pi / 180, cx = b.x + b.w / 2, cy = b.y + b.h / 2
    var out: [Double] = []
    for (dx, dy) in [(-b.w / 2, -b.h / 2), (b.w / 2, -b.h / 2), (b.w / 2, b.h / 2), (-b.w / 2, b.h / 2)] {
      out.append(((cx + dx * cos(r) - dy * sin(r)) * 1000).rounded() / 1000)
      out.append(((cy + dx * sin(r) + dy * cos(r)) * 1000).rounded() / 1000)
    }
    return out
  }

  /// The axis-aligned box of a flat point list.
  static func bounds(_ flat: [Double]) -> Box? { Box.bounding(flat) }
}

/// Schema helpers for formats that name classes but carry no ids (YOLO, LabelMe).
enum SchemaBuilder {
  /// A manifest holding `names`: classes already in `existing` keep their id and details;
  /// new ones get `preferred[name]` if free, else the next free id after the largest in use.
  static func manifest(names: [String], existing: DatasetManifest?, preferred: [String: Int] = [:]) -> DatasetManifest {
    var classes: [LabelClass] = []
    var used = Set<Int>()
    var pending: [String] = []
    for n in names {
      if let c = existing?.labelClass(named: n) { classes.append(c); used.insert(c.id) } else { pending.append(n) }
    }
    // Ids of existing classes not imported here stay reserved, so a later merge cannot clash.
    for c in existing?.classes ?? [] { used.insert(c.id) }
    for n in pending {
      if let p = preferred[n], !used.contains(p) {
        classes.append(LabelClass(id: p, name: n)); used.insert(p)
      }
    }
    var next = (used.max() ?? 0) + 1
    for n in pending where !classes.contains(where: { $0.name == n }) {
      while used.contains(next) { next += 1 }
      classes.append(LabelClass(id: next, name: n)); used.insert(next)
    }
    return DatasetManifest(classes: classes, attributes: existing?.attributes ?? [])
  }
}

/// Ids for formats without them: the content seed plus the number of identical annotations
/// seen before in the same file, so reordering a file's lines keeps every id.
struct ContentIDs {
  private var seen: [String: Int] = [:]
  mutating func assign(_ a: inout Annotation, imagePath: String) {
    let base = AnnotationID.contentSeed(a, ordinal: 0)
    let n = seen[base, default: 0]
    seen[base] = n + 1
    a.id = AnnotationID.make(imagePath: imagePath, seed: AnnotationID.contentSeed(a, ordinal: n))
  }
}
