DROP TABLE form_once;
