import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

/// CSV field quoting (RFC 4180).
func csv(_ fields: [String]) -> String {
  fields.map { f in f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f }
    .joined(separator: ",")
}
