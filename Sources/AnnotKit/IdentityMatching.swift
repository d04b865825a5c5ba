import AnnotModel

/// Gives re-imported annotations the ids they had in the parent revision.
enum IdentityMatching {
  static func reattach(_ doc: LabelDocument, parent: LabelDocument?) -> LabelDocument {
    guard let parent, !parent.annotations.isEmpty else { return doc }
    // Interim rule until the geometric matcher lands: identical content keeps its id.
    var byContent: [String: String] = [:]
    for a in parent.annotations { var c = a; c.id = ""; byContent[CanonicalJSON.string(c.json), default: a.id] = a.id }
    var used = Set<String>()
    var out = doc
    out.annotations = doc.annotations.map { a in
      var c = a; c.id = ""
      if let id = byContent[CanonicalJSON.string(c.json)], used.insert(id).inserted { c.id = id; return c }
      return a
    }
    return LabelDocument(image: out.image, annotations: out.annotations)
  }
}
