import AnnotXML

// The libxml2 reader lives in AnnotXML (the S3 client reads its error bodies with it too);
// this keeps the importers' spelling and turns its errors into FormatError naming the file.
typealias XMLNode = AnnotXML.XMLNode

enum XMLTree {
  static let maxDepth = AnnotXML.XMLTree.maxDepth

  static func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> XMLNode {
    do { return try AnnotXML.XMLTree.parse(bytes) } catch { throw .invalid(file: file, place: error.place, message: error.message) }
  }

  static func escape(_ s: String) -> String { AnnotXML.XMLTree.escape(s) }
  static func escapeText(_ s: String) -> String { AnnotXML.XMLTree.escapeText(s) }
}
