-- A timesheet that goes to review waiting for its contract looks up, under
-- the contract key's lock, whether the contract committed meanwhile
-- (storage/postgres timesheetWaits): by tenant and contract key, among
-- committed contracts only.
CREATE INDEX documents_committed_contract ON documents
    (tenant_id, upper(translate(fields->>'contract_number', E' .-\t\u00a0\u2010\u2011\u2013', '')))
    WHERE status = 'committed' AND document_type = 'contract';
