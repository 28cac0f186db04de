-- 0008_inbound_addresses: the hard-to-guess addresses at which a tenant
-- receives mail over SMTP (token@domain).
CREATE TABLE inbound_addresses (
    token       text PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);
CREATE INDEX inbound_addresses_tenant ON inbound_addresses (tenant_id);
