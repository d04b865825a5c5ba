import AnnotModel

/// Outcome of `resolve`.
public enum Resolution {
  /// What a resolution produced.
  public struct Outcome: Sendable, Equatable {
    /// The document with the chosen values applied (nil if the choice deletes the image).
    public var document: LabelDocument?
    /// The conflicts that were settled.
    public var resolved: [LabelConflict]
    /// The conflicts not selected by this resolution, still open.
    public var remaining: [LabelConflict]
  }
}

/// Settles conflicts of one document by writing the chosen side's value into the merged document.
///
/// The conflicts carry every value they need (base, ours, theirs as JSON), so this works from the
/// merged document and the conflict file alone; `annot resolve PATH --ours|--theirs` passes
/// `forAnnotation: nil`, and `--annotation ID=ours|theirs` passes the id. Fields not in a selected
/// conflict are left as they are in `merged`, so earlier resolutions and hand edits survive.
///
/// - Parameters:
///   - conflicts: the open conflicts of this document (as `mergeDocuments` returned them).
///   - merged: the current merged document (nil if it is currently deleted).
///   - choice: which side's value to keep.
///   - forAnnotation: only settle conflicts of this annotation id; nil settles all of them.
/// - Throws: `MergeError.unresolvable` when a conflict's annotation or document is missing from
///   `merged` (for example a field conflict after the annotation was deleted by hand).
public func resolve(_ conflicts: [LabelConflict], in merged: LabelDocument?, choice: ConflictChoice,
                    forAnnotation: String? = nil) throws(MergeError) -> Resolution.Outcome {
  let selected = conflicts.filter { forAnnotation == nil || $0.annotationID == forAnnotation }
  let remaining = conflicts.filter { !(forAnnotation == nil || $0.annotationID == forAnnotation) }
  var doc = merged
  for c in selected { doc = try apply(c, choice: choice, to: doc) }
  return Resolution.Outcome(document: doc, resolved: selected, remaining: remaining)
}

/// Settles conflicts given the three inputs instead of a conflict list: merges again to find the
/// conflicts of `path`, then applies `choice` to those selected in `merged` (as `resolve(_:in:…)`).
public func resolve(base: LabelDocument?, ours: LabelDocument?, theirs: LabelDocument?, merged: LabelDocument?,
                    path: String, choice: ConflictChoice, forAnnotation: String? = nil,
                    options: DocumentMerge.Options = .init()) throws(MergeError) -> Resolution.Outcome {
  var o = options
  o.strategy = nil
  let again = try mergeDocuments(base: base, ours: ours, theirs: theirs, path: path, options: o)
  return try resolve(again.conflicts, in: merged, choice: choice, forAnnotation: forAnnotation)
}

private func apply(_ c: LabelConflict, choice: ConflictChoice, to doc: LabelDocument?) throws(MergeError) -> LabelDocument? {
  let value = c.value(choice)
  func fail(_ reason: String) -> MergeError { .unresolvable(path: c.path, annotationID: c.annotationID, field: c.field, reason: reason) }
  // The whole document.
  guard c.annotationID != nil || c.field != nil else {
    guard let value else { return nil }
    do { return try LabelDocument.decode(value) } catch { throw fail("the chosen document is invalid: \(error)") }
  }
  // Image bytes are not in the document: the caller picks the blob with `c.value(choice)`.
  if c.field == LabelConflict.imageBytesField { return doc }
  guard var doc else { throw fail("the merged document is deleted; restore it first") }
  guard let id = c.annotationID else {
    // An image record field.
    guard let field = c.field, field.hasPrefix("image.") else { throw fail("not a document field") }
    var fields = ImageFields.flatten(doc)
    fields[field] = value
    return try ImageFields.build(fields, annotations: doc.annotations, path: c.path)
  }
  let current = doc.annotation(id: id)
  guard let field = c.field else {
    // The whole annotation (delete/modify, add/add).
    doc.annotations.removeAll { $0.id == id }
    if let value {
      do { doc.annotations.append(try Annotation.decode(value, at: "annotations[\(id)]")) } catch {
        throw fail("the chosen annotation is invalid: \(error)")
      }
      doc.annotations.sort { utf8Less($0.id, $1.id) }
    }
    return doc
  }
  guard let current else { throw fail("the annotation is not in the merged document") }
  var fields = AnnotationFields.flatten(current)
  fields[field] = value
  let rebuilt = try AnnotationFields.build(fields, id: id, path: c.path)
  doc.annotations = doc.annotations.map { $0.id == id ? rebuilt : $0 }
  return doc
}
