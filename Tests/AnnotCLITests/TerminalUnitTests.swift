import Foundation
import Testing
@testable import AnnotCLI

/// The choices behind the pager and the editor, case by case (the end-to-end tests run them).
@Suite struct TerminalUnitTests {
  @Test func pagerPrecedence() {
    #expect(Pager.command(environment: [:], corePager: nil) == "less")
    #expect(Pager.command(environment: ["PAGER": "more"], corePager: nil) == "more")
    #expect(Pager.command(environment: ["PAGER": "more"], corePager: "most") == "most")
    #expect(Pager.command(environment: ["PAGER": "more", "ANNOT_PAGER": "pg"], corePager: "most") == "pg")
    #expect(Pager.command(environment: ["ANNOT_PAGER": "cat"], corePager: "most") == nil)
    #expect(Pager.command(environment: ["ANNOT_PAGER": " "], corePager: nil) == nil)
    #expect(Pager.environment([:])["LESS"] == "FRX")
    #expect(Pager.environment(["LESS": "-R"])["LESS"] == "-R")
    #expect(Pager.environment([:])["LV"] == "-c")
  }

  @Test func editorPrecedence() {
    let all = ["ANNOT_EDITOR": "a", "GIT_EDITOR": "g", "VISUAL": "v", "EDITOR": "e", "TERM": "xterm"]
    #expect(CommitMessageEditor.command(environment: all, coreEditor: "c") == "a")
    var env = all; env["ANNOT_EDITOR"] = nil
    #expect(CommitMessageEditor.command(environment: env, coreEditor: "c") == "g")
    env["GIT_EDITOR"] = nil
    #expect(CommitMessageEditor.command(environment: env, coreEditor: "c") == "c")
    #expect(CommitMessageEditor.command(environment: env, coreEditor: nil) == "v")
    env["TERM"] = "dumb"
    #expect(CommitMessageEditor.command(environment: env, coreEditor: nil) == "e", "VISUAL is for terminals that are not dumb")
    env["EDITOR"] = nil
    #expect(CommitMessageEditor.command(environment: env, coreEditor: nil) == nil)
    #expect(CommitMessageEditor.command(environment: ["TERM": "xterm"], coreEditor: nil) == "vi")
  }

  @Test func messageCleanup() {
    #expect(CommitMessageEditor.cleanup("\n\nSubject  \n\n\n\nBody\t\n# comment\n\n") == "Subject\n\nBody\n")
    #expect(CommitMessageEditor.cleanup("# all\n#comments\n \n") == "")
    #expect(CommitMessageEditor.cleanup("not # a comment\n") == "not # a comment\n")
  }

  @Test func shellOrExec() {
    let env = ["PATH": "/usr/bin:/bin"]
    #expect(Subprocess.argv(for: "sh", environment: env) == ["/usr/bin/sh"] || Subprocess.argv(for: "sh", environment: env) == ["/bin/sh"])
    #expect(Subprocess.argv(for: "less -R", environment: env) == ["/bin/sh", "-c", "less -R", "less -R"])
    #expect(Subprocess.argv(for: "vi", arguments: ["f"], environment: ["PATH": "/nonexistent"]) == nil)
    #expect(Subprocess.argv(for: "code --wait", arguments: ["f"], environment: env) == ["/bin/sh", "-c", "code --wait \"$@\"", "code --wait", "f"])
  }

  @Test func subjectAndBody() {
    let (s, b) = LogFormat.subjectAndBody("one\ntwo\n\nbody line\n")
    #expect(s == "one two")
    #expect(b == "body line\n")
    #expect(LogFormat.subjectAndBody("only").body == "")
  }
}
