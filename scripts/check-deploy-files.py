#!/usr/bin/env python3
"""Structural checks of deploy/compose.yaml and deploy/k8s/*.yaml (no cluster, no Docker).

Every file parses as YAML; every Kubernetes object has apiVersion, kind and a name; the
kustomization lists files that exist; the health paths the probes, the Dockerfile and HAProxy
call are routes of the service (http/routes/table.cpp); the ports the manifests use are the
ones the settings say. scripts/check-deploy.sh runs it from the repository root.
"""
import glob
import os
import re
import sys

import yaml

problems = []


def check(ok, message):
    if not ok:
        problems.append(message)


routes = set(re.findall(r'\{"GET", "([^"]+)"', open("http/routes/table.cpp").read()))

compose = yaml.safe_load(open("deploy/compose.yaml"))
services = compose["services"]
for name in ("postgres", "redis", "migrate", "api-1", "api-2", "nginx"):
    check(name in services, f"compose.yaml: no service {name}")
for name in ("api-1", "api-2", "migrate"):
    env = services[name].get("environment", {})
    check("REDIS_URL" in env, f"compose.yaml: {name} has no REDIS_URL (its cache would be its own)")
    check("SECRET_KEY_FILE" in env, f"compose.yaml: {name} has no SECRET_KEY_FILE")
check(services["migrate"]["command"] == ["migrate"], "compose.yaml: migrate does not run migrate")
for volume in services["nginx"]["volumes"]:
    source = volume.split(":")[0]
    check(os.path.exists(os.path.join("deploy", source)), f"compose.yaml: {source} does not exist")
for secret in compose["secrets"].values():
    check(secret["file"].startswith("./secrets/"), "compose.yaml: secrets live in deploy/secrets")

objects = {}
for path in sorted(glob.glob("deploy/k8s/*.yaml")):
    for doc in yaml.safe_load_all(open(path)):
        if os.path.basename(path) == "kustomization.yaml":
            for resource in doc["resources"]:
                check(os.path.exists(os.path.join("deploy/k8s", resource)),
                      f"kustomization.yaml: {resource} does not exist")
            continue
        for key in ("apiVersion", "kind"):
            check(key in doc, f"{path}: no {key}")
        check(doc.get("metadata", {}).get("name"), f"{path}: no metadata.name")
        objects[doc["kind"]] = doc

config = objects["ConfigMap"]["data"]
pod = objects["Deployment"]["spec"]["template"]["spec"]
container = pod["containers"][0]
ports = {p["name"]: p["containerPort"] for p in container["ports"]}
check(str(ports["http"]) == config["SERVER_PORT"], "deployment.yaml: http port is not SERVER_PORT")
check(str(ports["metrics"]) == config["METRICS_PORT"],
      "deployment.yaml: metrics port is not METRICS_PORT")
check(container["readinessProbe"]["httpGet"]["path"] == "/api/v1/ready",
      "deployment.yaml: readiness must ask /api/v1/ready")
check(container["livenessProbe"]["httpGet"]["path"] == "/api/v1/live",
      "deployment.yaml: liveness must ask /api/v1/live")
check(objects["Job"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"],
      "job-migrate.yaml: the job does not run migrate")
check(objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] ==
      objects["Deployment"]["metadata"]["name"], "hpa.yaml: scales another deployment")
check(container["resources"]["requests"].get("cpu"), "deployment.yaml: an HPA on CPU needs a CPU request")

used = set()
for doc in objects.values():
    used.update(re.findall(r"path: (/api/v1/\w+)", yaml.safe_dump(doc)))
used.update(re.findall(r"(/api/v1/\w+)", open("deploy/Dockerfile").read()))
used.update(re.findall(r"GET (/api/v1/\w+)", open("deploy/haproxy/violentutf-api.cfg").read()))
for path in sorted(used):
    check(path in routes, f"{path} (a health check in deploy/) is not a route of the service")

for p in problems:
    print("check-deploy-files:", p)
print(f"compose and k8s files: {len(objects)} objects, {len(used)} health paths, "
      f"{len(problems)} problems")
sys.exit(1 if problems else 0)
