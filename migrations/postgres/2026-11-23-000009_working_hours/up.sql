-- A province's own working hours (DOMAIN §4), as its sessions in local time:
-- [{"start":"07:30","end":"11:30"},{"start":"13:30","end":"17:30"}]. Provinces without a row
-- use that default.
CREATE TABLE working_hours (
    unit_id TEXT PRIMARY KEY NOT NULL REFERENCES units(id),
    sessions TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
