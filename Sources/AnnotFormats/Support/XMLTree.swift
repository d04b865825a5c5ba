import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One parsed XML element: a small read-only tree, enough for CVAT and VOC files.
struct XMLNode: Sendable {
  var name: String
  var attributes: [String: String]
  var children: [XMLNode]
  /// The concatenated character data directly inside this element.
  var text: String
  /// 1-based line where the start tag was reported by the parser.
  var line: Int

  /// The first child element named `name`.
  func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }
  /// All child elements named `name`, in document order.
  func children(named name: String) -> [XMLNode] { children.filter { $0.name == name } }
  /// The element's text without surrounding whitespace.
  var value: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
  /// The trimmed text of the child `name`, nil if there is no such child.
  func childValue(_ name: String) -> String? { child(name)?.value }
}

/// Parses XML with Foundation's XMLParser, after refusing the constructs that make XML hostile.
///
/// Why the byte scan: libxml2 behind XMLParser expands internal entities even with external
/// resolution off (billion laughs), and a DOCTYPE is never needed by CVAT or VOC files. So any
/// `<!DOCTYPE` or `<!ENTITY` is refused before the parser sees the bytes. UTF-16 input would
/// hide those markers from a byte scan, so only UTF-8 (or ASCII) XML is read.
enum XMLTree {
  static func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> XMLNode {
    if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.contains(0) {
      throw .invalid(file: file, place: "", message: "only UTF-8 XML is read (found UTF-16 or NUL bytes)")
    }
    for marker in ["<!DOCTYPE", "<!ENTITY"] {
      if let line = lineOf(marker, in: bytes) {
        throw .invalid(file: file, place: "line \(line)",
                       message: "XML with \(marker) is refused (entity expansion and external entities are unsafe)")
      }
    }
    let parser = XMLParser(data: Data(bytes))
    parser.shouldResolveExternalEntities = false
    parser.shouldProcessNamespaces = false
    let builder = TreeBuilder()
    parser.delegate = builder
    let ok = parser.parse()
    if !ok || builder.root == nil {
      let line = builder.failureLine ?? parser.lineNumber
      let element = (builder.failureElement ?? builder.stack.last?.name).map { ", <\($0)>" } ?? ""
      let reason = builder.failure ?? parser.parserError.map(describe) ?? "no root element"
      throw .invalid(file: file, place: "line \(line)\(element)", message: "malformed XML: \(reason)")
    }
    return builder.root!
  }

  /// A readable reason for libxml2's error codes. Matched on the raw libxml2 numbers
  /// (xmlParserErrors): Foundation's Linux `XMLParser.ErrorCode` cases do not line up with them.
  static func describe(_ error: Error) -> String {
    let code = (error as NSError).code
    switch code {
    case 4: return "empty document"
    case 5: return "content after the root element"
    case 9: return "invalid character"
    case 23, 26, 27: return "undeclared or malformed entity reference"
    case 38: return "'<' inside an attribute value"
    case 39, 40, 41, 42: return "malformed attribute"
    case 73: return "'>' expected"
    case 76: return "closing tag does not match the open element"
    case 77: return "the document ends inside an element"
    default: return "libxml2 error \(code)"
    }
  }

  /// The 1-based line of the first case-insensitive occurrence of `marker`, nil if absent.
  static func lineOf(_ marker: String, in bytes: [UInt8]) -> Int? {
    let m = Array(marker.utf8).map(lower)
    guard bytes.count >= m.count else { return nil }
    var line = 1
    var i = 0
    while i + m.count <= bytes.count {
      if bytes[i] == 0x0A { line += 1 }
      if lower(bytes[i]) == m[0] {
        var k = 1
        while k < m.count && lower(bytes[i + k]) == m[k] { k += 1 }
        if k == m.count { return line }
      }
      i += 1
    }
    return nil
  }

  private static func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b + 32 : b }

  /// Escapes text for element content and attribute values (both quotes escaped, so one
  /// function serves both).
  static func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      case "\n": out += "&#10;"
      case "\r": out += "&#13;"
      case "\t": out += "&#9;"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }

  /// Escapes element text, keeping newlines literal (CVAT's `<values>` is newline-separated).
  static func escapeText(_ s: String) -> String {
    var out = ""
    for ch in s.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }
}

/// Builds the XMLNode tree from parser callbacks with an explicit stack (no recursion).
private final class TreeBuilder: NSObject, XMLParserDelegate {
  var stack: [XMLNode] = []
  var root: XMLNode?
  var failure: String?
  var failureLine: Int?
  var failureElement: String?

  func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
              qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
    stack.append(XMLNode(name: elementName, attributes: attributeDict, children: [], text: "", line: parser.lineNumber))
  }

  func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
    guard let node = stack.popLast() else { return }
    if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if !stack.isEmpty { stack[stack.count - 1].text += string }
  }

  func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
    if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self) }
  }

  func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
    failure = "external entity '\(name)' refused"
    parser.abortParsing()
    return nil
  }

  func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
    failure = "entity declaration '\(name)' refused"
    parser.abortParsing()
  }

  func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
    guard failure == nil else { return }
    failure = XMLTree.describe(parseError)
    failureLine = parser.lineNumber
    failureElement = stack.last?.name
  }
}
