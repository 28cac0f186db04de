-- 0010_tenant_data_keys: the tenants' data keys, which encrypt their stored
-- files (storage/filecrypt). A key is kept wrapped: sealed by the master
-- key with the context "tenant:<id>:dek:<version>", never in the clear. A
-- tenant has several versions; the newest seals new files, older ones open
-- the files not yet re-encrypted. Retiring a version erases its key.
CREATE TABLE tenant_data_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    version      integer NOT NULL CHECK (version > 0),
    wrapped      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz,
    retired_at   timestamptz,
    PRIMARY KEY (tenant_id, version),
    CONSTRAINT tenant_data_keys_retired_erased CHECK ((retired_at IS NULL) = (wrapped IS NOT NULL))
);
