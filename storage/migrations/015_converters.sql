-- Prompt converters (POST /scans "converters"): each scan's converter ids, comma-separated in the
-- order given (a result's plan position says which variant it is, so a resumed scan neither
-- resends nor skips one); NULL for scans made before converters existed, which had none.
ALTER TABLE scans ADD COLUMN converters TEXT;
-- Each result's variant: the converter id, and what was actually sent. Both NULL for a prompt
-- sent as written (sent_prompt would only repeat prompt).
ALTER TABLE scan_results ADD COLUMN converter TEXT;
ALTER TABLE scan_results ADD COLUMN sent_prompt TEXT;
