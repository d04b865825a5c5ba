import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create an empty annot repository.")
    @OptionGroup var output: QuietOption
    @Argument(help: "Directory to create the repository in.") var directory: String = "."
    func run() throws {
      let repo = try Repository.initialize(at: directory)
      output.say("Initialized empty annot repository in \(repo.gitDir)/")
    }
  }

  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the branch, what is staged, and merge conflicts.")
    @Flag(help: "Machine-readable output.") var json = false
    func run() throws {
      let repo = try openRepository()
      let s = try repo.status()
      if json {
        printJSON(.object([
          "branch": .str(s.branch), "head": .str(s.head?.hex),
          "staged": .object([
            "images_added": .array(s.imagesAdded.map { .string($0) }),
            "images_removed": .array(s.imagesRemoved.map { .string($0) }),
            "images_modified": .array(s.imagesModified.map { .string($0) }),
            "schema_changed": .bool(s.schemaChanged),
            "annotations_by_class": .object(s.annotationsByClass.mapValues { .int($0) }),
          ]),
          "merging": .str(s.merging?.hex),
          // One entry per conflict; "image" repeats "path" under the name scripts look for.
          "conflicts": .array(s.conflicts.map { c in
            guard var o = c.objectValue else { return c }
            if let p = o["path"], o["image"] == nil { o["image"] = p }
            return .object(o)
          }),
        ]))
        return
      }
      emit(s.branch.map { "On branch \($0)" } ?? "HEAD detached at \(s.head?.short ?? "?")")
      if s.head == nil { emit("\nNo commits yet") }
      if let m = s.merging {
        emit("\nYou are merging \(m.short).")
        if s.conflicts.isEmpty { emit("  All conflicts settled: run 'annot merge --continue'.") }
      }
      if !s.conflicts.isEmpty {
        emit("\nUnresolved conflicts (\(s.conflicts.count)):")
        emit("  (use 'annot resolve PATH --ours|--theirs' or '--annotation ID=ours|theirs')")
        for c in s.conflicts { emit(Console.red("  " + conflictLine(c))) }
      }
      if s.isClean {
        emit(s.conflicts.isEmpty ? "\nnothing to commit" : "")
        return
      }
      let total = s.annotationsByClass.values.reduce(0, +)
      let n = s.imagesAdded.count + s.imagesModified.count + s.imagesRemoved.count
      emit("\nStaged: \(n) image\(n == 1 ? "" : "s"), \(total) annotation\(total == 1 ? "" : "s") in changed documents")
      if !s.annotationsByClass.isEmpty {
        let w = s.annotationsByClass.keys.map(\.count).max() ?? 0
        for (k, v) in s.annotationsByClass.sorted(by: { $0.key < $1.key }) {
          emit("  " + k.padding(toLength: w, withPad: " ", startingAt: 0) + "  \(v)")
        }
      }
      if s.schemaChanged { emit(Console.green("  modified:  annot.json (schema)")) }
      let limit = 20
      func list(_ title: String, _ items: [String], _ paint: (String) -> String) {
        guard !items.isEmpty else { return }
        for p in items.prefix(limit) { emit(paint("  \(title) images/\(p)")) }
        if items.count > limit { emit("  … and \(items.count - limit) more \(title.trimmingCharacters(in: .whitespaces).dropLast())") }
      }
      list("new image:", s.imagesAdded, Console.green)
      list("modified: ", s.imagesModified, Console.green)
      list("deleted:  ", s.imagesRemoved, Console.red)
    }
  }

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Stage files from the repository directory: images/…, labels/….json, annot.json.")
    @Flag(name: [.customShort("n"), .long], help: "Show what would be staged.") var dryRun = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Files or directories (recursive).") var paths: [String]
    func run() throws {
      let repo = try openRepository()
      let out = try repo.add(paths, dryRun: dryRun)
      for p in out.paths { output.say("\(dryRun ? "would add" : "add") 'images/\(p)'") }
      if out.paths.isEmpty { output.say("nothing to add (\(out.imagesUnchanged) unchanged)") }
    }
  }

  struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove images and their labels from the stage.")
    @Flag(name: .customShort("r"), help: "Allow recursive removal of a directory.") var recursive = false
    @Flag(name: [.customShort("n"), .long], help: "Show what would be removed.") var dryRun = false
    @OptionGroup var output: QuietOption
    @Argument(help: "Image paths (images/x.png or x.png) or directories with -r.") var paths: [String]
    func run() throws {
      let repo = try openRepository()
      for p in try repo.remove(paths, recursive: recursive, dryRun: dryRun).paths { output.say("rm 'images/\(p)'") }
    }
  }

  struct Mv: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move or rename an image and its labels.")
    @Argument(help: "Source image path.") var source: String
    @Argument(help: "Destination image path.") var destination: String
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      let out = try repo.move(source, to: destination)
      output.say("renamed images/\(out.paths[0]) -> images/\(out.paths[1])")
    }
  }

  struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Record the stage as a new commit.",
      discussion: """
        Without -m, opens an editor on .annot/COMMIT_EDITMSG, as git does: the
        first of $ANNOT_EDITOR, $GIT_EDITOR, core.editor, $VISUAL, $EDITOR, vi.
        Lines starting with '#' are dropped; an empty message aborts the commit.
        """)
    @Option(name: .shortAndLong, help: "Commit message (without it, an editor opens).") var message: String?
    @Option(help: "Override the author: 'Name <email>'.") var author: String?
    @Flag(help: "Replace the tip of the current branch.") var amend = false
    @Flag(help: "Allow a commit that changes nothing.") var allowEmpty = false
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      var authorOverride: (String, String)?
      if let author {
        guard let a = Repository.parseAuthor(author) else { throw ValidationError("--author must look like 'Name <email>'") }
        authorOverride = a
      }
      let text: String
      if let message { text = message } else {
        // Refuse before the editor opens when there is nothing to record.
        if !amend && !allowEmpty && !repo.isMerging, try repo.stageTree() == (try repo.headTreeOrEmpty()) {
          throw AnnotError.nothingToCommit
        }
        text = try CommitMessageEditor.edit(repo, template: try CommitMessageEditor.template(repo, amend: amend))
      }
      var o = Repository.CommitOptions(message: text)
      o.amend = amend
      o.allowEmpty = allowEmpty
      o.author = authorOverride
      let isRoot = try repo.headCommit() == nil
      let id = try repo.commit(o)
      let branch = try repo.currentBranch() ?? "detached HEAD"
      output.say("[\(branch)\(isRoot ? " (root-commit)" : "") \(id.short)] \(text.split(separator: "\n").first ?? "")")
    }
  }
}

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
