-- A scan's gate (POST /scans "fail_on"): {"severity", "max_attack_success_rate"} as JSON; NULL:
-- no gate. The verdict (pass/fail) is derived from the scan's counts when it is read.
ALTER TABLE scans ADD COLUMN fail_on TEXT;
