import Foundation
import AnnotModel

extension COCOImporter {
  /// One COCO JSON file, scanned once and then read by offset: the top level is parsed without
  /// building `images` and `annotations`, whose elements are read and parsed a batch at a time
  /// on all cores. Memory holds the element ranges and one batch, never the file (about 1 GB for
  /// a million images) or a JSON tree of millions of nodes, and the order of the keys in the file
  /// does not matter.
  ///
  /// The scan runs in chunks (`JSONObjectScanner`). A file it does not find as expected is read
  /// whole, within the input limit, by the reference reader (`JSONParser.scanObject`), which
  /// gives the exact error with its line and column; an element that does not parse is parsed
  /// again the same way for its error. So errors read as they did when the file was held whole.
  final class COCOFile: @unchecked Sendable {
    // Immutable after init; reads go through `InputFile` (pread) or the bytes held.
    let name: String
    let root: JSONNode
    private let ranges: [String: [Range<Int>]]
    /// The file, read by offset; or, for a file only the reference reader accepted, its bytes.
    private let file: InputFile
    private let held: [UInt8]?

    init(_ source: URL) throws {
      name = source.lastPathComponent
      file = try InputFile(source, display: source.lastPathComponent)
      var scanner = JSONObjectScanner(arrays: ["images", "annotations"])
      try file.scan { scanner.feed($0) }
      if let layout = scanner.finish(), let top = try Self.topLevel(layout, file) {
        var rs: [String: [Range<Int>]] = [:]
        for m in layout.members { if let e = m.elements { rs[m.key] = e } }
        ranges = rs
        root = JSONNode(value: top, file: name, place: "")
        held = nil
        return
      }
      // Not as the scanner expects: the reference reader decides, and names the place.
      let bytes = try file.read(0..<file.size)
      let scanned: (object: JSONValue, elements: [String: [Range<Int>]])
      do { scanned = try JSONParser.scanObject(bytes, arrays: ["images", "annotations"]) } catch {
        throw FormatError.invalid(file: name, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
      }
      root = JSONNode(value: scanned.object, file: name, place: "")
      ranges = scanned.elements
      held = bytes
    }

    /// The top-level object with `images` and `annotations` as empty arrays (as
    /// `JSONParser.scanObject` gives it), its other members parsed; nil when one does not parse.
    private static func topLevel(_ layout: JSONObjectLayout, _ file: InputFile) throws -> JSONValue? {
      var dict: [String: JSONValue] = [:]
      for m in layout.members {
        if m.elements != nil { dict[m.key] = .array([]); continue }
        let bytes = try file.read(m.value)
        guard let v = bytes.withUnsafeBufferPointer({ try? JSONParser.parseElement($0) }) else { return nil }
        dict[m.key] = v
      }
      return .object(dict)
    }

    func elements(_ key: String) -> [Range<Int>] { ranges[key] ?? [] }

    /// Element `k` of `key`, parsed; errors name the line and column in the whole file.
    func parse(_ key: String, _ k: Int) throws -> JSONNode {
      try withElements(key, [k]) { _, buf in try node(key, k, buf) }[0]
    }

    /// Element `k` of `key` parsed from its bytes `buf`.
    func node(_ key: String, _ k: Int, _ buf: UnsafeBufferPointer<UInt8>) throws -> JSONNode {
      do { return JSONNode(value: try JSONParser.parseElement(buf), file: name, at: JSONNode.Place(base: key, index: k)) }
      catch { throw try exactError(key, k) }
    }

    /// The syntax error of element `k` as the reference reader gives it over the whole file.
    private func exactError(_ key: String, _ k: Int) throws -> Error {
      let bytes = try held ?? file.read(0..<file.size)
      do { _ = try JSONParser.parse(bytes, in: elements(key)[k]) } catch {
        return FormatError.invalid(file: name, place: "line \(error.line), column \(error.column)", message: "malformed JSON: \(error.message)")
      }
      return FormatError.invalid(file: name, place: "\(key)[\(k)]", message: "the element cannot be read")
    }

    /// Calls `body` with the bytes of each element `indices[j]` of `key`, in the order of
    /// `indices`, and returns the results in that order. Elements close together in the file
    /// are read with one `pread`: the call holds about the bytes of the elements it was given.
    func withElements<T>(_ key: String, _ indices: [Int], _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> T) throws -> [T] {
      let all = elements(key)
      if let held {
        return try held.withUnsafeBufferPointer { whole in
          try indices.enumerated().map { j, k in try body(j, UnsafeBufferPointer(rebasing: whole[all[k]])) }
        }
      }
      // Spans of nearby elements (gaps under 64 KiB, spans up to 16 MiB), in file order.
      let byOffset = indices.indices.sorted { all[indices[$0]].lowerBound < all[indices[$1]].lowerBound }
      var spans: [Range<Int>] = []
      var spanOf = [Int](repeating: 0, count: indices.count)
      for j in byOffset {
        let r = all[indices[j]]
        if let last = spans.last, r.lowerBound >= last.lowerBound, r.lowerBound - last.upperBound < 64 << 10,
           r.upperBound - last.lowerBound <= 16 << 20 {
          spans[spans.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
        } else {
          spans.append(r)
        }
        spanOf[j] = spans.count - 1
      }
      let bytes = try spans.map { try file.read($0) }
      var out: [T] = []
      out.reserveCapacity(indices.count)
      for (j, k) in indices.enumerated() {
        let r = all[k], s = spans[spanOf[j]]
        out.append(try bytes[spanOf[j]].withUnsafeBufferPointer { b in
          try body(j, UnsafeBufferPointer(rebasing: b[(r.lowerBound - s.lowerBound)..<(r.upperBound - s.lowerBound)]))
        })
      }
      return out
    }

    /// Runs `body` over `indices` of `key`'s elements in batches on all cores; results come back
    /// in the order of `indices`, and the first failure in that order is thrown.
    func convert<T: Sendable>(_ key: String, _ indices: [Int], _ body: @escaping @Sendable (Int, JSONNode) throws -> T) throws -> [T] {
      let batch = 2048
      let starts = Array(stride(from: 0, to: indices.count, by: batch))
      let me = self
      return try ParallelMap.map(starts) { s -> [T] in
        let mine = Array(indices[s..<min(s + batch, indices.count)])
        return try me.withElements(key, mine) { j, buf in try body(mine[j], try me.node(key, mine[j], buf)) }
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
