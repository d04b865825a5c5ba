// The on-disk schema and its migrations. `PRAGMA user_version` holds the schema version;
// `PRAGMA application_id` marks the file as an annot index.

enum IndexSchema {
  /// 'annt' in ASCII: tells our files from other SQLite databases.
  static let applicationID: Int64 = 0x616e_6e74
  /// The newest schema this build writes and reads.
  static let version = 2

  /// Migrations by target version: `steps[v - 1]` upgrades a version v-1 database to v.
  /// Add a step here (never edit an old one) when the schema changes.
  static let steps: [String] = [
    // v1
    """
    CREATE TABLE docs(
      id INTEGER PRIMARY KEY,
      blob BLOB NOT NULL UNIQUE,          -- git blob id of labels/<path>.json (raw bytes)
      path TEXT NOT NULL,                 -- image.path inside the document
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      media_type TEXT NOT NULL,
      split TEXT,
      source_id TEXT,
      attrs TEXT,                         -- image attributes, canonical JSON object, NULL if none
      annotation_count INTEGER NOT NULL
    );
    CREATE TABLE anns(
      id INTEGER PRIMARY KEY,
      doc INTEGER NOT NULL,               -- docs.id
      ann_id TEXT NOT NULL,
      label TEXT NOT NULL,
      kind TEXT NOT NULL,
      x REAL, y REAL, w REAL, h REAL,     -- bounding box; NULL for tags
      area REAL NOT NULL,
      score REAL,
      aspect REAL,                        -- w / h; NULL without a box or when h = 0
      attrs TEXT,                         -- canonical JSON object, NULL if none
      grp INTEGER,
      z_order INTEGER,
      crowd INTEGER NOT NULL
    );
    CREATE INDEX anns_doc ON anns(doc);
    -- doc is included so label scans and GROUP BY label check membership without table lookups
    CREATE INDEX anns_label_area ON anns(label, area, doc);
    CREATE TABLE revs(
      id INTEGER PRIMARY KEY,
      commit_id BLOB NOT NULL UNIQUE,
      parent BLOB,                        -- commit this revision was derived from, if any
      base INTEGER NOT NULL,              -- snapshot revision (= id for a snapshot)
      images INTEGER NOT NULL,            -- number of documents in the revision
      delta_rows INTEGER NOT NULL,        -- rows in rev_paths for this revision
      manifest TEXT                       -- canonical annot.json of the revision
    );
    -- Snapshot revisions list every path; delta revisions list the paths that differ from their
    -- snapshot (doc NULL = removed). Membership = delta ∪ (snapshot − paths in delta).
    CREATE TABLE rev_paths(
      rev INTEGER NOT NULL,
      path TEXT NOT NULL,
      doc INTEGER,
      PRIMARY KEY(rev, path)
    ) WITHOUT ROWID;
    CREATE INDEX rev_paths_doc ON rev_paths(doc, rev);
    """,
    // v2: narrower annotation rows, for a faster build and faster broad filters. Labels, kinds and
    // attribute objects are integer codes into small tables; a document's annotations have
    // consecutive ids (so no anns(doc) index); a snapshot stores its documents as a bitmap
    // (membership without a lookup per row); a document row is a document at a path. The index
    // is a cache, so v1 data is dropped, not converted: each revision is indexed again on its
    // next query.
    """
    DROP TABLE rev_paths; DROP TABLE revs; DROP TABLE anns; DROP TABLE docs;
    CREATE TABLE docs(
      id INTEGER PRIMARY KEY,
      blob BLOB NOT NULL,                 -- git blob id of labels/<path>.json (raw bytes)
      -- The dataset path the document is listed at, equal to its image.path in a valid
      -- repository. A blob listed at another path (plain git copies) gets a row of its own there,
      -- so a revision's documents and its paths correspond one to one.
      path TEXT NOT NULL,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      media_type TEXT NOT NULL,
      split TEXT,
      source_id TEXT,
      attrs TEXT,                         -- image attributes, canonical JSON object, NULL if none
      annotation_count INTEGER NOT NULL,
      first_ann INTEGER NOT NULL,         -- its annotations are anns.id first_ann ..< first_ann + annotation_count
      UNIQUE(blob, path)
    );
    CREATE TABLE labels(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE kinds(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE attr_sets(id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);  -- canonical JSON objects
    CREATE TABLE anns(
      id INTEGER PRIMARY KEY,
      doc INTEGER NOT NULL,               -- docs.id
      ann_id TEXT NOT NULL,
      label INTEGER NOT NULL,             -- labels.id
      kind INTEGER NOT NULL,              -- kinds.id
      x REAL, y REAL, w REAL, h REAL,     -- bounding box; NULL for tags
      area REAL NOT NULL,
      score REAL,
      attrs INTEGER,                      -- attr_sets.id, NULL if none
      grp INTEGER,
      z_order INTEGER,
      crowd INTEGER NOT NULL
    );
    -- Label filters, attribute and area tests on them, and GROUP BY label read this index only.
    -- doc before area: the table is in doc order, so each label's entries arrive sorted and
    -- building the index (once, after a bulk load) costs ~40% less than with (label, area, …);
    -- a label-and-area filter then scans the label's entries instead of a range (~9 ms per 100k).
    CREATE INDEX anns_label ON anns(label, doc, area, attrs);
    CREATE TABLE revs(
      id INTEGER PRIMARY KEY,
      commit_id BLOB NOT NULL UNIQUE,
      parent BLOB,                        -- commit this revision was derived from, if any
      base INTEGER NOT NULL,              -- snapshot revision (= id for a snapshot)
      images INTEGER NOT NULL,            -- number of documents in the revision
      delta_rows INTEGER NOT NULL,        -- rows in rev_paths for this revision
      manifest TEXT,                      -- canonical annot.json of the revision
      members BLOB                        -- snapshots: bit d % 8 of byte d / 8 set for each docs.id d (NULL: none); deltas: NULL
    );
    -- Snapshot revisions list every path; delta revisions list the paths that differ from their
    -- snapshot (doc NULL = removed). Membership = delta ∪ (snapshot − paths in delta).
    CREATE TABLE rev_paths(
      rev INTEGER NOT NULL,
      path TEXT NOT NULL,
      doc INTEGER,
      PRIMARY KEY(rev, path)
    ) WITHOUT ROWID;
    """,
  ]
}
