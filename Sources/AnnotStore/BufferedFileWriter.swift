import Foundation

/// Writes a file through a 1 MiB buffer to a temporary name, then renames it into place, so that
/// saving a million-entry cache (or an export's manifest of 2M files) holds one megabyte of
/// output, not a second copy of what it writes. Failures are reported by `commit()` as `false`,
/// with nothing left behind: for a cache they only cost the next operation time; other callers
/// turn them into errors.
public struct BufferedFileWriter {
  private let path: String
  private let tmp: String
  private let fd: Int32
  private var buffer: [UInt8] = []
  private var failed = false

  public init?(path: String) {
    self.path = path
    tmp = path + ".tmp-\(getpid())"
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return nil }
    buffer.reserveCapacity(1 << 20)
  }

  public mutating func append(_ bytes: UnsafeRawBufferPointer) {
    if buffer.count + bytes.count > 1 << 20 { flush() }
    buffer.append(contentsOf: bytes)
  }
  public mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }
  public mutating func append(_ bytes: ArraySlice<UInt8>) { bytes.withUnsafeBytes { append($0) } }
  public mutating func append(_ byte: UInt8) { if buffer.count >= 1 << 20 { flush() }; buffer.append(byte) }
  public mutating func appendLE<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { append($0) } }

  /// Overwrites bytes already written at `offset` (a count in a header, known at the end).
  public mutating func patch(_ bytes: [UInt8], at offset: Int) {
    flush()
    if !failed { failed = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) } != bytes.count }
  }

  private mutating func flush() {
    var done = 0
    while !failed && done < buffer.count {
      let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { failed = true } else { done += n }
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Moves the file into place; false (and nothing left behind) if anything failed.
  public mutating func commit() -> Bool {
    flush()
    close(fd)
    if !failed && rename(tmp, path) == 0 { return true }
    unlink(tmp)
    return false
  }
}
