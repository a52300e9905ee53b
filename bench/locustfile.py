"""Load test for the ViolentUTF API with Debian's python3-locust.

The tuning guide's example hits /api/v1/endpoint, which does not exist; this one exercises the
real routes in the proportions of the benchmark's mixed workload (W6): reads of one target,
pages of the target list, creates, and the health routes.

    build/violentutf-api &                      # or any running instance
    locust -f bench/locustfile.py -H http://127.0.0.1:8000 -u 100 -r 10 --headless -t 1m
"""
import uuid

from locust import HttpUser, between, task


class APIUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        response = self.client.post(
            "/api/v1/targets",
            json={
                "name": f"locust-{uuid.uuid4()}",
                "kind": "openai-chat",
                "endpoint_url": "http://127.0.0.1:9/v1/chat/completions",
                "model": "test",
            },
            name="/api/v1/targets [create]",
        )
        self.target_id = response.json()["id"] if response.status_code == 201 else None

    @task(1)
    def health_check(self):
        self.client.get("/api/v1/health")

    @task(7)
    def get_target(self):
        if self.target_id:
            self.client.get(f"/api/v1/targets/{self.target_id}", name="/api/v1/targets/{id}")

    @task(2)
    def list_targets(self):
        self.client.get("/api/v1/targets?page=1&per_page=20", name="/api/v1/targets?page")

    @task(1)
    def create_target(self):
        self.client.post(
            "/api/v1/targets",
            json={
                "name": f"locust-{uuid.uuid4()}",
                "kind": "openai-chat",
                "endpoint_url": "http://127.0.0.1:9/v1/chat/completions",
            },
            name="/api/v1/targets [create]",
        )
