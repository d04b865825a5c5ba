import Foundation
import AnnotKit
import AnnotModel

/// How `annot log` and `annot show` print one commit: git's built-in formats and a subset of
/// its `--format` placeholders (see `LogFormat.expand`).
enum LogFormat: Equatable {
  /// `oneline` is `--oneline` (short ids); `onelineFull` is `--format=oneline` (full ids).
  case oneline, onelineFull, short, medium, full
  /// `format:` (separator semantics) or `tformat:` (terminator semantics; git's default for a
  /// bare string with `%`).
  case custom(String, terminator: Bool)

  var isCustom: Bool { if case .custom = self { return true } else { return false } }

  /// Parses git's `--format`/`--pretty` value.
  static func parse(_ s: String) -> LogFormat {
    switch s {
    case "oneline": return .onelineFull
    case "short": return .short
    case "medium": return .medium
    case "full": return .full
    default:
      if s.hasPrefix("format:") { return .custom(String(s.dropFirst(7)), terminator: false) }
      if s.hasPrefix("tformat:") { return .custom(String(s.dropFirst(8)), terminator: true) }
      return .custom(s, terminator: true)
    }
  }

  /// How dates print: git's `--date` styles.
  enum DateStyle: String, CaseIterable {
    case `default`, iso, isoStrict = "iso-strict", short, unix, rfc, raw
  }

  static func date(_ s: Signature, _ style: DateStyle) -> String {
    func f(_ pattern: String) -> String {
      let d = DateFormatter()
      d.locale = Locale(identifier: "en_US_POSIX")
      d.timeZone = TimeZone(secondsFromGMT: s.offsetMinutes * 60)
      d.dateFormat = pattern
      return d.string(from: Date(timeIntervalSince1970: TimeInterval(s.time)))
    }
    switch style {
    case .default: return formatDate(s)
    case .iso: return f("yyyy-MM-dd HH:mm:ss Z")
    case .isoStrict: return f("yyyy-MM-dd'T'HH:mm:ssxxxxx")
    case .short: return f("yyyy-MM-dd")
    case .unix: return String(s.time)
    case .rfc: return f("EEE, d MMM yyyy HH:mm:ss Z")
    case .raw: return "\(s.time) \(f("Z"))"
    }
  }

