DROP TABLE procedure_steps;
DROP TABLE procedure_versions;
DROP TABLE procedures;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE agencies;
DROP TABLE units;
