import AnnotFuzzEntries
#if canImport(Glibc)
import Glibc
#endif

/// The target this process fuzzes, from ANNOT_FUZZ_TARGET (set by Scripts/fuzz.sh).
nonisolated(unsafe) private var target: String = ""

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
  guard let raw = getenv("ANNOT_FUZZ_TARGET"), FuzzEntries.targets.contains(String(cString: raw)) else {
    fputs("set ANNOT_FUZZ_TARGET to one of: \(FuzzEntries.targets.joined(separator: " "))\n", stderr)
    exit(2)
  }
  target = String(cString: raw)
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  FuzzEntries.run(target, bytes)
  return 0
}
