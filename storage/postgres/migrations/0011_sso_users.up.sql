-- 0011_sso_users: people who sign in to the review desk through OpenID
-- Connect. Their identity is the ID token's issuer and subject, unique per
-- tenant; they have no local password (password_hash is empty), so every
-- user has a password or a single sign-on identity.
ALTER TABLE users
    ADD COLUMN sso_issuer  text,
    ADD COLUMN sso_subject text,
    ADD CONSTRAINT users_sso_identity CHECK ((sso_issuer IS NULL) = (sso_subject IS NULL)),
    ADD CONSTRAINT users_password_or_sso CHECK (password_hash <> '' OR sso_subject IS NOT NULL);
CREATE UNIQUE INDEX users_tenant_sso ON users (tenant_id, sso_issuer, sso_subject) WHERE sso_subject IS NOT NULL;
