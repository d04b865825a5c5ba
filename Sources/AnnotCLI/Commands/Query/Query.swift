import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

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
    @OptionGroup var jsonOption: JSONOption
    var json: Bool { jsonOption.json }
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
}
