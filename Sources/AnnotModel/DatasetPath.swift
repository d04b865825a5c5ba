/// Dataset paths: the names images have inside a repository (`train/0001.png`).
///
/// A path is relative, uses `/`, has no empty, `.` or `..` component, no control characters,
/// and is valid UTF-8 (Swift strings always are; byte names are checked where read).
public enum DatasetPath {
  public static func validate(_ path: String) -> String? {
    // One pass over the bytes with the same rules and messages as `validateSlowly`: an import
    // checks every path of a million-image delivery more than once, and the String operations
    // (scalars, characters, split, lowercased) were a few percent of a re-delivery. Anything the
    // byte pass cannot decide alone (non-ASCII text, a ':', a refused component) is decided by
    // the original rules.
    let fast = path.utf8.withContiguousStorageIfAvailable { b -> Verdict in
      // ASCII only: there a Character is a byte (CR LF, one Character, is refused either way).
      // Non-ASCII text can join characters (a combining mark after `\\` or `.`), which the
      // String rules see and a byte pass would not.
      if b.contains(where: { $0 >= 0x80 }) { return .undecided }
      if b.isEmpty { return .invalid("empty path") }
      if b[0] == UInt8(ascii: "/") || b[0] == UInt8(ascii: "\\") { return .invalid("absolute path") }
      if b.count > 4096 { return .invalid("path longer than 4096 bytes") }
      for c in b where c < 0x20 || c == 0x7F { return .invalid("control character in path") }
      if b.contains(UInt8(ascii: "\\")) { return .invalid("backslash in path (use /)") }
      if b.contains(UInt8(ascii: ":")) { return .undecided }
      // Components: the ones the rules refuse go to the original rules, which name them; the
      // rest pass here.
      var start = 0
      for end in 0...b.count where end == b.count || b[end] == UInt8(ascii: "/") {
        let n = end - start
        if n == 0 { return .invalid("empty path component") }
        let c = b[start..<end]
        let dot = UInt8(ascii: ".")
        if c.first == dot && (n == 1 || (n == 2 && c.last == dot)) { return .undecided }
        if n == 2, c.first == UInt8(ascii: "@") { return .undecided }
        if n == 4, c.first == dot, b[start + 1] | 0x20 == UInt8(ascii: "g"), b[start + 2] | 0x20 == UInt8(ascii: "i"),
           b[start + 3] | 0x20 == UInt8(ascii: "t") { return .undecided }
        start = end + 1
      }
      return .valid
    }
    switch fast {
    case .valid?: return nil
    case .invalid(let why)?: return why
    case .undecided?, nil: return validateSlowly(path)
    }
  }

  private enum Verdict { case valid, invalid(String), undecided }

  /// The rules of `validate` as String operations: the reference, and the decider for what
  /// the byte pass leaves open.
  public static func validateSlowly(_ path: String) -> String? {
    if path.isEmpty { return "empty path" }
    if path.hasPrefix("/") || path.hasPrefix("\\") { return "absolute path" }
    if path.utf8.count > 4096 { return "path longer than 4096 bytes" }
    if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "control character in path" }
    if path.contains("\\") { return "backslash in path (use /)" }
    if path.count >= 2, path.dropFirst().hasPrefix(":") { return "absolute (drive) path" }
    for comp in path.split(separator: "/", omittingEmptySubsequences: false) {
      if comp.isEmpty { return "empty path component" }
      if comp == "." || comp == ".." { return "'\(comp)' component" }
      if comp.lowercased() == ".git" { return "'.git' component" }
      // `@0` … `@f` name the buckets of a large folder in the git tree (FORMAT.md, "Large folders").
      let u = Array(comp.utf8)
      if u.count == 2, u[0] == UInt8(ascii: "@"), (0x30...0x39).contains(u[1]) || (0x61...0x66).contains(u[1]) {
        return "'\(comp)' component (names of the form @<hex digit> are reserved for annot's large-folder buckets)"
      }
    }
    return nil
  }

  /// The tree path of an image's bytes.
  public static func imageEntry(_ path: String) -> String { "images/" + path }
  /// The tree path of an image's label document.
  public static func labelEntry(_ path: String) -> String { "labels/" + path + ".json" }
  /// The dataset path for a tree entry under images/ or labels/, nil otherwise.
  public static func datasetPath(ofEntry entry: String) -> String? {
    if entry.hasPrefix("images/") { return String(entry.dropFirst(7)) }
    if entry.hasPrefix("labels/"), entry.hasSuffix(".json") { return String(entry.dropFirst(7).dropLast(5)) }
    return nil
  }
  public static let manifestEntry = "annot.json"
}

/// Deterministic annotation ids: the same input gives the same id on every machine.
public enum AnnotationID {
  /// 12 hex digits of SHA-256 over the image path and a seed the importer chooses
  /// (the source id, or the canonical shape plus label and ordinal when there is none).
  public static func make(imagePath: String, seed: String) -> String {
    let d = SHA256.hash(Array((imagePath + "\u{0}" + seed).utf8))
    return String(Hex.encode(Array(d.prefix(6))))
  }

  /// A seed from an annotation's content, for formats without ids.
  public static func contentSeed(_ a: Annotation, ordinal: Int) -> String {
    var copy = a
    copy.id = "-"
    return CanonicalJSON.string(copy.json) + "#\(ordinal)"
  }
}
