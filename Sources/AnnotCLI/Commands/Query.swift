import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

/// CSV field quoting (RFC 4180).
func csv(_ fields: [String]) -> String {
  fields.map { f in f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f }
    .joined(separator: ",")
}

extension Annot {
  struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Find annotations (or images) matching a filter at any revision.",
      discussion: """
        Examples:
          annot query 'label == "pedestrian" and area < 1024' --rev round-2
          annot query 'attr.occluded == true and label == "car"' --count
          annot query 'count(label == "person") > 5' --images
          annot query 'path ~ "val/*" and w < 32'
        The language is described in Docs/INDEX.md.
        """)
    @Argument(help: "The filter expression.") var expression: String
    @Option(help: "Revision (default HEAD).") var rev: String = "HEAD"
    @Flag(help: "List matching images instead of annotations.") var images = false
    @Flag(help: "Print only how many annotations and images match.") var count = false
    @Flag(help: "JSON output.") var json = false
    @Flag(help: "CSV output.") var csvOutput = false
    @Option(help: "At most this many rows.") var limit: Int?
    func run() throws {
      var options = Repository.QueryOptions()
      options.revision = rev
      options.mode = count ? .count : (images ? .images : .annotations)
      options.limit = limit
      let mode = options.mode
      let out = try openRepository().query(expression, options: options)
      switch mode {
      case .count:
        if json { printJSON(.object(["annotations": .int(out.annotationCount), "images": .int(out.imageCount)])) }
        else { emit("\(out.annotationCount) annotations in \(out.imageCount) images") }
      case .images:
        if json {
          printJSON(.array(out.images.map { .object(["path": .string($0.path), "width": .int($0.width), "height": .int($0.height),
                                                     "split": .str($0.split), "annotations": .int($0.annotationCount)]) }))
        } else if csvOutput {
          emit("path,width,height,split,annotations")
          for i in out.images { emit(csv([i.path, "\(i.width)", "\(i.height)", i.split ?? "", "\(i.annotationCount)"])) }
        } else { for i in out.images { emit(i.path) } }
      case .annotations:
        func box(_ b: Box?) -> [Double] { b.map { [$0.x, $0.y, $0.w, $0.h] } ?? [] }
        if json {
          printJSON(.array(out.annotations.map { h in
            .object(["image": .string(h.imagePath), "id": .string(h.annotationID), "label": .string(h.label), "kind": .string(h.kind),
                     "bbox": .array(box(h.box).map { .number($0) }), "area": .number(h.area),
                     "score": h.score.map { .number($0) } ?? .null, "attributes": .object(h.attributes.mapValues(\.json))])
          }))
        } else if csvOutput {
          emit("image,id,label,kind,x,y,w,h,area,score")
          for h in out.annotations {
            emit(csv([h.imagePath, h.annotationID, h.label, h.kind] + box(h.box).map(CanonicalJSON.number) + [CanonicalJSON.number(h.area), h.score.map(CanonicalJSON.number) ?? ""]))
          }
        } else {
          for h in out.annotations {
            emit("\(h.imagePath)\t\(h.annotationID)\t\(h.label)\t\(h.kind)\t[\(box(h.box).map(CanonicalJSON.number).joined(separator: ", "))]")
          }
        }
      }
    }
  }

  struct Sql: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run read-only SQL over the views images, annotations, classes, commits of a revision.")
    @Argument(help: "A SELECT statement.") var statement: String
    @Option(help: "Revision (default HEAD).") var rev: String = "HEAD"
    @Flag(help: "JSON output.") var json = false
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

  struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Counts per class, kind, size, split and attribute value.")
    @Argument(help: "Revision (default HEAD).") var rev: String = "HEAD"
    @Flag(help: "JSON output.") var json = false
    func run() throws {
      let s = try openRepository().stats(revision: rev)
      if json { printJSON(s.json); return }
      emit("\(s.images) images, \(s.annotations) annotations, \(s.imagesWithoutAnnotations) images without labels")
      emit("\nclass                annotations   images")
      for c in s.classes { emit(c.label.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%12d %8d", c.annotations, c.images) + (c.inSchema ? "" : "  (not in schema)")) }
      emit("\nkinds: " + s.kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
      emit("box sizes (COCO): small \(s.sizes.small), medium \(s.sizes.medium), large \(s.sizes.large)")
      if !s.splits.isEmpty { emit("splits: " + s.splits.map { "\($0.split ?? "(none)") \($0.images) images" }.joined(separator: ", ")) }
      for (k, v) in s.attributes.sorted(by: { $0.key < $1.key }) {
        emit("attribute \(k): " + v.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
      }
    }
  }

  struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check labels: undefined classes, boxes outside images, bad sizes, NaN, duplicate ids, short polygons, mask and keypoint mismatches.")
    @Argument(help: "Revision (default HEAD; ':stage' for the stage).") var rev: String = "HEAD"
    @Flag(help: "JSON output.") var json = false
    func run() throws {
      let repo = try openRepository()
      let (n, problems) = try repo.validate(rev)
      if json {
        printJSON(.object(["images": .int(n), "problems": .array(problems.map { .object(["file": .string($0.file), "annotation": .str($0.annotation), "message": .string($0.message)]) })]))
      } else {
        for p in problems { emit(p.description) }
        emit(problems.isEmpty ? "\(n) images checked, no problems" : "\(n) images checked, \(problems.count) problem\(problems.count == 1 ? "" : "s")")
      }
      if !problems.isEmpty { throw ExitCode(1) }
    }
  }

  struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Drop the query index and rebuild it for HEAD and every branch.")
    @OptionGroup var output: QuietOption
    func run() throws {
      let n = try openRepository().reindex()
      output.say("indexed \(n) revision\(n == 1 ? "" : "s")")
    }
  }

  struct Split: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Assign train/val/test splits deterministically by hash and stage them in the documents.")
    @Option(help: "NAME=RATIO,… (default train=0.8,val=0.1,test=0.1).") var ratios: String = "train=0.8,val=0.1,test=0.1"
    @Flag(help: "Balance each split by each image's most frequent class.") var stratify = false
    @Option(help: "Seed mixed into the hash.") var seed: String = ""
    @Option(help: "Only images matching this query filter (at HEAD).") var `where`: String?
    @OptionGroup var output: QuietOption
    func run() throws {
      let repo = try openRepository()
      var parsed: [(String, Double)] = []
      for part in ratios.split(separator: ",") {
        let kv = part.split(separator: "=").map(String.init)
        guard kv.count == 2, let r = Double(kv[1]) else { throw ValidationError("--ratios takes NAME=RATIO,…, not '\(part)'") }
        parsed.append((kv[0], r))
      }
      let only = try `where`.map { try repo.imagesMatching($0, at: "HEAD") }
      let counts = try repo.split(ratios: parsed, seed: seed, stratify: stratify, only: only)
      output.say(parsed.map { "\($0.0) \(counts[$0.0] ?? 0)" }.joined(separator: ", ") + " (staged; commit to record)")
    }
  }
}
