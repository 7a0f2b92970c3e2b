-- The bandit policy becomes a per-user setting with a product default (shared/bandit/learner.ts
-- DEFAULT_POLICY, `neural-ts`). `policy_chosen_at` records when the collector chose a policy
-- (`keepers policy set`, bandit.setPolicy); while it is NULL the backend runs the default, so a
-- database that never chose follows the default, and an explicit choice is never overwritten.
-- (001's column default 'seed' is never used: the row is always inserted with an explicit policy.)
ALTER TABLE bandit_models ADD COLUMN policy_chosen_at TEXT;
UPDATE bandit_models SET policy = 'neural-ts' WHERE policy_chosen_at IS NULL;
