import AnnotCLI
Annot.run(arguments: Array(CommandLine.arguments.dropFirst()))
