import Foundation
import Testing
import AnnotTestSupport
@testable import AnnotCLI

/// Commands write to `Output`, so a test can run one in process and read what it wrote; the
/// capture must equal what the built binary prints.
@Suite(.serialized) struct OutputCaptureTests {
  func inProcess(_ args: [String]) throws -> String {
    try Output.capture {
      var command = try Annot.parseAsRoot(args)
      try command.run()
    }
  }

  @Test(arguments: [["formats"], ["formats", "--json"]])
  func capturedOutputEqualsTheBinarysStdout(_ args: [String]) throws {
    let dir = try TestSupport.tempDir("capture")
    defer { try? FileManager.default.removeItem(at: dir) }
    let binary = try TestSupport.annot(args, in: dir)
    #expect(binary.status == 0)
    let captured = try inProcess(args)
    #expect(!captured.isEmpty)
    #expect(captured == binary.stdout)
  }

  @Test func captureRestoresStandardOutput() throws {
    _ = try inProcess(["formats"])
    #expect(Output.current.captured == nil)
  }
}
