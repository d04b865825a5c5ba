// AnnotFormats: see README.md in this folder.
