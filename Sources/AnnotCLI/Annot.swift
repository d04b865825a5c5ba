import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel
import AnnotVersion

/// The root of the `annot` command tree. Each subcommand lives in `Commands/<Name>.swift`.
public struct Annot: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "annot",
    abstract: "Version, diff and merge labeled image datasets.",
    discussion: "Run 'annot -C DIR <command>' to run as if started in DIR, 'annot --no-pager <command>' to print without a pager. See Docs/CLI.md.",
    version: annotVersion,
    subcommands: [
      Init.self, Status.self, Add.self, Rm.self, Mv.self, Commit.self, Log.self, Show.self,
      Branch.self, Switch.self, Checkout.self, Tag.self, Reset.self, Merge.self, Resolve.self,
      CherryPick.self, Revert.self, Diff.self, Blame.self, Import.self, Export.self, Verify.self, Formats.self,
      Query.self, Sql.self, Stats.self, Validate.self, Reindex.self, Split.self, Review.self,
      Remote.self, Clone.self, Fetch.self, Pull.self, Push.self, CatImage.self, Storage.self, Fsck.self, GC.self,
    ])
  public init() {}

  /// Entry point: handles git's `-C DIR` (change directory first, repeatable), then dispatches.
  public static func run(arguments: [String]) -> Never {
    ImageStoreProgress.set { Console.progress($0, $1, $2) }
    var args = arguments
    // git's global options before the command name: -C DIR (repeatable), --no-pager / -P.
    while let first = args.first {
      if first == "--no-pager" || first == "-P" {
        Pager.disabledGlobally = true
        args.removeFirst()
      } else if first == "-C", args.count >= 2 {
        let dir = args[1]
        guard FileManager.default.changeCurrentDirectoryPath(dir) else {
          FileHandle.standardError.write(Data("annot: cannot change to '\(dir)': No such directory\n".utf8))
          Foundation.exit(128)
        }
        args.removeFirst(2)
      } else { break }
    }
    // git accepts "-n5" (and "log -5"); ArgumentParser wants "-n 5".
    let isLog = args.first == "log"
    args = args.flatMap { a -> [String] in
      if a.count > 2, a.hasPrefix("-n"), a.dropFirst(2).allSatisfy(\.isNumber) { return ["-n", String(a.dropFirst(2))] }
      if isLog, a.count > 1, a.hasPrefix("-"), a.dropFirst().allSatisfy(\.isNumber) { return ["-n", String(a.dropFirst())] }
      return [a]
    }
    do {
      var command = try parseAsRoot(args)
      do { try command.run() } catch { fail(error, fromRun: true) }
    } catch {
      fail(error, fromRun: false)
    }
    Foundation.exit(0)
  }

  /// Prints `error` as ArgumentParser would, except that no raw control character from a file
  /// name or file content reaches the terminal: an error from a command is one line, escaped
  /// whole (`DisplayText.quoted`); ArgumentParser's own messages (usage, help) keep their
  /// line breaks and have each line escaped.
  static func fail(_ error: Error, fromRun: Bool) -> Never {
    let code = exitCode(for: error)
    if code == .success || error is CleanExit || error is ExitCode { exit(withError: error) }
    let message = fullMessage(for: error)
    let text = fromRun && !(error is ValidationError)
      ? DisplayText.quoted(message)
      : message.split(separator: "\n", omittingEmptySubsequences: false).map { DisplayText.quoted(String($0)) }.joined(separator: "\n")
    FileHandle.standardError.write(Data((text + "\n").utf8))
    Foundation.exit(code.rawValue)
  }
}

/// "0.1.0 (git describe)" as built; see AnnotVersion.
public let annotVersion = AnnotVersion.description

/// Opens the repository containing the current directory.
func openRepository() throws -> Repository {
  let repo = try Repository.discover(from: FileManager.default.currentDirectoryPath)
  repo.environment = ProcessInfo.processInfo.environment
  repo.notice = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
  // For measuring the labels-mirror hook's cost only (Scripts/bench-remote.sh).
  if ProcessInfo.processInfo.environment["ANNOT_NO_LABELS_MIRROR"] != nil { repo.deriveLabelsMirror = false }
  return repo
}

/// Writes to standard output; colours only when it is a terminal (or the pager annot started
/// on one) and NO_COLOR is unset or empty (no-color.org).
struct Console {
  static let colorEnabled: Bool = isatty(1) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
  static func line(_ s: String = "") { emit(s) }
  static let palette = Palette(enabled: colorEnabled)
  static func color(_ s: String, _ code: String) -> String { palette.wrap(s, code) }
  static func green(_ s: String) -> String { palette.green(s) }
  static func red(_ s: String) -> String { palette.red(s) }
  static func yellow(_ s: String) -> String { palette.yellow(s) }
  static func bold(_ s: String) -> String { palette.bold(s) }
  /// Set by `-q`: no progress lines.
  nonisolated(unsafe) static var quiet = false
  /// Progress on a terminal only; quiet when stderr is piped or with `-q`.
  static var progressEnabled: Bool { !quiet && stderrIsTerminal }
  static let stderrIsTerminal: Bool = isatty(2) == 1
  static func progress(_ label: String, _ done: Int, _ total: Int) {
    guard progressEnabled, total > 0, done == total || done % 97 == 0 else { return }
    FileHandle.standardError.write(Data("\r\(label): \(done * 100 / total)% (\(done)/\(total))\(done == total ? "\n" : "")".utf8))
  }
  /// One line on stderr; control characters from file names are escaped (`DisplayText`).
  static func warn(_ s: String) { FileHandle.standardError.write(Data("warning: \(DisplayText.quoted(s))\n".utf8)) }
}

/// `-q/--quiet` for the commands that write: they print only errors, warnings and conflicts,
/// and draw no progress.
struct QuietOption: ParsableArguments {
  @Flag(name: .shortAndLong, help: "Print only errors, warnings and conflicts; no progress.") var quiet = false
  mutating func validate() throws { if quiet { Console.quiet = true } }
  /// Prints `s` unless `-q`.
  func say(_ s: String) { if !quiet { emit(s) } }
}

/// `--json`, declared once for every command that has a machine-readable form (Docs/CLI.md
/// documents each one's shape; `annot diff --json` follows Docs/DIFF.md).
struct JSONOption: ParsableArguments {
  @Flag(help: "Machine-readable output (JSON).") var json = false
}

/// `--no-pager` for the commands that page on a terminal (log, show, diff, blame).
struct PagerOption: ParsableArguments {
  @Flag(help: "Do not page the output.") var noPager = false
}

/// `--json` output: canonical JSON on one line, so scripts get stable bytes.
func printJSON(_ v: AnnotModelJSON) {
  emit(CanonicalJSONBridge.string(v))
}
