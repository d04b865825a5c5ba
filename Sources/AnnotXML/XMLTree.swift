import Foundation
import AnnotModel
import CXML2

/// libxml2's one-time global set-up (thread-safe through Swift's lazy static initialisation).
enum LibXML {
  static let initialize: Void = {
    xmlInitParser()
    cxml2_silence()
  }()
}

/// Why XML could not be read: where (`line 3, column 7`, possibly empty) and what.
public struct XMLParseError: Error, Sendable, CustomStringConvertible {
  public var place: String
  public var message: String
  public init(place: String, message: String) { self.place = place; self.message = message }
  public var description: String { place.isEmpty ? message : "\(place): \(message)" }
}

/// One parsed XML element: a small read-only tree, enough for CVAT and VOC files and S3 responses.
public struct XMLNode: Sendable {
  public var name: String
  public var attributes: [String: String]
  public var children: [XMLNode]
  /// The concatenated character data directly inside this element.
  public var text: String
  /// 1-based line where the start tag was reported by the parser.
  public var line: Int

  /// The first child element named `name`.
  public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }
  /// All child elements named `name`, in document order.
  public func children(named name: String) -> [XMLNode] { children.filter { $0.name == name } }
  /// The element's text without surrounding whitespace.
  public var value: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
  /// The trimmed text of the child `name`, nil if there is no such child.
  public func childValue(_ name: String) -> String? { child(name)?.value }
}

/// Parses XML with libxml2 directly, after refusing the constructs that make XML hostile.
///
/// Why libxml2 and not Foundation's XMLParser: on Linux, XMLParser turns names from libxml2
/// into Swift strings with a force-unwrap, so one invalid UTF-8 byte in an element or attribute
/// name killed the process (SIGILL). Here the whole input is checked to be UTF-8 first, the
/// parser is told the encoding (any `encoding=` declaration is ignored), network access is off
/// (`XML_PARSE_NONET`), entities are never substituted (no `XML_PARSE_NOENT`, no DTD loading),
/// and libxml2's depth limit stays on (no `XML_PARSE_HUGE`): nesting deeper than
/// ``maxDepth`` is an error, not a stack overflow.
///
/// Why the byte scan: a DOCTYPE is never needed by CVAT or VOC files, and an internal subset is
/// where entity bombs live, so any `<!DOCTYPE` or `<!ENTITY` is refused before the parser sees
/// the bytes.
public enum XMLTree {
  /// Deepest element nesting read: libxml2's own limit without `XML_PARSE_HUGE`.
  public static let maxDepth = 256

