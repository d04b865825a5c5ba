import AnnotModel

/// What `query` returns rows of.
public enum QueryMode: String, Sendable, CaseIterable {
  /// One row per matching annotation.
  case annotations
  /// One row per matching image: for filters on annotation fields, images with at least one
  /// matching annotation; for filters on image fields and counts only, every matching image
  /// (including images without annotations).
  case images
  /// Only the numbers: matching annotations and matching images.
  case count
}

/// One annotation row of a query.
public struct AnnotationHit: Sendable, Equatable {
  /// Dataset path of the image (`train/0001.jpg`).
  public var imagePath: String
  public var annotationID: String
  public var label: String
  public var kind: String
  /// The bounding box; nil for image tags.
  public var box: Box?
  public var area: Double
  public var score: Double?
  public var attributes: [String: AttributeValue]
}

/// One image row of a query.
public struct ImageHit: Sendable, Equatable {
  public var path: String
  public var width: Int
  public var height: Int
  public var mediaType: String
  public var split: String?
  /// All annotations of the image, matching or not.
  public var annotationCount: Int
  public var attributes: [String: AttributeValue]
}

/// The result of `query`. Rows are sorted by image path, then annotation id (UTF-8 byte order).
public struct QueryOutcome: Sendable, Equatable {
  public var mode: QueryMode
  /// Rows in `.annotations` mode; empty otherwise.
  public var annotations: [AnnotationHit]
  /// Rows in `.images` mode; empty otherwise.
  public var images: [ImageHit]
  /// Matching annotations (in `.annotations` mode, before `limit`; always set in `.count` mode).
  public var annotationCount: Int
  /// Matching images (in `.images` mode, before `limit`; always set in `.count` mode).
  public var imageCount: Int
}

extension LabelIndex {
  /// Runs a filter (see `AnnotQuery`) over one indexed revision.
  ///
  /// - Parameters:
  ///   - filter: the filter text, e.g. `label == "person" and count(label == "car") > 2`.
  ///   - revision: an indexed commit.
  ///   - mode: annotation rows, image rows, or counts only.
  ///   - limit: at most this many rows (counts are unaffected).
  /// - Throws: `.query` with line and column for a filter that does not parse,
  ///   `.unknownRevision` for a commit that is not indexed.
  public func query(_ filter: String, revision: ObjectID, mode: QueryMode = .annotations,
                    limit: Int? = nil) throws(IndexError) -> QueryOutcome {
    let q: AnnotQuery
    do { q = try AnnotQuery(filter) } catch { throw .query(error) }
    return try query(q, revision: revision, mode: mode, limit: limit)
  }

  /// Runs a parsed filter over one indexed revision; see `query(_:revision:mode:limit:)`.
  public func query(_ filter: AnnotQuery, revision: ObjectID, mode: QueryMode = .annotations,
                    limit: Int? = nil) throws(IndexError) -> QueryOutcome {
    // One snapshot for the revision row, its member bitmap and the statements that use both: a
    // concurrent `annot reindex` renumbers documents.
    try db.readTransaction { () throws(IndexError) -> QueryOutcome in try run(filter, revision: revision, mode: mode, limit: limit) }
  }

