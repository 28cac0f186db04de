DROP TRIGGER document_counts_truncate ON documents;
DROP TRIGGER document_counts_update ON documents;
DROP TRIGGER document_counts_delete ON documents;
DROP TRIGGER document_counts_insert ON documents;
DROP FUNCTION document_counts_truncated();
DROP FUNCTION document_counts_deleted();
DROP FUNCTION document_counts_rows();
DROP FUNCTION document_counts_inserted();
DROP TABLE document_counts;
