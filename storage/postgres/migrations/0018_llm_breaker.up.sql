-- 0018_llm_breaker: the model provider's circuit breaker, shared by the
-- worker processes of a deployment (extractors/crosscheck Breaker.State),
-- so that one process's finding of an outage holds for all, and only one
-- probe per cooldown goes to a failing provider instead of one per process.
-- One row per breaker (provider and model); the times are the processes'.
CREATE TABLE llm_breakers (
    name        text PRIMARY KEY,
    -- The end of the cooldown while the breaker is open (half-open after
    -- it); NULL while it is closed.
    open_until  timestamptz,
    -- The end of the claim of the half-open breaker's probe; NULL when no
    -- probe was claimed since the breaker last opened.
    probe_until timestamptz,
    -- When the breaker last opened or closed.
    updated_at  timestamptz NOT NULL
);