  /// The subject (first line) and body (after the first blank line) of a message, as git splits them.
  static func subjectAndBody(_ message: String) -> (subject: String, body: String) {
    let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var i = 0
    var subject: [String] = []
    while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).isEmpty { subject.append(lines[i]); i += 1 }
    while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).isEmpty { i += 1 }
    var body = lines[i...].joined(separator: "\n")
    if !body.isEmpty, !body.hasSuffix("\n") { body += "\n" }
    return (subject.joined(separator: " "), body)
  }

  /// Expands git placeholders in `format` for commit `c`:
  /// `%H %h %T %t %P %p %an %ae %ad %at %cn %ce %cd %ct %s %b %B %d %D %n %%` and the colours
  /// `%Cred %Cgreen %Cblue %Creset %C(name)`. Unknown placeholders are printed as they are, as git does.
  static func expand(_ format: String, _ c: CommitInfo, decorations: Decorations, dates: DateStyle) -> String {
    var out = ""
    let chars = Array(format)
    var i = 0
    let (subject, body) = subjectAndBody(c.message)
    func take(_ s: String) -> Bool {
      let a = Array(s)
      guard i + 1 + a.count <= chars.count, Array(chars[(i + 1)..<(i + 1 + a.count)]) == a else { return false }
      i += 1 + a.count
      return true
    }
    while i < chars.count {
      guard chars[i] == "%", i + 1 < chars.count else { out.append(chars[i]); i += 1; continue }
      let before = i
      if take("H") { out += c.id.hex }
      else if take("h") { out += c.id.short }
      else if take("T") { out += c.tree.hex }
      else if take("t") { out += c.tree.short }
      else if take("P") { out += c.parents.map(\.hex).joined(separator: " ") }
      else if take("p") { out += c.parents.map(\.short).joined(separator: " ") }
      else if take("an") { out += c.author.name }
      else if take("ae") { out += c.author.email }
      else if take("ad") { out += date(c.author, dates) }
      else if take("at") { out += String(c.author.time) }
      else if take("aI") { out += date(c.author, .isoStrict) }
      else if take("cn") { out += c.committer.name }
      else if take("ce") { out += c.committer.email }
      else if take("cd") { out += date(c.committer, dates) }
      else if take("ct") { out += String(c.committer.time) }
      else if take("cI") { out += date(c.committer, .isoStrict) }
      else if take("s") { out += subject }
      else if take("b") { out += body }
      else if take("B") { out += c.message.hasSuffix("\n") ? c.message : c.message + "\n" }
      else if take("d") { out += decorations.text(c.id, wrapped: true) }
      else if take("D") { out += decorations.text(c.id, wrapped: false) }
      else if take("n") { out += "\n" }
      else if take("%") { out += "%" }
      else if take("Cred") { out += colorCode("31") }
      else if take("Cgreen") { out += colorCode("32") }
      else if take("Cblue") { out += colorCode("34") }
      else if take("Creset") { out += colorCode("0") }
      else if chars[i + 1] == "C", i + 2 < chars.count, chars[i + 2] == "(", let close = chars[(i + 2)...].firstIndex(of: ")") {
        let name = String(chars[(i + 3)..<close])
        out += colorCode(namedColors[name] ?? "")
        i = close + 1
      }
      if i == before { out.append("%"); i += 1 }
    }
    return out
  }

  static let namedColors = ["reset": "0", "bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34",
                            "magenta": "35", "cyan": "36", "white": "37", "auto": ""]

  static func colorCode(_ code: String) -> String { Console.colorEnabled && !code.isEmpty ? "\u{1B}[\(code)m" : "" }

  /// One commit in a built-in format, lines ending in "\n". Between two commits of a multi-line
  /// format the caller adds a blank line, as git does.
  static func builtIn(_ f: LogFormat, _ c: CommitInfo, decorations: Decorations, dates: DateStyle) -> String {
    let deco = decorations.text(c.id, wrapped: true)
    if f == .oneline || f == .onelineFull {
      return Console.yellow(f == .oneline ? c.id.short : c.id.hex) + Console.yellow(deco) + " \(subjectAndBody(c.message).subject)\n"
    }
    var out = Console.yellow("commit \(c.id.hex)") + Console.yellow(deco) + "\n"
    if c.parents.count > 1 { out += "Merge: " + c.parents.map(\.short).joined(separator: " ") + "\n" }
    out += "Author: \(c.author.name) <\(c.author.email)>\n"
    if f == .full { out += "Commit: \(c.committer.name) <\(c.committer.email)>\n" }
    if f == .medium { out += "Date:   \(date(c.author, dates))\n" }
    out += "\n"
    if f == .short {
      out += "    \(subjectAndBody(c.message).subject)\n"
    } else {
      for l in c.message.split(separator: "\n", omittingEmptySubsequences: false).dropLast(c.message.hasSuffix("\n") ? 1 : 0) { out += "    \(l)\n" }
    }
    return out
  }
}

