-- Text is stored in Unicode NFC (precomposed). Rows written before inputs were normalised
-- are rewritten; `nfc()` is registered by motcua on the connection that runs migrations.
UPDATE units SET name = nfc(name) WHERE name <> nfc(name);
UPDATE agencies SET name = nfc(name) WHERE name <> nfc(name);
UPDATE users SET full_name = nfc(full_name) WHERE full_name <> nfc(full_name);
UPDATE procedure_versions SET
    name = nfc(name), field = nfc(field), agency = nfc(agency),
    processing_note = nfc(processing_note), fees = nfc(fees),
    required_documents = nfc(required_documents)
WHERE name <> nfc(name) OR field <> nfc(field) OR agency <> nfc(agency)
   OR processing_note <> nfc(processing_note) OR fees <> nfc(fees)
   OR required_documents <> nfc(required_documents);
UPDATE procedure_steps SET name = nfc(name) WHERE name <> nfc(name);
UPDATE calendar_days SET name = nfc(name) WHERE name <> nfc(name);
UPDATE dossiers SET applicant_name = nfc(applicant_name) WHERE applicant_name <> nfc(applicant_name);
UPDATE dossiers SET applicant_address = nfc(applicant_address)
WHERE applicant_address <> nfc(applicant_address);
UPDATE dossier_events SET note = nfc(note) WHERE note <> nfc(note);
