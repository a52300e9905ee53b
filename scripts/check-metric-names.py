#!/usr/bin/env python3
"""Every metric named in the Grafana dashboard and the Prometheus rules exists.

Usage: check-metric-names.py BINARY DASHBOARD.json RULES.yml... The service's metrics are the
table of `BINARY --metrics-docs` (histograms also as _bucket, _sum and _count); `up` and the
other series Prometheus itself makes are allowed too. Prints every unknown name, exits 1 if
there is one. scripts/check-deploy.sh runs it.
"""
import json
import re
import subprocess
import sys

import yaml

# Made by Prometheus, not by the service.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan"}


def exported(binary):
    docs = subprocess.run([binary, "--metrics-docs"], check=True, capture_output=True,
                          text=True).stdout
    names = set()
    for name, kind in re.findall(r"^\| `(\w+)` \| (\w+) \|", docs, re.M):
        names.add(name)
        if kind == "histogram":
            names.update(name + s for s in ("_bucket", "_sum", "_count"))
    if not names:
        sys.exit("no metrics table in --metrics-docs output")
    return names


def metric_names(expr):
    """The metric names of a PromQL expression: identifiers that are not functions, keywords,
    label names (in {...} or after by/without/on/ignoring) or Grafana variables."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings: label values, label_replace args
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\$\{?\w+\}?", "1", expr)  # $__rate_interval, ${datasource}
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors and durations
    names = set()
    for m in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", expr):
        if not m.group(2) and m.group(1) not in KEYWORDS:
            names.add(m.group(1))
    return names


def dashboard_exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from dashboard_exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from dashboard_exprs(v)


def main(binary, dashboard, *rule_files):
    known = exported(binary) | PROMETHEUS_SERIES
    used = {}
    with open(dashboard, encoding="utf-8") as f:
        for expr in dashboard_exprs(json.load(f)):
            for name in metric_names(expr):
                used.setdefault(name, dashboard)
    for path in rule_files:
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    for name in metric_names(rule["expr"]):
                        used.setdefault(name, path)
    unknown = sorted(n for n in used if n not in known)
    for name in unknown:
        print(f"{used[name]}: {name} is not a metric of the service (--metrics-docs)")
    print(f"metric names: {len(used)} used, {len(unknown)} unknown")
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
