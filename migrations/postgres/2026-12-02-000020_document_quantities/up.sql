-- How many originals and copies of each document the desk received (Mẫu 01's "Số lượng"),
-- as JSON: [{"index": 3, "originals": 1, "copies": 0}, …]. NULL: not recorded (online
-- filings, and every dossier before this column).
ALTER TABLE dossiers ADD COLUMN document_quantities TEXT;
