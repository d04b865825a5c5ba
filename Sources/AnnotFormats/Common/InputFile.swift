import Foundation
import AnnotModel

/// An input file read by offset instead of whole: a COCO file of a million images is about a
/// gigabyte, and holding it for the whole import was a third of the import's memory. Readers
/// scan it once in chunks, remember where their elements are, and read them again a batch at a
/// time (`pread`, safe from several threads).
///
/// The file must not change while it is read: every read compares the file's size, modification
/// and change times with those it had when opened, and a difference is an error naming the file,
/// never a silent mix of two versions.
final class InputFile: @unchecked Sendable {
  // Immutable after init; pread(2) on one descriptor from several threads is safe.
  let display: String
  let size: Int
  private let fd: Int32
  private let opened: FileStat

  init(_ url: URL, display: String, limit: Int = Limits.maxInputBytes) throws(FormatError) {
    let (fd, st) = try FileAccess.openInput(url, display: display, limit: limit)
    self.fd = fd; self.display = display; size = Int(st.st_size); opened = FileStat(st)
  }
  deinit { close(fd) }

  /// The bytes of `range`, which lies inside the file.
  func read(_ range: Range<Int>) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: range.count)
    try out.withUnsafeMutableBytes { buf in try read(range.lowerBound, into: buf) }
    return out
  }

  /// Fills `buf` from `offset`.
  func read(_ offset: Int, into buf: UnsafeMutableRawBufferPointer) throws(FormatError) {
    var done = 0
    while done < buf.count {
      let n = pread(fd, buf.baseAddress! + done, buf.count - done, off_t(offset + done))
      if n < 0 && errno == EINTR { continue }
      if n < 0 { throw FormatError.invalid(file: display, place: "", message: "cannot read the file: \(String(cString: strerror(errno)))") }
      if n == 0 { throw changed() }
      done += n
    }
    var st = stat()
    guard fstat(fd, &st) == 0, FileStat(st) == opened else { throw changed() }
  }

  private func changed() -> FormatError {
    FormatError.invalid(file: display, place: "", message: "the file changed while it was being read; import it again once it is complete")
  }

  /// Reads the whole file in chunks of `chunk` bytes, in order, handing each to `body`; stops
  /// early when `body` gives false.
  func scan(chunk: Int = 4 << 20, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) throws {
    var buf = [UInt8](repeating: 0, count: min(chunk, max(size, 1)))
    var at = 0
    while at < size {
      let n = min(buf.count, size - at)
      let more = try buf.withUnsafeMutableBytes { b -> Bool in
        let part = UnsafeMutableRawBufferPointer(rebasing: b[0..<n])
        try read(at, into: part)
        return body(UnsafeBufferPointer(start: b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
      }
      guard more else { return }
      at += n
    }
  }
}
