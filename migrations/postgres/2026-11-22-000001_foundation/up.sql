-- Units, agencies, accounts, refresh tokens and the procedure catalogue (PostgreSQL).
-- Kept column-for-column in step with migrations/sqlite (a test compares them).

CREATE TABLE units (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    search_text TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT REFERENCES units(id),
    -- '/<root id>/…/<own id>/': the subtree of u is every path in [u.path, u.path with its last '/' as '0')
    path TEXT COLLATE "C" NOT NULL,
    depth INTEGER NOT NULL,
    agency_code TEXT,
    valid_from DATE NOT NULL,
    valid_to DATE,
    successor_id TEXT REFERENCES units(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX units_code_valid_from ON units(code, valid_from);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_path ON units(path);

CREATE TABLE agencies (
    id TEXT PRIMARY KEY NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX agencies_code ON agencies(code);
CREATE INDEX agencies_unit ON agencies(unit_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id TEXT REFERENCES units(id),
    full_name TEXT NOT NULL,
    search_text TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    citizen_id TEXT,
    tax_code TEXT,
    phone TEXT,
    email TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_username ON users(username);
CREATE UNIQUE INDEX users_citizen_id ON users(citizen_id);
CREATE UNIQUE INDEX users_tax_code ON users(tax_code);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens(token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

CREATE TABLE procedures (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    current_version_id TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX procedures_code ON procedures(code);

CREATE TABLE procedure_versions (
    id TEXT PRIMARY KEY NOT NULL,
    procedure_id TEXT NOT NULL REFERENCES procedures(id),
    version INTEGER NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    field_key TEXT NOT NULL,
    -- ',commune,province,' so that one level is matched with LIKE '%,commune,%'
    levels TEXT NOT NULL,
    agency TEXT NOT NULL,
    processing_days DOUBLE PRECISION,
    time_unit TEXT NOT NULL,
    channel_days TEXT NOT NULL,
    processing_note TEXT,
    fees TEXT NOT NULL,
    required_documents TEXT NOT NULL,
    online_level TEXT NOT NULL,
    supplement_policy TEXT NOT NULL,
    search_text TEXT NOT NULL,
    source TEXT,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX procedure_versions_number ON procedure_versions(procedure_id, version);

CREATE TABLE procedure_steps (
    id TEXT PRIMARY KEY NOT NULL,
    version_id TEXT NOT NULL REFERENCES procedure_versions(id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_level TEXT NOT NULL,
    share_percent INTEGER NOT NULL
);
CREATE UNIQUE INDEX procedure_steps_position ON procedure_steps(version_id, position);
