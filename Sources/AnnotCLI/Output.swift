import Foundation

/// Where commands write their output. By default standard output, through Swift's `print` so
/// that buffering and the pager's pipe behave exactly as before; a test swaps in a capture and
/// runs commands in process (`Output.capture`). Commands write with `emit`, never `print`.
final class Output: @unchecked Sendable {
  /// The sink commands write to. Swapped only by `capture`, which tests call one at a time.
  nonisolated(unsafe) static var current = Output()
  private(set) var captured: String?

  init(capturing: Bool = false) { captured = capturing ? "" : nil }

  func write(_ s: String, terminator: String = "\n") {
    if captured != nil { captured! += s + terminator } else { Swift.print(s, terminator: terminator) }
  }

  /// Runs `body` with output captured, and returns what it wrote.
  static func capture(_ body: () throws -> Void) rethrows -> String {
    let previous = current, sink = Output(capturing: true)
    current = sink
    defer { current = previous }
    try body()
    return sink.captured ?? ""
  }
}

/// Writes one line (or `s` and `terminator`) to the current `Output`.
func emit(_ s: String = "", terminator: String = "\n") { Output.current.write(s, terminator: terminator) }
