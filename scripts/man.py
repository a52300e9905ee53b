#!/usr/bin/env python3
"""Writes the violentutf-api(1) man page from the binary's own --help and --config-docs.

Usage: man.py BINARY OUTPUT. The build runs it (CMakeLists.txt, target `man`), so the page
cannot drift from the options and the settings table; `man -l build/violentutf-api.1` shows it.
"""
import re
import subprocess
import sys


def roff(text):
    """Plain text (markdown inline code removed) as a roff line: backslashes, dashes, leading
    dots and quotes escaped."""
    text = text.replace("`", "").replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def run(binary, flag):
    return subprocess.run([binary, flag], check=True, capture_output=True, text=True).stdout


def options_section(help_text):
    """SYNOPSIS, DESCRIPTION and OPTIONS from --help: the usage line, the prose paragraphs and
    the two-column option list (continuation lines are indented further)."""
    usage, _, rest = help_text.partition("\n\n")
    out = [".SH SYNOPSIS", ".B violentutf-api",
           roff(usage.removeprefix("Usage: violentutf-api ").strip()), ".SH DESCRIPTION"]
    options = []
    for paragraph in rest.strip().split("\n\n"):
        lines = paragraph.split("\n")
        if lines[0].startswith("  "):
            for line in lines:
                m = re.match(r"  (\S+)\s+(.*)", line)
                if m:
                    options += [".TP", ".B " + roff(m.group(1)), roff(m.group(2))]
                else:
                    options.append(roff(line.strip()))
        else:
            out += [roff(" ".join(lines)), ".PP"]
    return out + [".SH OPTIONS"] + options


def environment_section(config_docs):
    """ENVIRONMENT from --config-docs: its prose, then one entry per row of each table."""
    out = [".SH ENVIRONMENT"]
    for line in config_docs.split("\n"):
        if line.startswith("## "):
            out += [".SS " + roff(line[3:])]
        elif line.startswith("| `"):
            name, default, allowed, meaning = [c.strip() for c in line.strip("|").split(" | ")]
            out += [".TP", ".B " + roff(name),
                    roff(f"{meaning} Default: {default or '(empty)'}; allowed: {allowed}.")]
        elif line and not line.startswith(("#", "<!--", "|")):
            out += [roff(line), ".PP"]
    return out


def main(binary, output):
    version = run(binary, "--version").split()[-1]
    page = [f'.TH VIOLENTUTF-API 1 "" "violentutf-api {version}" "User Commands"',
            ".SH NAME", "violentutf-api \\- AI red-teaming HTTP service"]
    page += options_section(run(binary, "--help"))
    page += environment_section(run(binary, "--config-docs"))
    page += [".SH EXIT STATUS",
             "0 after a clean stop (SIGTERM, SIGINT) or a successful one-off command;",
             "1 when the database is not usable (start-up, migrate);",
             "2 when a setting is invalid or an option unknown.",
             ".SH FILES", ".TP", ".B /etc/violentutf\\-api/env",
             "Settings of the packaged systemd unit (violentutf\\-api.service).",
             ".TP", ".B /var/lib/violentutf\\-api",
             "Its working directory: the default SQLite database app.db lives here.",
             ".SH SEE ALSO",
             "/usr/share/doc/violentutf\\-api/ (deployment.md, operations.md, configuration.md)"]
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
