import AnnotModel

/// Gives re-imported annotations the ids they had in the parent revision (one-to-one by IoU or
/// OKS, preferring the same label; see AnnotationMatcher and Docs/DIFF.md "Matching").
enum IdentityMatching {
  static func reattach(_ doc: LabelDocument, parent: LabelDocument?) -> LabelDocument {
    guard let parent, !parent.annotations.isEmpty else { return doc }
    return AnnotationMatcher.reattachIDs(imported: doc, parent: parent)
  }
}
