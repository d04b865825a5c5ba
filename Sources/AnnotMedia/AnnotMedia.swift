// AnnotMedia: see README.md in this folder.
