import Foundation

/// Maps an array on all cores, keeping order; of several errors, the one of the lowest index is
/// thrown, so a failure reads the same on every run.
/// For pure per-item work only (parsing, reading and hashing files), never for libgit2 calls.
/// Here in AnnotModel because the formats (parsing) and the store (hashing) both use it.
public enum ParallelMap {
  private final class Slots<T>: @unchecked Sendable {
    var values: [T?]
    var error: Error?
    var errorIndex = Int.max
    let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
  }

  public static func map<T, R>(_ items: [T], _ body: @escaping @Sendable (T) throws -> R) throws -> [R] {
    let slots = Slots<R>(items.count)
    nonisolated(unsafe) let input = items
    DispatchQueue.concurrentPerform(iterations: items.count) { i in
      do {
        let r = try body(input[i])
        slots.lock.lock(); slots.values[i] = r; slots.lock.unlock()
      } catch {
        slots.lock.lock(); if i < slots.errorIndex { slots.error = error; slots.errorIndex = i }; slots.lock.unlock()
      }
    }
    if let e = slots.error { throw e }
    return slots.values.map { $0! }
  }

  /// Work started in the background; `wait()` returns its result.
  public final class Pending<R>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<[R], Error> = .success([])
    public init<T>(_ items: [T], _ body: @escaping @Sendable (T) throws -> R) {
      nonisolated(unsafe) let input = items
      group.enter()
      DispatchQueue.global().async {
        self.result = Result { try ParallelMap.map(input, body) }
        self.group.leave()
      }
    }
    public func wait() throws -> [R] {
      group.wait()
      return try result.get()
    }
  }
}
