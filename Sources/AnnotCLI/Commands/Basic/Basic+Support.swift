import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

/// Writing a commit message in the user's editor, as `git commit` without `-m` does.
enum CommitMessageEditor {
  /// The editor command by git's precedence, with `ANNOT_EDITOR` first; nil on a dumb terminal
  /// with none set (git refuses then too).
  static func command(environment env: [String: String], coreEditor: String?) -> String? {
    func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
    let dumb = (env["TERM"] ?? "dumb") == "dumb"
    if let e = nonEmpty(env["ANNOT_EDITOR"]) ?? nonEmpty(env["GIT_EDITOR"]) ?? nonEmpty(coreEditor) { return e }
    if !dumb, let v = nonEmpty(env["VISUAL"]) { return v }
    if let e = nonEmpty(env["EDITOR"]) { return e }
    return dumb ? nil : "vi"
  }

  /// The text the editor starts with: the old message when amending, then git's help lines and
  /// what is staged, all as comments.
  static func template(_ repo: Repository, amend: Bool) throws -> String {
    var t = "\n"
    if amend, let head = try repo.headCommit() { t = try repo.commitInfo(head).message }
    if !t.hasSuffix("\n") { t += "\n" }
    t += """
      # Please enter the commit message for your changes. Lines starting
      # with '#' will be ignored, and an empty message aborts the commit.
      #

      """
    let s = try repo.status()
    t += "# " + (s.branch.map { "On branch \($0)" } ?? "HEAD detached") + "\n"
    if s.merging != nil { t += "# You are concluding a merge.\n" }
    let changes = [("new image", s.imagesAdded), ("modified", s.imagesModified), ("deleted", s.imagesRemoved)]
    if changes.contains(where: { !$0.1.isEmpty }) || s.schemaChanged {
      t += "# Changes to be committed:\n"
      if s.schemaChanged { t += "#\tmodified:   annot.json (schema)\n" }
      for (title, paths) in changes {
        for p in paths.prefix(20) { t += "#\t\((title + ":").padding(toLength: 12, withPad: " ", startingAt: 0))images/\(p)\n" }
        if paths.count > 20 { t += "#\t… and \(paths.count - 20) more\n" }
      }
    }
    return t
  }

  /// git's `--cleanup=strip`: drops `#` lines and trailing spaces, squeezes blank lines, trims
  /// blank lines at both ends. Empty input gives "".
  static func cleanup(_ text: String) -> String {
    var lines: [String] = []
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if raw.hasPrefix("#") { continue }
      var l = String(raw)
      while let last = l.last, last == " " || last == "\t" || last == "\r" { l.removeLast() }
      if l.isEmpty, lines.last?.isEmpty ?? true { continue }
      lines.append(l)
    }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
  }

  /// Writes `template` to `.annot/COMMIT_EDITMSG`, runs the editor on it in the foreground
  /// (annot ignores SIGINT and SIGQUIT meanwhile, as git does), and returns the cleaned message.
  /// - Throws: when no editor can run, it fails, or the message is empty.
  static func edit(_ repo: Repository, template: String) throws -> String {
    let env = ProcessInfo.processInfo.environment
    guard let editor = command(environment: env, coreEditor: repo.config("core.editor")) else {
      throw AnnotError.other("no editor to write the commit message: the terminal is dumb and EDITOR is unset; use -m MESSAGE or set EDITOR")
    }
    let file = repo.gitDir + "/COMMIT_EDITMSG"
    do { try Data(template.utf8).write(to: URL(fileURLWithPath: file)) } catch {
      throw AnnotError.cannotWrite(path: file, reason: error.localizedDescription)
    }
    guard let argv = Subprocess.argv(for: editor, arguments: [file], environment: env) else {
      throw AnnotCLIError.cannotRun(editor, "not found on PATH (use -m MESSAGE or set EDITOR)")
    }
    fflush(nil)
    let pid = try Subprocess.spawn(argv, environment: env)
    let oldInt = signal(SIGINT, SIG_IGN), oldQuit = signal(SIGQUIT, SIG_IGN)
    let status = Subprocess.wait(pid)
    signal(SIGINT, oldInt); signal(SIGQUIT, oldQuit)
    guard status == 0 else { throw AnnotCLIError.editorFailed(editor, status) }
    guard let data = FileManager.default.contents(atPath: file) else { throw AnnotError.other("\(file): the editor removed the file") }
    let message = cleanup(String(decoding: data, as: UTF8.self))
    if message.isEmpty { throw AnnotCLIError.emptyMessage }
    return message
  }
}

/// One line describing a stored conflict object.
func conflictLine(_ c: JSONValue) -> String {
  let path = c["image"]?.stringValue ?? c["path"]?.stringValue ?? "?"
  let ann = c["annotation"]?.stringValue.map { " annotation \($0)" } ?? ""
  let field = c["field"]?.stringValue.map { " \($0)" } ?? ""
  let kind = c["kind"]?.stringValue.map { " (\($0))" } ?? ""
  func v(_ k: String) -> String { c[k].map { $0.isNull ? "∅" : CanonicalJSON.string($0) } ?? "∅" }
  return "\(path):\(ann)\(field)\(kind): base \(v("base")), ours \(v("ours")), theirs \(v("theirs"))"
}
