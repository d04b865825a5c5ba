// AnnotStore: see README.md in this folder.
