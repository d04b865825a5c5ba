import AnnotModel

/// Summary numbers of one revision, as `annot stats` prints them.
public struct IndexStats: Sendable, Equatable {
  /// Annotation and image counts of one class.
  public struct ClassCount: Sendable, Equatable {
    public var label: String
    public var annotations: Int
    /// Images with at least one annotation of the class.
    public var images: Int
    /// False for labels used in documents but missing from the revision's schema.
    public var inSchema: Bool
  }
  /// COCO size buckets by area: small < 32², medium < 96², large otherwise.
  public struct SizeBuckets: Sendable, Equatable {
    public var small: Int
    public var medium: Int
    public var large: Int
  }
  /// Images and annotations of one split (`split` nil = images without a split).
  public struct SplitCount: Sendable, Equatable {
    public var split: String?
    public var images: Int
    public var annotations: Int
  }

  public var images: Int
  public var annotations: Int
  public var imagesWithoutAnnotations: Int
  /// Per class, sorted by label (UTF-8 order); schema classes with no annotations included.
  public var classes: [ClassCount]
  /// Annotations per shape kind.
  public var kinds: [String: Int]
  /// Size buckets over annotations that have geometry (every kind except `tag`).
  public var sizes: SizeBuckets
  /// Per attribute name, how many annotations carry each value (values as canonical JSON
  /// text without quotes: `true`, `3`, `red`).
  public var attributes: [String: [String: Int]]
  /// Per split, sorted by split name, the no-split row (nil) first.
  public var splits: [SplitCount]

  /// A JSON form for `annot stats --json` (encode with `CanonicalJSON`).
  public var json: JSONValue {
    func counts(_ d: [String: Int]) -> JSONValue { .object(d.mapValues { .number(Double($0)) }) }
    return .object([
      "images": .number(Double(images)),
      "annotations": .number(Double(annotations)),
      "images_without_annotations": .number(Double(imagesWithoutAnnotations)),
      "classes": .array(classes.map {
        .object(["label": .string($0.label), "annotations": .number(Double($0.annotations)),
                 "images": .number(Double($0.images)), "in_schema": .bool($0.inSchema)])
      }),
      "kinds": counts(kinds),
      "sizes": .object(["small": .number(Double(sizes.small)), "medium": .number(Double(sizes.medium)),
                        "large": .number(Double(sizes.large))]),
      "attributes": .object(attributes.mapValues(counts)),
      "splits": .array(splits.map {
        .object(["split": $0.split.map { .string($0) } ?? .null, "images": .number(Double($0.images)),
                 "annotations": .number(Double($0.annotations))])
      }),
    ])
  }
}

extension LabelIndex {
  /// Counts per class, kind, size bucket, attribute value and split for one revision.
  public func stats(revision: ObjectID) throws(IndexError) -> IndexStats {
    let r = try requireRevision(revision)
    try prepareViews(r)
    var st = IndexStats(images: 0, annotations: 0, imagesWithoutAnnotations: 0, classes: [], kinds: [:],
                        sizes: .init(small: 0, medium: 0, large: 0), attributes: [:], splits: [])
    st.images = Int(try db.scalarInt("SELECT count(*) FROM temp.images") ?? 0)
    st.imagesWithoutAnnotations = Int(try db.scalarInt("SELECT count(*) FROM temp.images WHERE annotations = 0") ?? 0)

    // One pass over the revision's annotations in row id order, which groups them by image (a
    // document's annotations have consecutive ids, and each document is at one path). A GROUP BY
    // per statistic would scan a million rows once per statistic; this scans them once, and
    // counts labels and attribute objects by code.
    try loadMembers(r)
    let s0 = try db.prepare("SELECT a.doc, a.label, a.kind, a.area, a.attrs FROM anns a WHERE annot_member(a.doc)")
    var names = try CodeNames(db)
    var labelCounts: [Int64: Int] = [:], labelImages: [Int64: Int] = [:], kindCounts: [Int64: Int] = [:]
    var attrCounts: [Int64: Int] = [:]
    var groupLabels: Set<Int64> = []
    var lastDoc: Int64 = -1
    let tag = try db.scalarInt("SELECT id FROM kinds WHERE name = 'tag'")
    func closeGroup() {
      for l in groupLabels { labelImages[l, default: 0] += 1 }
      groupLabels.removeAll(keepingCapacity: true)
    }
    while try s0.step() {
      let doc = s0.int(0)
      st.annotations += 1
      if doc != lastDoc { closeGroup() }
      lastDoc = doc
      let label = s0.int(1), kind = s0.int(2)
      labelCounts[label, default: 0] += 1
      groupLabels.insert(label)
      kindCounts[kind, default: 0] += 1
      if kind != tag {
        let area = s0.double(3)
        if area < 32 * 32 { st.sizes.small += 1 } else if area < 96 * 96 { st.sizes.medium += 1 } else { st.sizes.large += 1 }
      }
      if !s0.isNull(4) { attrCounts[s0.int(4), default: 0] += 1 }
    }
    closeGroup()
    for (k, n) in kindCounts { st.kinds[names.kind(k), default: 0] += n }
    var byName: [String: Int] = [:], imagesByName: [String: Int] = [:]
    for (l, n) in labelCounts { byName[names.label(l), default: 0] += n }
    for (l, n) in labelImages { imagesByName[names.label(l), default: 0] += n }

    let schema = Set((try self.schema(revision: revision))?.classes.map(\.name) ?? [])
    st.classes = schema.union(byName.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
      .init(label: $0, annotations: byName[$0] ?? 0, images: imagesByName[$0] ?? 0, inSchema: schema.contains($0))
    }
    for (code, n) in attrCounts {
      for (key, value) in try names.attributes(code) {
        let v: String = switch value {
        case .bool(let b): b ? "true" : "false"
        case .number(let d): CanonicalNumber.format(d)
        case .string(let str): str
        }
        st.attributes[key, default: [:]][v, default: 0] += n
      }
    }

    let s = try db.prepare("SELECT split, count(*), sum(annotations) FROM temp.images GROUP BY split ORDER BY split")
    while try s.step() {
      st.splits.append(.init(split: s.optionalText(0), images: Int(s.int(1)), annotations: Int(s.int(2))))
    }
    return st
  }
}