/// The order `git log` shows commits in: newest committer date first, and among equal dates the
/// order in which the walk reached them (first parents before later ones), as git's date-ordered
/// queue does. `limit` stops the walk early; commits are read on demand.
enum GitLogOrder {
  static func walk(from start: ObjectID, limit: Int?, commit: (ObjectID) throws -> CommitInfo) throws -> [CommitInfo] {
    struct Entry { let info: CommitInfo; let seq: Int }
    // Sorted so that the next commit to show is last: older dates first, later arrivals first.
    var queue: [Entry] = []
    var seen: Set<ObjectID> = [start]
    var seq = 0
    func push(_ c: CommitInfo) {
      let e = Entry(info: c, seq: seq)
      seq += 1
      // Insert before every entry that should come out after it.
      var lo = 0, hi = queue.count
      while lo < hi {
        let mid = (lo + hi) / 2
        let m = queue[mid]
        let comesOutAfter = m.info.committer.time < e.info.committer.time
          || (m.info.committer.time == e.info.committer.time && m.seq > e.seq)
        if comesOutAfter { lo = mid + 1 } else { hi = mid }
      }
      queue.insert(e, at: lo)
    }
    push(try commit(start))
    var out: [CommitInfo] = []
    while let next = queue.popLast() {
      out.append(next.info)
      if let limit, out.count >= limit { break }
      for p in next.info.parents where !seen.contains(p) {
        seen.insert(p)
        push(try commit(p))
      }
    }
    return out
  }
}

/// The ref names shown next to commits (`%d`, `--decorate`): HEAD, branches, tags, remote branches.
struct Decorations {
  var names: [ObjectID: [String]] = [:]

  static let none = Decorations()

  /// Reads the refs of `repo` in git's order: `HEAD -> branch` (or `HEAD`) first, then the other
  /// names in reverse ref-name order (tags, then remote branches, then branches).
  init(_ repo: Repository) throws {
    let head = try repo.headCommit()
    let currentRef = try repo.currentBranchRef()
    var refs: [(name: String, target: ObjectID, label: String)] = []
    for b in try repo.branches() { refs.append(("refs/heads/\(b.name)", b.commit, b.name)) }
    for r in try repo.references(prefix: "refs/remotes/") where !r.name.hasSuffix("/HEAD") {
      refs.append((r.name, r.id, String(r.name.dropFirst("refs/remotes/".count))))
    }
    for t in try repo.tags() {
      refs.append(("refs/tags/\(t.name)", (try? repo.resolveCommit("refs/tags/\(t.name)")) ?? t.commit, "tag: \(t.name)"))
    }
    for r in refs.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }).reversed() where r.name != currentRef {
      names[r.target, default: []].append(r.label)
    }
    if let head {
      let label = currentRef.map { "HEAD -> \($0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0)" } ?? "HEAD"
      names[head, default: []].insert(label, at: 0)
    }
  }

  private init() {}

  /// " (HEAD -> main, tag: v1)" (wrapped) or "HEAD -> main, tag: v1"; empty when the commit has no names.
  func text(_ id: ObjectID, wrapped: Bool) -> String {
    guard let n = names[id], !n.isEmpty else { return "" }
    let list = n.joined(separator: ", ")
    return wrapped ? " (\(list))" : list
  }
}

/// The commit graph drawn to the left of `annot log --graph`, in git's style (`*` a commit,
/// `|` a line of descent, `\` and `/` lines that branch and join).
///
/// How it works: `lanes` holds, left to right, the commit each open line is waiting for. A commit
/// takes the lane that waits for it (or a new one at the right); its parents replace it in that
/// lane; lanes that now wait for the same commit join into the leftmost. Lines that change column
/// move one column per transition row, as git draws them.
struct LogGraph {
  private(set) var lanes: [ObjectID] = []
  /// With a path limit, the commits shown: other parents end their line (without one, lines
  /// to parents that `-n` cut off are drawn on, as git draws them).
  let shown: Set<ObjectID>?

  init(shown: Set<ObjectID>? = nil) { self.shown = shown }

