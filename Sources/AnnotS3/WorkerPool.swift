import Foundation

/// Runs blocking jobs (HTTP requests) on `jobs` threads of their own.
///
/// Why not `DispatchQueue.concurrentPerform`: it sizes itself to the CPU count (2 here), and a
/// thread waiting on the network does no CPU work: transfers need more requests in flight than
/// there are cores.
public enum WorkerPool {
  struct PoolState { var next = 0; var failure: Error? }

  /// Calls `body(item, worker)` for every item, `jobs` at a time; `worker` is 0..<jobs (callers
  /// keep per-thread state in an array indexed by it). After the first error no new item is
  /// started; that error is rethrown once the running ones end.
  public static func run<T: Sendable>(_ items: [T], jobs: Int, _ body: @escaping @Sendable (T, Int) throws -> Void) throws {
    if items.isEmpty { return }
    let state = Locked(PoolState())
    let group = DispatchGroup()
    let n = max(1, min(jobs, items.count))
    for w in 0..<n {
      group.enter()
      let t = Thread {
        defer { group.leave() }
        while true {
          let i: Int? = state.with { s in
            guard s.failure == nil, s.next < items.count else { return nil }
            s.next += 1
            return s.next - 1
          }
          guard let i else { return }
          do { try body(items[i], w) } catch { state.with { if $0.failure == nil { $0.failure = error } } }
        }
      }
      t.stackSize = 1 << 20
      t.start()
    }
    group.wait()
    if let e = state.get.failure { throw e }
  }
}
