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

    var byLabel: [String: IndexStats.ClassCount] = [:]
    let schema = Set((try self.schema(revision: revision))?.classes.map(\.name) ?? [])
    for name in schema { byLabel[name] = .init(label: name, annotations: 0, images: 0, inSchema: true) }
    var s = try db.prepare("SELECT label, count(*), count(DISTINCT path) FROM temp.annotations GROUP BY label")
    while try s.step() {
      let label = s.text(0)
      byLabel[label] = .init(label: label, annotations: Int(s.int(1)), images: Int(s.int(2)), inSchema: schema.contains(label))
    }
    st.classes = byLabel.values.sorted { $0.label.utf8.lexicographicallyPrecedes($1.label.utf8) }

    s = try db.prepare("SELECT kind, count(*) FROM temp.annotations GROUP BY kind")
    while try s.step() { st.kinds[s.text(0)] = Int(s.int(1)) }

    s = try db.prepare("""
      SELECT ifnull(sum(area < 1024), 0), ifnull(sum(area >= 1024 AND area < 9216), 0), ifnull(sum(area >= 9216), 0)
      FROM temp.annotations WHERE kind != 'tag'
      """)
    if try s.step() { st.sizes = .init(small: Int(s.int(0)), medium: Int(s.int(1)), large: Int(s.int(2))) }

    s = try db.prepare("""
      SELECT j.key, j.type, j.atom, count(*) FROM temp.annotations a, json_each(a.attrs) j
      WHERE a.attrs IS NOT NULL GROUP BY 1, 2, 3
      """)
    while try s.step() {
      let value: String = switch s.text(1) {
      case "true": "true"
      case "false": "false"
      case "integer", "real": CanonicalNumber.format(s.double(2))
      default: s.text(2)
      }
      st.attributes[s.text(0), default: [:]][value, default: 0] += Int(s.int(3))
    }

    s = try db.prepare("SELECT split, count(*), sum(annotations) FROM temp.images GROUP BY split ORDER BY split")
    while try s.step() {
      st.splits.append(.init(split: s.optionalText(0), images: Int(s.int(1)), annotations: Int(s.int(2))))
    }
    return st
  }
}
