import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Sql: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run read-only SQL over the views images, annotations, classes, commits of a revision.")
    @Argument(help: "A SELECT statement.") var statement: String
    @Option(help: "Revision (default HEAD).") var rev: String = "HEAD"
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    func run() throws {
      let r = try openRepository().sql(statement, revision: rev)
      func value(_ v: SQLValue) -> JSONValue {
        switch v {
        case .null: .null
        case .integer(let i): .number(Double(i))
        case .real(let d): d.isFinite ? .number(d) : .string("\(d)")
        case .text(let s): .string(s)
        case .blob(let b): .string(Hex.encode(b))
        }
      }
      if json {
        printJSON(.object(["columns": .array(r.columns.map { .string($0) }), "rows": .array(r.rows.map { .array($0.map(value)) })]))
        return
      }
      emit(r.columns.joined(separator: "\t"))
      for row in r.rows { emit(row.map { v in if case .null = v { return "NULL" }; if case .text(let s) = v { return s }; return CanonicalJSON.string(value(v)) }.joined(separator: "\t")) }
    }
  }
}
