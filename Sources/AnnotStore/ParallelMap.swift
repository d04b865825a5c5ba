import Foundation

/// Maps a small array on all cores, keeping order; the first error wins.
/// For pure per-item work only (reading and hashing files), never for libgit2 calls.
public enum ParallelMap {
  private final class Slots<T>: @unchecked Sendable {
    var values: [T?]
    var error: Error?
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
        slots.lock.lock(); if slots.error == nil { slots.error = error }; slots.lock.unlock()
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
