import Foundation
import AnnotModel
import AnnotStore

// Exports and clones are built in a temporary sibling of their target and renamed into place
// at the end, so a killed or refused one leaves the target exactly as it was (absent, empty, or
// the earlier export) and nothing that blocks its retry. Siblings are named
// `.NAME.annot-export-PID` / `.NAME.annot-clone-PID`; a later export or clone of the same
// target removes those whose process is gone.

enum StagedDirectory {
  /// A fresh temporary sibling of `target` for `kind` ("export" or "clone"); stale siblings of
  /// dead processes are removed first. The parent is created if missing.
  static func begin(_ target: URL, kind: String) throws -> URL {
    let fm = FileManager.default
    let parent = target.standardizedFileURL.deletingLastPathComponent()
    try fm.createDirectory(at: parent, withIntermediateDirectories: true)
    let prefix = ".\(target.lastPathComponent).annot-\(kind)-"
    for name in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(prefix) {
      // "-PID" or "-old-PID"
      guard let pid = Int32(name.split(separator: "-").last ?? ""), pid != getpid() else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH { try? fm.removeItem(at: parent.appendingPathComponent(name)) }
    }
    let staging = parent.appendingPathComponent(prefix + "\(getpid())")
    try? fm.removeItem(at: staging)
    try fm.createDirectory(at: staging, withIntermediateDirectories: false)
    return staging
  }

  /// Puts `staging` in place of `target`: an existing target (empty, or an earlier export the
  /// caller checked) is renamed aside first and removed after, so the target is always either
  /// the old or the new one.
  ///
  /// With `only`, an existing (empty) target is kept and just `staging/only` is renamed into
  /// it: a clone into the current directory must not replace the directory the user is in.
  static func finish(_ staging: URL, at target: URL, kind: String, only: String? = nil) throws {
    let fm = FileManager.default
    if let only, fm.fileExists(atPath: target.path) {
      guard rename(staging.appendingPathComponent(only).path, target.appendingPathComponent(only).path) == 0 else {
        throw AnnotError.other("cannot move the \(kind) into \(DisplayText.quoted(target.path)): \(String(cString: strerror(errno)))")
      }
      try? fm.removeItem(at: staging)
      return
    }
    let parent = staging.deletingLastPathComponent()
    var aside: URL?
    if fm.fileExists(atPath: target.path) {
      let a = parent.appendingPathComponent(".\(target.lastPathComponent).annot-\(kind)-old-\(getpid())")
      try? fm.removeItem(at: a)
      guard rename(target.path, a.path) == 0 else { throw AnnotError.other("cannot replace \(DisplayText.quoted(target.path)): \(String(cString: strerror(errno)))") }
      aside = a
    }
    guard rename(staging.path, target.path) == 0 else {
      let why = String(cString: strerror(errno))
      if let aside { _ = rename(aside.path, target.path) }
      throw AnnotError.other("cannot move the \(kind) into \(DisplayText.quoted(target.path)): \(why)")
    }
    if let aside { try? fm.removeItem(at: aside) }
  }

  /// Removes a staging directory after a failure.
  static func abandon(_ staging: URL) { try? FileManager.default.removeItem(at: staging) }
}

extension Repository {
  /// Refuses a target that is a file or a non-empty directory other than an earlier export
  /// holding only its own files; nothing is deleted here (the finished export replaces it).
  func checkExportTarget(_ dir: URL) throws {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: dir.path, isDirectory: &isDir) else { return }
    guard isDir.boolValue else { throw AnnotError.invalidPath(dir.path, reason: "export target is a file") }
    let contents = try fm.subpathsOfDirectory(atPath: dir.path)
    if contents.isEmpty { return }
    let mpath = ExportManifest.path(in: dir)
    guard let data = fm.contents(atPath: mpath), let m = try? JSONParser.parse(Array(data)), let files = m["files"]?.objectValue else {
      throw AnnotError.invalidPath(dir.path, reason: "export target is a non-empty directory holding no earlier export")
    }
    let mname = (mpath as NSString).lastPathComponent
    for rel in contents where rel != mname && files[rel] == nil {
      var sub: ObjCBool = false
      if fm.fileExists(atPath: dir.appendingPathComponent(rel).path, isDirectory: &sub), sub.boolValue { continue }
      throw AnnotError.invalidPath(dir.path, reason: "holds files that are not part of the earlier export (\(DisplayText.quoted(rel))); move them away first")
    }
  }
}
