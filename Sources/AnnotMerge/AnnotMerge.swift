// AnnotMerge: see README.md in this folder.