  private func run(_ filter: AnnotQuery, revision: ObjectID, mode: QueryMode, limit: Int?) throws(IndexError) -> QueryOutcome {
    let r = try requireRevision(revision)
    try loadMembers(r)
    var out = QueryOutcome(mode: mode, annotations: [], images: [], annotationCount: 0, imageCount: 0)
    let limitSQL = limit.map { " LIMIT \(max(0, $0))" } ?? ""
    switch mode {
    case .annotations:
      let (cond, params) = compile(filter)
      let s = try db.prepare("""
        SELECT d.path, a.ann_id, a.label, a.kind, a.x, a.y, a.w, a.h, a.area, a.score, a.attrs
        FROM \(Self.annotationJoin(filter, withImage: true))
        WHERE \(Self.memberTest(filter)) AND \(cond)
        ORDER BY d.path, a.ann_id\(limitSQL)
        """)
      try s.bind(params)
      var names = try CodeNames(db)
      while try s.step() {
        let box: Box? = s.isNull(4) ? nil : Box(x: s.double(4), y: s.double(5), w: s.double(6), h: s.double(7))
        out.annotations.append(AnnotationHit(
          imagePath: s.text(0), annotationID: s.text(1), label: names.label(s.int(2)), kind: names.kind(s.int(3)), box: box,
          area: s.double(8), score: s.optionalDouble(9), attributes: try names.attributes(s.isNull(10) ? nil : s.int(10))))
      }
      out.annotationCount = limit == nil ? out.annotations.count : try countAnnotations(filter)
    case .images:
      let (sql, params) = imagesSQL(filter, select: "d.path, d.width, d.height, d.media_type, d.split, d.annotation_count, d.attrs")
      let s = try db.prepare(sql + " ORDER BY d.path" + limitSQL)
      try s.bind(params)
      while try s.step() {
        out.images.append(ImageHit(
          path: s.text(0), width: Int(s.int(1)), height: Int(s.int(2)), mediaType: s.text(3), split: s.optionalText(4),
          annotationCount: Int(s.int(5)), attributes: Self.attributes(fromJSON: s.optionalText(6))))
      }
      out.imageCount = limit == nil ? out.images.count : try countImages(filter)
    case .count where filter.isAnnotationLevel:
      // One pass gives both numbers: images are the distinct documents of matching annotations
      // (documents and paths of a revision correspond one to one).
      let (cond, params) = compile(filter)
      let s = try db.prepare("""
        SELECT count(*), annot_count_docs(a.doc) FROM \(Self.annotationJoin(filter, withImage: filter.readsImage))
        WHERE \(Self.memberTest(filter)) AND \(cond)
        """)
      try s.bind(params)
      if try s.step() { out.annotationCount = Int(s.int(0)); out.imageCount = Int(s.int(1)) }
    case .count:
      out.annotationCount = try countAnnotations(filter)
      out.imageCount = try countImages(filter)
    }
    return out
  }

  /// The SQL a filter compiles to, with its parameters (for `annot query --explain` and tests).
  public func explain(_ filter: AnnotQuery) -> (sql: String, parameters: [SQLValue]) {
    compile(filter)
  }

  private func compile(_ filter: AnnotQuery) -> (String, [SQLValue]) {
    var c = QueryCompiler(firstParameter: 1)
    let cond = c.compile(filter.root, .init(ann: "a", doc: "d"))
    return (cond, c.params)
  }

  /// The join of annotations and documents, in a fixed order (CROSS JOIN): annotation-level
  /// filters start from the annotations, so the label index picks the candidates (and, when the
  /// filter reads nothing of the image, answers a count alone); image-level filters start from
  /// the documents, each reading its annotations by row id range. A fixed order keeps the
  /// planner, which has no statistics here, from choosing a nested scan.
  static func annotationJoin(_ filter: AnnotQuery, withImage: Bool) -> String {
    guard filter.isAnnotationLevel else {
      return "docs d CROSS JOIN anns a NOT INDEXED ON \(QueryCompiler.annotationsOf("a", "d"))"
    }
    return withImage ? "anns a CROSS JOIN docs d ON d.id = a.doc" : "anns a"
  }

  /// The revision's rows: a bit test on the document (`annot_member`, LabelIndex+Membership.swift).
  static func memberTest(_ filter: AnnotQuery) -> String {
    filter.isAnnotationLevel ? "annot_member(a.doc)" : "annot_member(d.id)"
  }

  private func imagesSQL(_ filter: AnnotQuery, select: String) -> (String, [SQLValue]) {
    let (cond, params) = compile(filter)
    if filter.isAnnotationLevel {
      // Drive from the annotations so the label index can pick the few candidates.
      return ("""
        SELECT \(select) FROM \(Self.annotationJoin(filter, withImage: true))
        WHERE \(Self.memberTest(filter)) AND \(cond) GROUP BY a.doc
        """, params)
    }
    return ("""
      SELECT \(select) FROM docs d
      WHERE \(Self.memberTest(filter)) AND \(cond)
      """, params)
  }

  private func countAnnotations(_ filter: AnnotQuery) throws(IndexError) -> Int {
    let (cond, params) = compile(filter)
    let n = try db.scalarInt("""
      SELECT count(*) FROM \(Self.annotationJoin(filter, withImage: filter.readsImage))
      WHERE \(Self.memberTest(filter)) AND \(cond)
      """, params)
    return Int(n ?? 0)
  }

  private func countImages(_ filter: AnnotQuery) throws(IndexError) -> Int {
    let (sql, params) = imagesSQL(filter, select: "1")
    return Int(try db.scalarInt("SELECT count(*) FROM (\(sql))", params) ?? 0)
  }
}
