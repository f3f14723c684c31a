-- Dossiers, their history (the process-control slip, Mẫu 06) and the daily code sequences.
CREATE TABLE dossiers (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    procedure_version_id TEXT NOT NULL REFERENCES procedure_versions(id),
    procedure_code TEXT NOT NULL,
    -- the unit where it was filed; forever (statistics roll it into today's tree by successors)
    unit_id TEXT NOT NULL REFERENCES units(id),
    -- the unit that holds it now (changes on inter-level forwarding)
    holder_unit_id TEXT NOT NULL REFERENCES units(id),
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    -- optimistic concurrency: every transition checks and bumps it
    version INTEGER NOT NULL,
    applicant_user_id TEXT REFERENCES users(id),
    applicant_name TEXT NOT NULL,
    applicant_id_number TEXT,
    applicant_phone TEXT,
    applicant_address TEXT,
    search_text TEXT NOT NULL,
    documents TEXT NOT NULL,
    current_step INTEGER,
    assignee_id TEXT REFERENCES users(id),
    idempotency_key TEXT,
    submitted_at TIMESTAMP,
    received_at TIMESTAMP,
    due_at TIMESTAMP,
    paused_since TIMESTAMP,
    resolved_at TIMESTAMP,
    outcome TEXT,
    returned_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX dossiers_code ON dossiers(code);
CREATE UNIQUE INDEX dossiers_idempotency ON dossiers(applicant_user_id, idempotency_key);
CREATE INDEX dossiers_applicant ON dossiers(applicant_user_id);
CREATE INDEX dossiers_holder_state_due ON dossiers(holder_unit_id, state, due_at);
CREATE INDEX dossiers_unit ON dossiers(unit_id);

CREATE TABLE dossier_events (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_id TEXT REFERENCES users(id),
    actor_role TEXT NOT NULL,
    unit_id TEXT REFERENCES units(id),
    at TIMESTAMP NOT NULL,
    note TEXT,
    due_at TIMESTAMP
);
CREATE UNIQUE INDEX dossier_events_seq ON dossier_events(dossier_id, seq);

CREATE TABLE dossier_sequences (
    prefix TEXT NOT NULL,
    day DATE NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (prefix, day)
);
