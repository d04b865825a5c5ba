/// Escaping for XML and HTML, one function for the three uses: element text (`&`, `<`, `>`),
/// attribute values (also both quotes), and XML attribute values that must keep their control
/// characters (`\n`, `\r`, `\t` as character references). The CVAT and VOC writers and the
/// review page all escape through it.
public enum MarkupEscape {
  /// - Parameters:
  ///   - quotes: escape `"` as `&quot;` and `'` as `apostrophe`.
  ///   - apostrophe: `&apos;` for XML, `&#39;` for HTML (HTML 4 has no `&apos;`).
  ///   - controls: escape newline, carriage return and tab (attribute value normalisation
  ///     would otherwise turn them into spaces).
  public static func escape(_ s: String, quotes: Bool, apostrophe: String = "&apos;", controls: Bool = false) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"" where quotes: out += "&quot;"
      case "'" where quotes: out += apostrophe
      case "\n" where controls: out += "&#10;"
      case "\r" where controls: out += "&#13;"
      case "\t" where controls: out += "&#9;"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }
}
