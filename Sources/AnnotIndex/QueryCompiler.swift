// Compiles a QueryExpr to a SQL condition. Every literal and attribute name becomes a numbered
// parameter (?N); the SQL text is built only from the fixed strings below and from aliases the
// compiler invents. So a string literal like `"x' OR 1=1 --"` is data, never SQL.
//
// Labels, kinds and attribute objects are integer codes (CodeTable.swift): a comparison on them
// is decided over the few distinct values, `a.label IN (SELECT id FROM labels WHERE name = ?)`,
// which SQLite evaluates once per statement; on `label` it also drives the label index.
//
// Per-image subqueries name their access path: the label index by (label, doc) when they
// require a label, else the image's annotations by row id range (`first_ann`, NOT INDEXED).
// Without statistics the planner may otherwise scan the label index once per image, which on
// 100k images never finishes.

struct QueryCompiler {
  /// Parameters ?1…?firstParameter-1 belong to the caller (the revision ids).
  let firstParameter: Int
  private(set) var params: [SQLValue] = []
  private var aliases = 0

  init(firstParameter: Int) { self.firstParameter = firstParameter }

  /// Aliases in scope: annotation row, document row.
  struct Scope { var ann: String; var doc: String }

  mutating func bind(_ v: SQLValue) -> String {
    params.append(v)
    return "?\(firstParameter + params.count - 1)"
  }

  mutating func compile(_ e: QueryExpr, _ s: Scope) -> String {
    switch e {
    case .and(let a, let b): return "(\(compile(a, s)) AND \(compile(b, s)))"
    case .or(let a, let b): return "(\(compile(a, s)) OR \(compile(b, s)))"
    case .not(let a): return "(NOT \(compile(a, s)))"
    case .constant(let b): return b ? "1" : "0"
    case .count(let inner, let op, let n):
      aliases += 1
      let c = "c\(aliases)"
      let cond = inner.map { compile($0, Scope(ann: c, doc: s.doc)) } ?? "1"
      let v = bind(.real(n))
      // With `label == …` among its conditions, the label index finds the image's entries of that
      // label directly (label, doc); otherwise read all of the image's annotations by id range.
      let from = inner?.requiresLabelEquality == true
        ? "anns \(c) INDEXED BY anns_label WHERE \(c).doc = \(s.doc).id"
        : "anns \(c) NOT INDEXED WHERE \(Self.annotationsOf(c, s.doc))"
      return "((SELECT count(*) FROM \(from) AND \(cond)) \(op.sql) \(v))"
    case .compare(let f, let op, let lit):
      return compare(f, op, lit, s)
    }
  }

  private mutating func compare(_ f: QueryField, _ op: QueryOp, _ lit: QueryLiteral, _ s: Scope) -> String {
    switch f {
    case .attr(let name):
      // Decided once per distinct attribute object; annotations without attributes (NULL) match none.
      aliases += 1
      let set = "s\(aliases)"
      return "ifnull(\(s.ann).attrs IN (SELECT \(set).id FROM attr_sets \(set) WHERE \(attribute("\(set).json", name, op, lit))), 0)"
    case .imageAttr(let name): return attribute("\(s.doc).attrs", name, op, lit)
    case .label: return code("\(s.ann).label", "labels", op, lit)
    case .kind: return code("\(s.ann).kind", "kinds", op, lit)
    case .tags:
      aliases += 1
      let t = "t\(aliases)"
      let label = code("\(t).label", "labels", op == .glob ? .glob : .eq, lit)
      // The label index finds the image's annotations with the tag's label(s) directly.
      let exists = """
        EXISTS (SELECT 1 FROM anns \(t) INDEXED BY anns_label WHERE \(label) AND \(t).doc = \(s.doc).id \
        AND \(t).kind IN (SELECT id FROM kinds WHERE name = 'tag'))
        """
      return op == .ne ? "(NOT \(exists))" : exists
    case .crowd:
      guard case .bool(let b) = lit else { return "0" }
      return "(\(s.ann).crowd \(op.sql) \(b ? 1 : 0))"
    default:
      let (column, nullable) = Self.column(f, s)
      let v = bind(sqlValue(lit))
      let cmp = "\(column) \(op.sql) \(v)"
      // Missing values (NULL) compare false, so `not` stays a plain boolean negation.
      return nullable ? "ifnull(\(cmp), 0)" : "(\(cmp))"
    }
  }

  /// A comparison on a coded text column (`labels` or `kinds` id): the codes whose name compares.
  /// Never NULL (the subquery yields no NULLs), so `not` stays a plain negation.
  private mutating func code(_ column: String, _ table: String, _ op: QueryOp, _ lit: QueryLiteral) -> String {
    let v = bind(sqlValue(lit))
    return "(\(column) IN (SELECT id FROM \(table) WHERE name \(op.sql) \(v)))"
  }

  /// The annotations of document `doc` by row id: ids first_ann ..< first_ann + annotation_count.
  static func annotationsOf(_ ann: String, _ doc: String) -> String {
    "\(ann).id >= \(doc).first_ann AND \(ann).id < \(doc).first_ann + \(doc).annotation_count"
  }

  private mutating func attribute(_ column: String, _ name: String, _ op: QueryOp, _ lit: QueryLiteral) -> String {
    let p = bind(.text("$.\"\(name)\""))
    let type = "json_type(\(column), \(p))"
    switch lit {
    case .bool(let b):
      let want = b ? "'true'" : "'false'"
      return "ifnull(\(type) \(op == .ne ? "!=" : "=") \(want), 0)"
    case .number, .string:
      let typed = if case .number = lit { "\(type) IN ('integer', 'real')" } else { "\(type) = 'text'" }
      let v = bind(sqlValue(lit))
      if op == .ne {
        return "ifnull(\(type) IS NOT NULL AND NOT (\(typed) AND (\(column) ->> \(p)) = \(v)), 0)"
      }
      return "ifnull(\(typed) AND (\(column) ->> \(p)) \(op.sql) \(v), 0)"
    }
  }

  private func sqlValue(_ lit: QueryLiteral) -> SQLValue {
    switch lit {
    case .string(let s): .text(s)
    case .number(let d): .real(d)
    case .bool(let b): .integer(b ? 1 : 0)
    }
  }

  /// The fixed SQL expression of a plain field, and whether it can be NULL.
  static func column(_ f: QueryField, _ s: Scope) -> (String, Bool) {
    let a = s.ann, d = s.doc
    switch f {
    case .id: return ("\(a).ann_id", false)
    case .area: return ("\(a).area", false)
    case .x: return ("\(a).x", true)
    case .y: return ("\(a).y", true)
    case .w: return ("\(a).w", true)
    case .h: return ("\(a).h", true)
    case .aspect: return (aspect(a), true)
    case .score: return ("\(a).score", true)
    case .group: return ("\(a).grp", true)
    case .zOrder: return ("\(a).z_order", true)
    case .crowd: return ("\(a).crowd", false)
    case .path: return ("\(d).path", false)
    case .split: return ("\(d).split", true)
    case .mediaType: return ("\(d).media_type", false)
    case .imageWidth: return ("\(d).width", false)
    case .imageHeight: return ("\(d).height", false)
    case .label, .kind, .attr, .imageAttr, .tags: return ("NULL", true)  // handled by compare()
    }
  }

  /// w / h of the bounding box; NULL without a box or when h = 0 (computed: one column less per row).
  static func aspect(_ a: String) -> String { "(CASE WHEN \(a).h != 0 THEN \(a).w / \(a).h END)" }
}
