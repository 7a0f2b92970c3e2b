-- Discogs Keepers schema, version 1. Forward-only: later changes go in 002_…, never here.

CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,          -- sha256 of the bearer token; the token itself is never stored
  created_at TEXT NOT NULL,
  last_seen_at TEXT,
  revoked_at TEXT
);

CREATE TABLE pairing_codes (
  code_hash TEXT PRIMARY KEY,               -- sha256 of the one-time code
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  device_id INTEGER REFERENCES devices(id)
);

CREATE TABLE records (
  id INTEGER PRIMARY KEY,                   -- Discogs release id
  master_id INTEGER,
  title TEXT NOT NULL,
  release_json TEXT NOT NULL,               -- the Release (shared/schemas) as JSON
  features_json TEXT,                       -- reserved for cached encoded features (unused: encoding 1000 records takes milliseconds); cleared on update
  has_genres INTEGER NOT NULL DEFAULT 0,    -- 1 when genres or styles are known (enrichment skips those)
  sample_key REAL NOT NULL DEFAULT (abs(random()) / 9223372036854775807.0), -- uniform [0,1): pool sampling by index range
  source TEXT NOT NULL DEFAULT 'api',       -- 'page' | 'import' | 'api'
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX records_sample_key ON records(sample_key);
CREATE INDEX records_no_genres ON records(has_genres) WHERE has_genres = 0;

CREATE TABLE list_items (
  release_id INTEGER NOT NULL REFERENCES records(id),
  list_kind TEXT NOT NULL CHECK (list_kind IN ('collection', 'wantlist')),
  date_added TEXT,
  rating INTEGER,
  PRIMARY KEY (release_id, list_kind)
);

CREATE TABLE model_versions (
  version TEXT PRIMARY KEY,                 -- timestamp id, e.g. 20261126T232000123Z
  parent_version TEXT REFERENCES model_versions(version),
  created_at TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  feature_schema_version INTEGER NOT NULL,
  kind TEXT NOT NULL,                       -- 'initial' | 'online' | 'full'
  batch_number INTEGER,                     -- batch whose labels produced it (online updates)
  status TEXT NOT NULL DEFAULT 'ready',     -- 'ready' | 'rejected' (full training that evaluated worse)
  metrics_json TEXT NOT NULL DEFAULT '{}',
  artifacts_json TEXT NOT NULL,             -- ModelArtifacts without weightsBase64
  weights BLOB NOT NULL
);

-- One row: this backend serves one collector (all of their devices).
CREATE TABLE bandit_models (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  batch_count INTEGER NOT NULL DEFAULT 0,
  active_version TEXT REFERENCES model_versions(version),
  policy TEXT NOT NULL DEFAULT 'seed',
  config_json TEXT NOT NULL DEFAULT '{}',
  updated_at TEXT NOT NULL
);

CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  batch_number INTEGER NOT NULL,
  exploration_rate REAL NOT NULL,
  explore_count INTEGER NOT NULL,
  exploit_count INTEGER NOT NULL,
  policy TEXT NOT NULL,
  model_version TEXT NOT NULL REFERENCES model_versions(version),
  ab_arm TEXT,
  pool_size INTEGER NOT NULL,
  device_id INTEGER REFERENCES devices(id),
  created_at TEXT NOT NULL,
  completed_at TEXT,                        -- all picks labelled
  trained_version TEXT REFERENCES model_versions(version)
);

CREATE TABLE labels (
  id INTEGER PRIMARY KEY AUTOINCREMENT,     -- the sync cursor: strictly increasing, never reused
  client_id TEXT NOT NULL UNIQUE,
  release_id INTEGER NOT NULL REFERENCES records(id),
  keeper INTEGER NOT NULL CHECK (keeper IN (0, 1)),
  batch_id INTEGER REFERENCES batches(id),
  source TEXT NOT NULL DEFAULT 'user',      -- 'user' | 'import'
  device_id INTEGER REFERENCES devices(id),
  labelled_at TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX labels_release ON labels(release_id);

CREATE TABLE training_instances (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches(id),
  release_id INTEGER NOT NULL REFERENCES records(id),
  position INTEGER NOT NULL,
  selection_strategy TEXT NOT NULL CHECK (selection_strategy IN ('exploit', 'explore')),
  uncertainty_at_selection REAL NOT NULL,
  mean_at_selection REAL NOT NULL,
  aleatoric_at_selection REAL,
  score REAL NOT NULL,
  propensity REAL NOT NULL,
  model_version TEXT NOT NULL REFERENCES model_versions(version),
  device_id INTEGER REFERENCES devices(id),
  shown_at TEXT NOT NULL,
  label INTEGER CHECK (label IN (0, 1)),
  label_id INTEGER REFERENCES labels(id),
  labelled_at TEXT,
  UNIQUE (batch_id, release_id)
);
CREATE INDEX training_instances_release ON training_instances(release_id);

CREATE TABLE decision_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,                       -- 'batch' | 'online-update' | 'full-training' | 'rollback' | …
  data_json TEXT NOT NULL
);

CREATE TABLE import_jobs (
  fingerprint TEXT PRIMARY KEY,             -- absolute path + size + mtime
  path TEXT NOT NULL,
  as_keepers INTEGER NOT NULL DEFAULT 0,
  records_done INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,                     -- 'running' | 'done' | 'failed'
  format TEXT,
  problems INTEGER NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE api_cache (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  fetched_at TEXT NOT NULL
);
