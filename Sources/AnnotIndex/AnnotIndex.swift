// AnnotIndex: see README.md in this folder.