  /// The prefixes for one commit: `first` for its first line, `transitions` for the lines that
  /// follow (drawing joins and branches), then `rest` for any further lines.
  mutating func next(_ c: CommitInfo) -> (first: String, transitions: [String], rest: String) {
    let i: Int
    if let k = lanes.firstIndex(of: c.id) { i = k } else { lanes.append(c.id); i = lanes.count - 1 }
    let old = lanes
    let parents = shown.map { s in c.parents.filter { s.contains($0) } } ?? c.parents
    var replaced = old
    replaced.remove(at: i)
    replaced.insert(contentsOf: parents, at: i)
    // Join lanes waiting for the same commit into the leftmost one.
    var final: [ObjectID] = []
    var position: [ObjectID: Int] = [:]
    for id in replaced where position[id] == nil { position[id] = final.count; final.append(id) }
    // Step 1, lanes move from `old` to `replaced`: a merge fans out into its parents' columns
    // and the lanes to its right shift over; a root's lane ends and the lanes to its right shift back.
    var from: [Int] = [], to: [Int] = []
    for j in old.indices {
      if j == i { for k in parents.indices { from.append(j); to.append(i + k) } }
      else { from.append(j); to.append(j < i ? j : j + parents.count - 1) }
    }
    // Step 2, lanes of `replaced` that wait for the same commit join the leftmost one.
    let from2 = Array(replaced.indices), to2 = replaced.map { position[$0]! }
    let width = max(old.count, replaced.count, 1)
    func pad(_ s: String) -> String { s.padding(toLength: 2 * width, withPad: " ", startingAt: 0) }

    var first = ""
    for j in 0..<old.count { first += (j == i ? "*" : "|") + " " }
    let transitions = Self.moves(from: from, to: to, width: width) + Self.moves(from: from2, to: to2, width: width)
    lanes = final
    var rest = ""
    for _ in final { rest += "| " }
    return (pad(first), transitions.map(pad), pad(rest))
  }

  /// Rows that move lines from columns `from` to columns `to`, one column per row (`\` right,
  /// `/` left, `|` staying); none when nothing moves.
  static func moves(from: [Int], to: [Int], width: Int) -> [String] {
    var rows: [String] = []
    var at = from
    while zip(at, to).contains(where: { $0 != $1 }) {
      var row = [Character](repeating: " ", count: 2 * width)
      for k in at.indices {
        let p = at[k], t = to[k]
        if t > p { row[2 * p + 1] = "\\"; at[k] = p + 1 }
        else if t < p { row[2 * p - 1] = "/"; at[k] = p - 1 }
        else if row[2 * p] == " " { row[2 * p] = "|" }
      }
      rows.append(String(row))
    }
    return rows
  }

  /// git's `--topo-order` (which `--graph` implies): no parent before all its children, and a
  /// side branch shown whole before the line it forked from continues (a LIFO of ready commits,
  /// as in git's `sort_in_topological_order`). `commits` must be newest first.
  static func topoOrder(_ commits: [CommitInfo]) -> [CommitInfo] {
    var byID: [ObjectID: CommitInfo] = [:]
    for c in commits { byID[c.id] = c }
    var children: [ObjectID: Int] = [:]
    for c in commits { for p in c.parents where byID[p] != nil { children[p, default: 0] += 1 } }
    var stack: [CommitInfo] = commits.filter { children[$0.id, default: 0] == 0 }.reversed()
    var out: [CommitInfo] = []
    out.reserveCapacity(commits.count)
    while let c = stack.popLast() {
      out.append(c)
      for p in c.parents {
        guard let pc = byID[p], let n = children[p] else { continue }
        children[p] = n - 1
        if n - 1 == 0 { stack.append(pc) }
      }
    }
    return out
  }

  /// Prefixes each line of `block` (one commit's output) with the graph.
  mutating func draw(_ c: CommitInfo, _ block: String) -> String {
    let (first, transitions, rest) = next(c)
    var lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    var out = ""
    var t = transitions[...]
    for (n, line) in lines.enumerated() {
      let prefix = n == 0 ? first : (t.popFirst() ?? rest)
      out += trimTrailing(prefix + line) + "\n"
    }
    for p in t { out += trimTrailing(p) + "\n" }
    return out
  }

  private func trimTrailing(_ s: String) -> String {
    var s = s
    while s.last == " " { s.removeLast() }
    return s
  }
}
