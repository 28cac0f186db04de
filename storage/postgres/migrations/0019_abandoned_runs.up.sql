-- A model call that fails after reading the first parts of a long document
-- has spent tokens that no outcome records: they are kept as an abandoned
-- run, counted in the tenant's monthly token budget (TokensUsedSince) but
-- not taken as the run that produced the document's fields.
ALTER TABLE extraction_runs ADD COLUMN outcome text NOT NULL DEFAULT 'used'
    CHECK (outcome IN ('used', 'abandoned'));
