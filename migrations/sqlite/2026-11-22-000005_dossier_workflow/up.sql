-- Workflow bookkeeping: the current step's deadline, supplements, payment, the new
-- appointment of an apology (Mẫu 04), and how the result went back.
ALTER TABLE dossiers ADD COLUMN step_started_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN step_due_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN supplement_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN payment_channel TEXT;
ALTER TABLE dossiers ADD COLUMN paid_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN new_appointment_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN return_channel TEXT;
ALTER TABLE dossier_events ADD COLUMN step INTEGER;
ALTER TABLE dossier_events ADD COLUMN step_due_at TIMESTAMP;
