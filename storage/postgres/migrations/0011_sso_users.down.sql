-- Single sign-on users stay, without a way to sign in.
DROP INDEX users_tenant_sso;
ALTER TABLE users
    DROP CONSTRAINT users_password_or_sso,
    DROP CONSTRAINT users_sso_identity,
    DROP COLUMN sso_subject,
    DROP COLUMN sso_issuer;
