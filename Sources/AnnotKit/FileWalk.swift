import Foundation

/// Lists regular files and symlinks under a directory with POSIX calls, so that names that
/// are not valid UTF-8 are reported instead of being skipped (FileManager drops them).
enum FileWalk {
  /// Paths relative to `root`, sorted, of every non-directory under `root/rel`.
  ///
  /// `root/rel` must resolve (symlinks followed) inside `root`, and so must every symlink found
  /// under it: a directory that is a link to somewhere else is refused like a file link is.
  static func files(root: String, under rel: String, skip: (String) -> Bool) throws -> [String] {
    try requireInside(root: root, rel)
    var out: [String] = []
    func walk(_ relDir: String) throws {
      let abs = relDir.isEmpty ? root : root + "/" + relDir
      guard let d = opendir(abs) else { throw AnnotError.invalidFile(file: relDir, place: "", message: String(cString: strerror(errno))) }
      defer { closedir(d) }
      while let ent = readdir(d) {
        let raw = withUnsafeBytes(of: ent.pointee.d_name) { buf in Array(buf.prefix { $0 != 0 }) }
        if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
        guard let name = String(validating: raw, as: UTF8.self) else {
          let shown = String(decoding: raw, as: UTF8.self)
          throw AnnotError.invalidFile(file: (relDir.isEmpty ? "" : relDir + "/") + shown, place: "", message: "file name is not valid UTF-8")
        }
        let child = relDir.isEmpty ? name : relDir + "/" + name
        if skip(child) { continue }
        var st = stat()
        guard lstat(root + "/" + child, &st) == 0 else { continue }
        if (st.st_mode & S_IFMT) == S_IFDIR { try walk(child) } else {
          if (st.st_mode & S_IFMT) == S_IFLNK { try requireInside(root: root, child) }
          out.append(child)
        }
      }
    }
    try walk(rel)
    return out.sorted()
  }

  /// Throws unless `root/rel` resolves, through every symlink on the way, to `root` or a path
  /// inside it. A dangling link is left to the caller (it fails when read).
  static func requireInside(root: String, _ rel: String) throws {
    guard let realRoot = realPath(root) else { return }
    let path = rel.isEmpty ? root : root + "/" + rel
    guard let real = realPath(path) else { return }
    guard real == realRoot || real.hasPrefix(realRoot + "/") else {
      throw AnnotError.invalidFile(file: rel, place: "", message: "symbolic link resolves outside the repository (\(real)); refused")
    }
  }

  static func realPath(_ p: String) -> String? {
    guard let r = realpath(p, nil) else { return nil }
    defer { free(r) }
    return String(cString: r)
  }
}
