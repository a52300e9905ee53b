-- Logins (Argon2id verification each) for the "W1 during logins" measurement.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("LOGIN_BODY")
