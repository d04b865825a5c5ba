// AnnotKit: see README.md in this folder.
