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
    st.annotations = Int(try db.scalarInt("SELECT count(*) FROM temp.annotations") ?? 0)
    st.imagesWithoutAnnotations = Int(try db.scalarInt("SELECT count(*) FROM temp.images WHERE annotations = 0") ?? 0)

    // One pass over the revision's annotations, grouped by image (the covering doc index on
    // temp.rev_docs yields each image's annotations together, in storage order). A GROUP BY per
    // statistic would scan a million rows once per statistic; this scans them once.
    let s0 = try db.prepare("""
      SELECT a.id, a.doc, a.label, a.kind, a.area, a.attrs
      FROM temp.rev_docs r CROSS JOIN main.anns a ON a.doc = r.doc
      """)
    var labelCounts: [String: Int] = [:], labelImages: [String: Int] = [:], attrTexts: [String: Int] = [:]
    var groupLabels: Set<String> = []
    var lastDoc: Int64 = -1, lastAnn: Int64 = -1
    func closeGroup() {
      for l in groupLabels { labelImages[l, default: 0] += 1 }
      groupLabels.removeAll(keepingCapacity: true)
    }
    while try s0.step() {
      let ann = s0.int(0), doc = s0.int(1)
      if doc != lastDoc || ann <= lastAnn { closeGroup() }  // a new image (or the same blob at another path)
      lastDoc = doc
      lastAnn = ann
      let label = s0.text(2), kind = s0.text(3)
      labelCounts[label, default: 0] += 1
      groupLabels.insert(label)
      st.kinds[kind, default: 0] += 1
      if kind != "tag" {
        let area = s0.double(4)
        if area < 32 * 32 { st.sizes.small += 1 } else if area < 96 * 96 { st.sizes.medium += 1 } else { st.sizes.large += 1 }
      }
      if let attrs = s0.optionalText(5) { attrTexts[attrs, default: 0] += 1 }
    }
    closeGroup()

    let schema = Set((try self.schema(revision: revision))?.classes.map(\.name) ?? [])
    st.classes = schema.union(labelCounts.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
      .init(label: $0, annotations: labelCounts[$0] ?? 0, images: labelImages[$0] ?? 0, inSchema: schema.contains($0))
    }
    // Few distinct attribute objects exist in practice; parse each once.
    for (text, n) in attrTexts {
      for (key, value) in Self.attributes(fromJSON: text) {
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
