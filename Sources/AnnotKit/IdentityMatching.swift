import AnnotModel

/// Gives re-imported annotations the ids they had in the parent revision: unchanged annotations
/// first, then one global assignment per image that maximises IoU/OKS plus a bonus for the same
/// label and a smaller one for an equal source id, so a tool that renumbers its ids cannot swap
/// two untouched annotations (see AnnotationMatcher and Docs/DIFF.md "Matching").
enum IdentityMatching {
  static func reattach(_ doc: LabelDocument, parent: LabelDocument?) -> LabelDocument {
    guard let parent, !parent.annotations.isEmpty else { return doc }
    return AnnotationMatcher.reattachIDs(imported: doc, parent: parent)
  }
}
