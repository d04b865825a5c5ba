import ArgumentParser
import Foundation
import Testing
@testable import AnnotCLI

/// Every subcommand's help renders (ArgumentParser reports option-name collisions and bad
/// argument layouts only at run time), and Docs/CLI.md documents every command.
@Suite struct CommandTreeTests {
  static let names: [String] = Annot.configuration.subcommands.map { $0.configuration.commandName ?? $0._commandName }

  @Test(arguments: Annot.configuration.subcommands.map { ObjectIdentifier($0) })
  func helpRenders(_ id: ObjectIdentifier) throws {
    let command = Annot.configuration.subcommands.first { ObjectIdentifier($0) == id }!
    let help = Annot.helpMessage(for: command)
    #expect(help.contains("USAGE:"), "\(help)")
    #expect(!help.contains("Validation failed"))
  }

  @Test func cliReferenceListsEveryCommand() throws {
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Docs/CLI.md")
    let text = try String(contentsOf: docs, encoding: .utf8)
    for name in Self.names { #expect(text.contains("## annot \(name)"), "Docs/CLI.md lacks '## annot \(name)'") }
  }
}
