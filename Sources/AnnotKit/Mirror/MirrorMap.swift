import Foundation
import AnnotModel

extension Repository {
  /// real commit → labels commit, cached in `.annot/annot/labels-map` (derived data: deleting
  /// it only makes the next lookup recompute).
  struct MirrorMap {
    let repo: Repository
    var loaded: [ObjectID: ObjectID]?
    /// Known pairs consulted before the file is read (the branch's current mirror).
    var seed: [ObjectID: ObjectID] = [:]
    var pending: [(ObjectID, ObjectID)] = []
    init(_ repo: Repository) { self.repo = repo }
    var file: String { repo.layout.labelsMap }

    mutating func get(_ real: ObjectID) -> ObjectID? {
      if let m = seed[real] { return m }
      if loaded == nil {
        var m: [ObjectID: ObjectID] = [:]
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
          for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let a = ObjectID(hex: String(parts[0])), let b = ObjectID(hex: String(parts[1])) { m[a] = b }
          }
        }
        loaded = m
      }
      return loaded![real]
    }

    mutating func record(_ real: ObjectID, _ mirror: ObjectID) {
      if loaded?[real] == mirror { return }
      loaded?[real] = mirror
      seed[real] = mirror
      pending.append((real, mirror))
    }

    /// Appends what was learned (one write; a torn line is skipped on reading).
    mutating func save() {
      guard !pending.isEmpty else { return }
      let text = pending.map { "\($0.0.hex) \($0.1.hex)\n" }.joined()
      if let h = FileHandle(forWritingAtPath: file) {
        h.seekToEndOfFile(); h.write(Data(text.utf8)); try? h.close()
      } else {
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
      }
      pending = []
    }
  }
}
