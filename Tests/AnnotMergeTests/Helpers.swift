import AnnotModel
@testable import AnnotMerge

/// The image path every table case uses.
let P = "a.png"

/// Parses a JSON literal: expected conflict values are written out by hand, not computed.
func j(_ s: String) -> JSONValue {
  do { return try JSONParser.parse(s) } catch { fatalError("bad JSON literal in a test: \(s): \(error)") }
}

func img(width: Int = 640, height: Int = 480, split: String? = nil, sourceID: String? = nil,
         attributes: [String: AttributeValue] = [:]) -> ImageRecord {
  ImageRecord(path: P, width: width, height: height, mediaType: "image/png", sourceID: sourceID, split: split, attributes: attributes)
}

func doc(_ annotations: Annotation..., image: ImageRecord = img()) -> LabelDocument {
  LabelDocument(image: image, annotations: annotations)
}

func box(_ id: String, _ label: String = "cat", x: Double = 10, y: Double = 10, w: Double = 20, h: Double = 20,
         rotation: Double = 0, attributes: [String: AttributeValue] = [:], score: Double? = nil, group: Int? = nil,
         zOrder: Int? = nil, crowd: Bool = false, sourceID: String? = nil) -> Annotation {
  Annotation(id: id, label: label, shape: .box(Box(x: x, y: y, w: w, h: h), rotation: rotation), attributes: attributes,
             score: score, group: group, zOrder: zOrder, crowd: crowd, sourceID: sourceID)
}

func tag(_ id: String, _ label: String) -> Annotation { Annotation(id: id, label: label, shape: .tag) }

/// An expected conflict of the table, values as JSON text (nil = absent).
struct Expected: Sendable {
  var annotation: String?
  var field: String?
  var kind: LabelConflict.Kind
  var base: String?, ours: String?, theirs: String?
  init(_ annotation: String?, _ field: String?, _ kind: LabelConflict.Kind, base: String?, ours: String?, theirs: String?) {
    self.annotation = annotation; self.field = field; self.kind = kind; self.base = base; self.ours = ours; self.theirs = theirs
  }
  func conflict(path: String = P) -> LabelConflict {
    LabelConflict(path: path, annotationID: annotation, field: field, kind: kind,
                  base: base.map(j), ours: ours.map(j), theirs: theirs.map(j))
  }
}
