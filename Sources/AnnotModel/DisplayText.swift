/// Text from files and file names made safe to print on one terminal line.
///
/// Why: a file name may hold an escape sequence or a newline, and error messages print file
/// names. Every error message that shows a path or a file's text goes through ``quoted(_:)``
/// (FormatError, AnnotError, the CLI's error printer), so a hostile name can neither move the
/// cursor nor forge a second line.
public enum DisplayText {
  /// `s` with every control character (C0, DEL, C1) and every bidirectional override written
  /// as an escape: `\n`, `\r`, `\t`, `\e`, else `\u{XX}`. A backslash stays as it is, so plain
  /// Windows-looking paths read naturally; the output never contains a raw control character.
  public static func quoted(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: needsEscape) else { return s }
    var out = ""
    out.reserveCapacity(s.utf8.count + 8)
    for u in s.unicodeScalars {
      guard needsEscape(u) else { out.unicodeScalars.append(u); continue }
      switch u {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{1B}": out += "\\e"
      default: out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
      }
    }
    return out
  }

  /// A short, quoted excerpt of untrusted file content for an error message: at most `limit`
  /// characters, control characters escaped.
  public static func excerpt(_ s: some StringProtocol, limit: Int = 40) -> String {
    let cut = s.count > limit ? String(s.prefix(limit)) + "…" : String(s)
    return quoted(cut)
  }

  static func needsEscape(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x00...0x1F, 0x7F...0x9F: true
    // Bidirectional embeddings, overrides and isolates (the "Trojan Source" set), and the
    // line and paragraph separators that some terminals honour.
    case 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
    default: false
    }
  }
}
