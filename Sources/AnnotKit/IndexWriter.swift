import Foundation
import AnnotModel
import AnnotIndex

/// Inserts batches of decoded documents into the index on a thread of its own, one batch at a
/// time, while the caller reads and parses the next one. At most one batch waits beside the one
/// being inserted (bounded memory). The first error stops the writer and is thrown by the next
/// `submit` or by `finish`.
///
/// The index is used by one thread at a time only: the caller must not touch it between the
/// first `submit` and `finish` (SQLite's multi-thread mode allows a connection to move between
/// threads, not to be shared).
final class IndexWriter: @unchecked Sendable {
  private let index: LabelIndex
  private let queue = DispatchQueue(label: "annot.index-writer")
  private let slots = DispatchSemaphore(value: 2)
  private let lock = NSLock()
  private var failure: Error?

  init(_ index: LabelIndex) { self.index = index }

  func submit(_ docs: [(blob: ObjectID, doc: LabelDocument)]) throws {
    try check()
    slots.wait()
    nonisolated(unsafe) let batch = docs
    queue.async {
      defer { self.slots.signal() }
      guard self.error == nil else { return }
      do { try self.index.indexDocuments(batch) } catch { self.record(error) }
    }
  }

  /// Waits for every submitted batch; throws the first error.
  func finish() throws {
    drain()
    try check()
  }

  /// Waits for every submitted batch (also when the caller stops early: the index must be idle
  /// before it rolls back).
  func drain() { queue.sync {} }

  private var error: Error? {
    lock.lock()
    defer { lock.unlock() }
    return failure
  }

  private func record(_ e: Error) {
    lock.lock()
    if failure == nil { failure = e }
    lock.unlock()
  }

  private func check() throws {
    if let e = error { throw e }
  }
}
