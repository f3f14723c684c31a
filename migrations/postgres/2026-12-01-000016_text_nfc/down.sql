-- Normalising text is not undone: NFC and NFD show the same characters.
SELECT 1;
