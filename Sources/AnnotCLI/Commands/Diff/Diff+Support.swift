import ArgumentParser
import Foundation
import AnnotKit
import AnnotModel

enum TextOptionsFactory {
  static func text(color: Bool) -> DiffRendering.TextOptions { DiffRendering.TextOptions(color: color) }
}

/// Writes a file the user named (relative to the directory the command started in).
func writeOutputFile(_ path: String, _ bytes: [UInt8]) throws { try Repository.writeUserFile(path, bytes) }
