// AnnotDiff: see README.md in this folder.
