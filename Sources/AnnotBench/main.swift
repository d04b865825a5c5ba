import Foundation
import AnnotKit

// annot-bench: query latency inside one process. `annot query` timed by hyperfine includes
// process start-up, opening the repository and the index, and printing; this times only the
// query call, on an index opened once, after warm-up runs.
//
// usage: annot-bench REPO [--rev REV] [--runs N] [--warmup N] [--markdown] -- MODE:FILTER ...
//   MODE is count, images or annotations; prints one line per filter: p50, mean, min (ms).

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("annot-bench: \(message)\n".utf8))
  exit(2)
}

struct Options {
  var repo = ""
  var rev = "HEAD"
  var runs = 30
  var warmup = 3
  var markdown = false
  var filters: [String] = []
}

func parseOptions(_ arguments: [String]) -> Options {
  var args = arguments
  guard let sep = args.firstIndex(of: "--"), sep >= 1 else {
    fail("usage: annot-bench REPO [--rev REV] [--runs N] [--warmup N] [--markdown] -- MODE:FILTER ...")
  }
  var o = Options()
  o.filters = Array(args[(sep + 1)...])
  args = Array(args[..<sep])
  o.repo = args.removeFirst()
  func value(_ option: String) -> String {
    guard !args.isEmpty else { fail("\(option) needs a value") }
    return args.removeFirst()
  }
  func number(_ option: String) -> Int {
    guard let n = Int(value(option)) else { fail("\(option) needs a number") }
    return n
  }
  while let a = args.first {
    args.removeFirst()
    switch a {
    case "--rev": o.rev = value(a)
    case "--runs": o.runs = number(a)
    case "--warmup": o.warmup = number(a)
    case "--markdown": o.markdown = true
    default: fail("unknown option \(a)")
    }
  }
  return o
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

let o = parseOptions(Array(CommandLine.arguments.dropFirst()))
let (rev, runs, warmup, markdown, filters) = (o.rev, o.runs, o.warmup, o.markdown, o.filters)
do {
  let repo = try Repository.discover(from: o.repo)
  let t0 = now()
  let session = try repo.openQuerySession(revision: rev)
  let openMs = Double(now() - t0) / 1e6
  if markdown {
    print("| query (in process, \(runs) runs after \(warmup) warm-up) | mode | matches | p50 ms | mean ms | min ms |")
    print("|---|---|---|---|---|---|")
  } else {
    print(String(format: "index open + revision check: %.1f ms", openMs))
  }
  for spec in filters {
    guard let colon = spec.firstIndex(of: ":"), let mode = QueryMode(rawValue: String(spec[..<colon])) else {
      fail("expected MODE:FILTER (count, images or annotations), got \(spec)")
    }
    let filter = String(spec[spec.index(after: colon)...])
    var outcome = try session.query(filter, mode: mode)
    for _ in 0..<max(0, warmup - 1) { outcome = try session.query(filter, mode: mode) }
    var times: [Double] = []
    for _ in 0..<max(1, runs) {
      let t = now()
      outcome = try session.query(filter, mode: mode)
      times.append(Double(now() - t) / 1e6)
    }
    times.sort()
    let p50 = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    let mean = times.reduce(0, +) / Double(times.count)
    let matches = mode == .images ? "\(outcome.imageCount) images" : "\(outcome.annotationCount) annotations, \(outcome.imageCount) images"
    if markdown {
      print(String(format: "| `%@` | %@ | %@ | %.1f | %.1f | %.1f |", filter, mode.rawValue, matches, p50, mean, times[0]))
    } else {
      print(String(format: "%@ [%@]: p50 %.1f ms, mean %.1f ms, min %.1f ms (%@)", filter, mode.rawValue, p50, mean, times[0], matches))
    }
  }
} catch {
  fail("\(error)")
}
