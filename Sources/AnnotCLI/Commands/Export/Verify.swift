import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

extension Annot {
  struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check an export directory against its manifest.")
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
    @Argument(help: "The export directory.") var directory: String
    func run() throws {
      let v = try ExportManifest.verify(URL(fileURLWithPath: directory))
      if json {
        printJSON(.object(["ok": .bool(v.ok), "checked": .int(v.checked), "missing": .array(v.missing.map { .string($0) }),
                           "extra": .array(v.extra.map { .string($0) }), "changed": .array(v.changed.map { .string($0) })]))
      } else {
        for p in v.missing { emit("missing: \(p)") }
        for p in v.changed { emit("changed: \(p)") }
        for p in v.extra { emit("extra:   \(p)") }
        emit(v.ok ? "ok: \(v.checked) files match \(ExportManifest.fileName)" : "FAILED: \(v.missing.count) missing, \(v.changed.count) changed, \(v.extra.count) extra")
      }
      if !v.ok { throw ExitCode(1) }
    }
  }
}
