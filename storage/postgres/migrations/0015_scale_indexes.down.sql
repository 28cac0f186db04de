DROP INDEX documents_waiting_contract;
DROP INDEX review_tasks_tenant_created;
DROP INDEX documents_tenant_received;
DROP INDEX review_tasks_document;
