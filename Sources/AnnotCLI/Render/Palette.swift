/// The terminal colours of every renderer, defined once: added green, removed red, modified
/// yellow, headers bold. Disabled, each is the identity (pipes, files, NO_COLOR).
struct Palette: Sendable {
  var enabled: Bool
  func wrap(_ s: String, _ code: String) -> String { enabled && !s.isEmpty ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
  func green(_ s: String) -> String { wrap(s, "32") }
  func red(_ s: String) -> String { wrap(s, "31") }
  func yellow(_ s: String) -> String { wrap(s, "33") }
  func bold(_ s: String) -> String { wrap(s, "1") }
}
