-- Access tokens issued at or before this instant no longer authenticate the account: set when
-- it is disabled or its password is reset, so those end its access at once.
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMP;
