-- Text is stored in Unicode NFC (precomposed). Rows written before inputs were normalised
-- are rewritten.
UPDATE units SET name = normalize(name, NFC) WHERE name IS NOT NFC NORMALIZED;
UPDATE agencies SET name = normalize(name, NFC) WHERE name IS NOT NFC NORMALIZED;
UPDATE users SET full_name = normalize(full_name, NFC) WHERE full_name IS NOT NFC NORMALIZED;
UPDATE procedure_versions SET
    name = normalize(name, NFC), field = normalize(field, NFC), agency = normalize(agency, NFC),
    processing_note = normalize(processing_note, NFC), fees = normalize(fees, NFC),
    required_documents = normalize(required_documents, NFC)
WHERE name IS NOT NFC NORMALIZED OR field IS NOT NFC NORMALIZED OR agency IS NOT NFC NORMALIZED
   OR processing_note IS NOT NFC NORMALIZED OR fees IS NOT NFC NORMALIZED
   OR required_documents IS NOT NFC NORMALIZED;
UPDATE procedure_steps SET name = normalize(name, NFC) WHERE name IS NOT NFC NORMALIZED;
UPDATE calendar_days SET name = normalize(name, NFC) WHERE name IS NOT NFC NORMALIZED;
UPDATE dossiers SET applicant_name = normalize(applicant_name, NFC)
WHERE applicant_name IS NOT NFC NORMALIZED;
UPDATE dossiers SET applicant_address = normalize(applicant_address, NFC)
WHERE applicant_address IS NOT NFC NORMALIZED;
UPDATE dossier_events SET note = normalize(note, NFC) WHERE note IS NOT NFC NORMALIZED;
