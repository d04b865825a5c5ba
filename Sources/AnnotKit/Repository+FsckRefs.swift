import Foundation
import AnnotModel
import AnnotStore

// `annot fsck`, refs: every loose ref file and packed-refs line must be a well-formed name
// holding an object id (or `ref: NAME`) of an object that exists and is a commit (tags may name
// tag objects), and HEAD must name a branch or an existing commit. Read from the files, not
// through libgit2's ref iterator, which stops at the first unreadable ref: damage such as an
// export written into `.annot/refs/heads/x` (files that are not refs) is exactly what must show.

extension Repository {
  /// Every problem with HEAD, loose refs and packed refs, one line each.
  public func refProblems() -> [String] {
    var out: [String] = []
    let fm = FileManager.default
    func checkTarget(_ name: String, _ hex: String) {
      guard let id = ObjectID(hex: hex) else { out.append("\(DisplayText.quoted(name)): holds \"\(DisplayText.excerpt(hex))\", not an object id"); return }
      guard let kind = git.objectKind(id) else { out.append("\(DisplayText.quoted(name)): points at \(id.hex), which is missing"); return }
      switch kind {
      case .commit: return
      case .tag where name.hasPrefix("refs/tags/"): return
      default: out.append("\(DisplayText.quoted(name)): points at a \(kind.rawValue) \(id.short), not a commit")
      }
    }
    func checkContent(_ name: String, _ text: String) {
      let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
      if line.hasPrefix("ref: ") {
        let target = String(line.dropFirst(5))
        if !GitRepository.isValidReferenceName(target) { out.append("\(DisplayText.quoted(name)): symbolic ref to an invalid name \"\(DisplayText.excerpt(target))\"") }
        return
      }
      checkTarget(name, line)
    }
    // HEAD.
    if let head = try? String(contentsOfFile: gitDir + "/HEAD", encoding: .utf8) {
      let line = head.trimmingCharacters(in: .newlines)
      if line.hasPrefix("ref: ") {
        let target = String(line.dropFirst(5))
        if !target.hasPrefix("refs/heads/") || !GitRepository.isValidReferenceName(target) {
          out.append("HEAD: names \"\(DisplayText.excerpt(target))\", not a branch")
        }
      } else {
        checkTarget("HEAD", line)
      }
    } else {
      out.append("HEAD: missing or unreadable")
    }
    // Loose refs.
    let refsDir = gitDir + "/refs"
    if let walker = fm.enumerator(atPath: refsDir) {
      while let rel = walker.nextObject() as? String {
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: refsDir + "/" + rel, isDirectory: &isDir), !isDir.boolValue else { continue }
        let name = "refs/" + rel
        if rel.hasSuffix(".lock") { continue }   // a writer's lock (git's or libgit2's); not a ref
        guard GitRepository.isValidReferenceName(name) else { out.append("\(DisplayText.quoted(name)): not a valid ref name"); continue }
        guard let data = fm.contents(atPath: refsDir + "/" + rel), data.count <= 4096,
              let text = String(data: data, encoding: .utf8) else {
          out.append("\(DisplayText.quoted(name)): not a ref (binary or oversized content)"); continue
        }
        checkContent(name, text)
      }
    }
    // Packed refs: "<id> <name>" lines, "^<id>" peeled lines, "#" header.
    if let packed = try? String(contentsOfFile: gitDir + "/packed-refs", encoding: .utf8) {
      for (i, line) in packed.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
        if line.hasPrefix("#") || line.hasPrefix("^") { continue }
        let parts = line.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { out.append("packed-refs line \(i + 1): malformed"); continue }
        let name = String(parts[1])
        guard GitRepository.isValidReferenceName(name) else { out.append("packed-refs line \(i + 1): \(DisplayText.quoted(name)) is not a valid ref name"); continue }
        // A loose ref of the same name wins, as in git; it was checked above.
        if fm.fileExists(atPath: gitDir + "/" + name) { continue }
        checkTarget(name, String(parts[0]))
      }
    }
    return out
  }

  /// Object ids of the loose and packed refs that parse (fsck's roots when libgit2's iterator
  /// cannot read every ref).
  func refRoots() -> [ObjectID] {
    var out: [ObjectID] = []
    let fm = FileManager.default
    if let walker = fm.enumerator(atPath: gitDir + "/refs") {
      while let rel = walker.nextObject() as? String {
        if let t = try? String(contentsOfFile: gitDir + "/refs/" + rel, encoding: .utf8), let id = ObjectID(hex: t.trimmingCharacters(in: .whitespacesAndNewlines)),
           git.objectKind(id) == .commit { out.append(id) }
      }
    }
    for line in ((try? String(contentsOfFile: gitDir + "/packed-refs", encoding: .utf8)) ?? "").split(separator: "\n") {
      if let id = ObjectID(hex: String(line.prefix(40))), git.objectKind(id) == .commit { out.append(id) }
    }
    return out
  }
}