  public static func parse(_ bytes: [UInt8]) throws(XMLParseError) -> XMLNode {
    if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.contains(0) {
      throw XMLParseError(place: "", message: "only UTF-8 XML is read (found UTF-16 or NUL bytes)")
    }
    if let (line, column) = firstInvalidUTF8(bytes) {
      throw XMLParseError(place: "line \(line), column \(column)", message: "malformed XML: invalid UTF-8 byte")
    }
    for marker in ["<!DOCTYPE", "<!ENTITY"] {
      if let line = lineOf(marker, in: bytes) {
        throw XMLParseError(place: "line \(line)",
                       message: "XML with \(marker) is refused (entity expansion and external entities are unsafe)")
      }
    }
    guard bytes.count <= Int(Int32.max) else {
      throw XMLParseError(place: "", message: "XML file larger than 2 GiB")
    }
    LibXML.initialize
    guard let ctxt = xmlNewParserCtxt() else {
      throw XMLParseError(place: "", message: "cannot start the XML parser (out of memory)")
    }
    defer { xmlFreeParserCtxt(ctxt) }
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                        | XML_PARSE_IGNORE_ENC.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue)
    let doc: xmlDocPtr? = bytes.withUnsafeBufferPointer { buf in
      buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buf.count, 1)) { p in
        xmlCtxtReadMemory(ctxt, p, Int32(buf.count), nil, "UTF-8", options)
      }
    }
    defer { if let doc { xmlFreeDoc(doc) } }
    guard let doc, ctxt.pointee.wellFormed != 0 else {
      throw failure(ctxt)
    }
    guard let rootElement = xmlDocGetRootElement(doc) else {
      throw XMLParseError(place: "line 1", message: "malformed XML: no root element")
    }
    return try convert(rootElement, depth: 1)
  }

  /// The parser's first error naming the line (and the column when known).
  private static func failure(_ ctxt: xmlParserCtxtPtr) -> XMLParseError {
    guard let err = xmlCtxtGetLastError(ctxt) else {
      return XMLParseError(place: "", message: "malformed XML")
    }
    let e = err.pointee
    var message = e.message.map { String(cString: $0) } ?? "libxml2 error \(e.code)"
    message = message.trimmingCharacters(in: .whitespacesAndNewlines)
    if message.contains("Excessive depth") { message = "elements nested deeper than \(maxDepth) levels" }
    if let phrase = describe(Int(e.code)) { message = phrase }
    var place = e.int2 > 0 ? "line \(e.line), column \(e.int2)" : "line \(e.line)"
    // For a tag mismatch libxml2 names the open element in str1.
    if e.code == 76, let open = e.str1 { place = "line \(e.line), <\(String(cString: open))>" }
    return XMLParseError(place: DisplayText.quoted(place), message: "malformed XML: \(DisplayText.quoted(message))")
  }

  /// A readable reason for common libxml2 error codes (xmlParserErrors); nil to keep libxml2's text.
  static func describe(_ code: Int) -> String? {
    switch code {
    case 4: "empty document"
    case 5: "content after the root element"
    case 9: "invalid character"
    case 23, 26, 27: "undeclared or malformed entity reference"
    case 38: "'<' inside an attribute value"
    case 39, 40, 41, 42: "malformed attribute"
    case 73: "'>' expected"
    case 76: "closing tag does not match the open element"
    case 77: "the document ends inside an element"
    default: nil
    }
  }

  /// Copies libxml2's tree into XMLNodes. Recursion is bounded by libxml2's depth limit;
  /// the explicit check keeps that true whatever the library's settings.
  private static func convert(_ node: xmlNodePtr, depth: Int) throws(XMLParseError) -> XMLNode {
    let line = Int(xmlGetLineNo(node))
    guard depth <= maxDepth else {
      throw XMLParseError(place: "line \(line)", message: "malformed XML: elements nested deeper than \(maxDepth) levels")
    }
    var out = XMLNode(name: qualifiedName(node), attributes: [:], children: [], text: "", line: line)
    var attr = node.pointee.properties
    while let a = attr {
      var name = string(a.pointee.name)
      if let ns = a.pointee.ns, let prefix = ns.pointee.prefix { name = string(prefix) + ":" + name }
      var value = ""
      if let v = xmlNodeListGetString(node.pointee.doc, a.pointee.children, 1) {
        value = string(v)
        cxml2_free(v)
      }
      out.attributes[name] = value
      attr = a.pointee.next
    }
    var child = node.pointee.children
    while let c = child {
      switch c.pointee.type {
      case XML_ELEMENT_NODE: out.children.append(try convert(c, depth: depth + 1))
      case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
        if let content = c.pointee.content { out.text += string(content) }
      default: break
      }
      child = c.pointee.next
    }
    return out
  }

  /// `prefix:name` as written (namespaces are not processed, as CVAT and VOC use none).
  private static func qualifiedName(_ node: xmlNodePtr) -> String {
    let name = string(node.pointee.name)
    if let ns = node.pointee.ns, let prefix = ns.pointee.prefix { return string(prefix) + ":" + name }
    return name
  }

  private static func string(_ p: UnsafePointer<xmlChar>?) -> String {
    guard let p else { return "" }
    return String(decoding: UnsafeBufferPointer(start: p, count: strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))), as: UTF8.self)
  }

  /// The 1-based line and column (in bytes) of the first byte that is not valid UTF-8.
  static func firstInvalidUTF8(_ bytes: [UInt8]) -> (Int, Int)? {
    if String(validating: bytes, as: UTF8.self) != nil { return nil }
    var line = 1, lineStart = 0
    var it = bytes.makeIterator()
    var decoder = UTF8()
    var offset = 0
    while true {
      // Track the offset of each scalar by its encoded length.
      switch decoder.decode(&it) {
      case .scalarValue(let s):
        if s == "\n" { line += 1; lineStart = offset + 1 }
        offset += UTF8.width(s)
      case .emptyInput: return nil
      case .error:
        return (line, offset - lineStart + 1)
      }
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
  public static func escape(_ s: String) -> String {
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
  public static func escapeText(_ s: String) -> String {
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

