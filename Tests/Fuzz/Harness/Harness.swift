import AnnotFuzzEntries
import CFuzzDriver
#if canImport(Glibc)
import Glibc
#endif

/// The libFuzzer harness: the target comes from ANNOT_FUZZ_TARGET (set by Scripts/fuzz.sh), the
/// command line is libFuzzer's. Built only with `-sanitize=fuzzer` (see Package.swift).
///
/// libFuzzer's own `main` (from clang_rt.fuzzer) is what runs: it calls
/// `LLVMFuzzerInitialize` once and `LLVMFuzzerTestOneInput` per input. The `@main` below only
/// satisfies SwiftPM, which wants an entry point in an executable target; should it ever be
/// the one that runs, it hands over to libFuzzer through `LLVMFuzzerRunDriver`.
nonisolated(unsafe) private var target = ""

private func chooseTarget() {
  guard let raw = getenv("ANNOT_FUZZ_TARGET"), FuzzEntries.targets.contains(String(cString: raw)) else {
    let message = "set ANNOT_FUZZ_TARGET to one of: \(FuzzEntries.targets.joined(separator: " "))\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(2)
  }
  target = String(cString: raw)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
  chooseTarget()
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  FuzzEntries.run(target, bytes)
  return 0
}

@main struct Harness {
  static func main() {
    chooseTarget()
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) })
  }
}
