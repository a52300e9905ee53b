#!/usr/bin/python3
"""Reads a report as its consumers do and checks its shape (tests/report_formats_test.cpp):
   check_report.py junit FILE TESTS FAILURES ERRORS   an XML parser reads it; the counts match
   check_report.py sarif FILE RESULTS                 valid against SARIF 2.1.0's published schema
                                                      (tests/data), and the counts match
   check_report.py html FILE FINDINGS                 an HTML parser reads it; no script anywhere
Exit 0 when it holds, else 1 with the reason."""
import html.parser
import json
import os
import sys
import xml.etree.ElementTree as ET

import jsonschema

SARIF_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                            "sarif-2.1.0-rtm.5.json")


def fail(why):
    print(why)
    sys.exit(1)


def junit(path, tests, failures, errors):
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        fail("root is " + root.tag)
    suites = root.findall("testsuite")
    if len(suites) != 1:
        fail("%d testsuites" % len(suites))
    cases = suites[0].findall("testcase")
    found = (len(cases), sum(1 for c in cases if c.find("failure") is not None),
             sum(1 for c in cases if c.find("error") is not None))
    want = (int(tests), int(failures), int(errors))
    if found != want:
        fail("testcases, failures, errors: %s, expected %s" % (found, want))
    for element in (root, suites[0]):
        declared = tuple(int(element.get(k)) for k in ("tests", "failures", "errors"))
        if declared != want:
            fail("%s declares %s, expected %s" % (element.tag, declared, want))
    for c in cases:
        if not c.get("classname") or not c.get("name") or float(c.get("time")) < 0:
            fail("a testcase without classname, name or time")


def sarif(path, results):
    doc = json.load(open(path))
    schema = json.load(open(SARIF_SCHEMA))
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        fail("not valid against the SARIF 2.1.0 schema: " +
             "; ".join("%s: %s" % ("/".join(map(str, e.path)), e.message) for e in errors[:5]))
    if doc.get("version") != "2.1.0" or not isinstance(doc.get("runs"), list) or len(doc["runs"]) != 1:
        fail("not a SARIF 2.1.0 log with one run")
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    if not isinstance(driver.get("name"), str) or not driver["name"]:
        fail("the driver has no name")
    rules = [r["id"] for r in driver.get("rules", [])]
    if len(set(rules)) != len(rules):
        fail("rule ids repeat")
    if len(run["results"]) != int(results):
        fail("%d results, expected %s" % (len(run["results"]), results))
    for r in run["results"]:
        if r["ruleId"] not in rules:
            fail("result of unknown rule " + r["ruleId"])
        if r.get("level") not in ("none", "note", "warning", "error"):
            fail("bad level %r" % r.get("level"))
        if not isinstance(r.get("message", {}).get("text"), str):
            fail("a result without message.text")
        for v in r.get("partialFingerprints", {}).values():
            if not isinstance(v, str):
                fail("a fingerprint that is not a string")


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.articles = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "article":
            self.articles += 1
        for name, _ in attrs:
            if name.startswith("on"):
                fail("an event handler attribute: " + name)


def page(path, findings):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    p.close()
    if "script" in p.tags or "iframe" in p.tags or "img" in p.tags:
        fail("active content: %s" % sorted(set(p.tags) & {"script", "iframe", "img"}))
    if p.articles != int(findings):
        fail("%d findings shown, expected %s" % (p.articles, findings))
    if "svg" not in p.tags:
        fail("no chart")


kind, path, *rest = sys.argv[1:]
{"junit": junit, "sarif": sarif, "html": page}[kind](path, *rest)
print("ok")
