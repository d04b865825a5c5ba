import Foundation
import AnnotModel

extension COCOImporter {
  /// One COCO JSON file, read and scanned: the top level is parsed without building `images`
  /// and `annotations`, whose elements are parsed a batch at a time on all cores, so memory holds
  /// the file and one batch, never a JSON tree of millions of nodes, and the order of the keys in
  /// the file does not matter.
  struct COCOFile {
    let name: String
    let bytes: [UInt8]
    let root: JSONNode
    private let ranges: [String: [Range<Int>]]
    init(_ source: URL) throws {
      name = source.lastPathComponent
      bytes = try FileAccess.read(source, display: name)
      let scanned: (object: JSONValue, elements: [String: [Range<Int>]])
      do { scanned = try JSONParser.scanObject(bytes, arrays: ["images", "annotations"]) } catch {
        throw FormatError.invalid(file: name, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
      }
      root = JSONNode(value: scanned.object, file: name, place: "")
      ranges = scanned.elements
    }
    func elements(_ key: String) -> [Range<Int>] { ranges[key] ?? [] }

    func parse(_ key: String, _ k: Int) throws -> JSONNode {
      do { return JSONNode(value: try JSONParser.parse(bytes, in: elements(key)[k]), file: name, at: JSONNode.Place(base: key, index: k)) }
      catch {
        throw FormatError.invalid(file: name, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
      }
    }

    /// Runs `body` over `indices` of `key`'s elements in batches on all cores; results come back
    /// in the order of `indices`, and the first failure in that order is thrown.
    func convert<T: Sendable>(_ key: String, _ indices: [Int], _ body: @escaping @Sendable (Int, JSONNode) throws -> T) throws -> [T] {
      let batch = 2048
      let starts = Array(stride(from: 0, to: indices.count, by: batch))
      let me = self
      return try ParallelMap.map(starts) { s -> [T] in
        var out: [T] = []
        out.reserveCapacity(min(batch, indices.count - s))
        for j in s..<min(s + batch, indices.count) { out.append(try body(indices[j], try me.parse(key, indices[j]))) }
        return out
      }.flatMap { $0 }
    }

    /// The categories, with their real ids.
    func classes(_ options: ImportOptions) throws -> [LabelClass] {
      var classes: [LabelClass] = []
      var classByID: [Int: LabelClass] = [:]
      for c in try root.optional("categories")?.array() ?? [] {
        let id = try c.required("id").int()
        let place = c.place
        let cn = c.renamed("\(place) (id \(id))")
        let name = try cn.required("name").string()
        guard !name.isEmpty else { throw FormatError.invalid(file: self.name, place: cn.place + ".name", message: "empty category name") }
        guard classByID[id] == nil else { throw FormatError.invalid(file: self.name, place: cn.place + ".id", message: "duplicate category id \(id)") }
        guard !classes.contains(where: { $0.name == name }) else {
          throw FormatError.invalid(file: self.name, place: cn.place + ".name", message: "duplicate category name \"\(name)\"")
        }
        var lc = LabelClass(id: id, name: name, supercategory: try cn.optional("supercategory")?.string())
        if let existing = options.existingSchema?.labelClass(named: name) {
          lc.color = existing.color; lc.attributes = existing.attributes
        }
        lc.keypoints = try (cn.optional("keypoints")?.array() ?? []).map { e throws(FormatError) in try e.string() }
        for e in try cn.optional("skeleton")?.array() ?? [] {
          let pair = try e.array().map { x throws(FormatError) in try x.int() }
          guard pair.count == 2, pair.allSatisfy({ $0 >= 1 && $0 <= lc.keypoints.count }) else {
            throw e.fail("expected a pair of 1-based keypoint indices (1...\(lc.keypoints.count))")
          }
          lc.skeleton.append(pair)
        }
        classes.append(lc)
        classByID[id] = lc
      }
      return classes
    }
  }
}
