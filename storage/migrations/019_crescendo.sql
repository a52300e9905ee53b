-- Multi-turn attacks: a crescendo probe set's goal, max_turns and attacker_target_id as JSON
-- (NULL: a single-turn set), and each result's conversation as a JSON array of {"role",
-- "content"} with the turn at which the detector fired (NULL: not a conversation, or it never
-- fired).
ALTER TABLE probe_sets ADD COLUMN attack TEXT;
ALTER TABLE scan_results ADD COLUMN transcript TEXT;
ALTER TABLE scan_results ADD COLUMN turn INTEGER;
