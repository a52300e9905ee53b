#!/usr/bin/env bash
# Checks the deployment files (deploy/, docs/deployment.md) against a built tree, in well under
# a minute: the systemd unit (systemd-analyze verify and its exposure score), the .deb
# (cpack -G DEB, then its file list), the alert rules (promtool), that every metric the
# dashboard and the rules name is one the service exports, the nginx and HAProxy configs
# (nginx -t, haproxy -c) and the compose and Kubernetes files (parsed, cross-checked). Docker
# is not run here: deploy/Dockerfile is kept correct by review.
# Usage: BUILD_DIR=build scripts/check-deploy.sh (the tree must be configured; the binary and
# the man page are built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-deploy: $*" >&2; exit 1; }
# Debian's interpreter, which has python3-yaml (scripts/install-deps.sh), whatever python3 is
# first on PATH.
py=/usr/bin/python3

cmake --build "$build" --target violentutf-api man >/dev/null
binary="$(pwd)/$build/violentutf-api"

# The unit, with ExecStart pointed at the built binary (the installed one may not exist here).
if command -v systemd-analyze >/dev/null; then
  unit="$work/violentutf-api.service"
  sed "s#/usr/bin/violentutf-api#$binary#" deploy/systemd/violentutf-api.service >"$unit"
  systemd-analyze verify --man=no "$unit" || fail "systemd-analyze verify found problems"
  # "Overall exposure level for violentutf-api.service: 1.4 OK": 0 is locked down, 10 is not.
  exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  [ -n "$exposure" ] || fail "no exposure level from systemd-analyze security"
  awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' ||
    fail "the unit's exposure level is $exposure (more than 2.0): a hardening option was lost"
  echo "systemd unit: verified, exposure level $exposure"
else
  echo "systemd unit: systemd-analyze not installed, not verified"
fi
grep -q '^RestartPreventExitStatus=2$' deploy/systemd/violentutf-api.service ||
  fail "the unit must not restart on exit status 2 (invalid settings)"

# The package: what dpkg would install.
(cd "$build" && rm -f violentutf-api_*.deb && cpack -G DEB >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$build"/violentutf-api_*.deb)
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' >"$work/contents"
for expected in \
  "-rwxr-xr-x root/root ./usr/bin/violentutf-api" \
  "-rw------- root/root ./etc/violentutf-api/env" \
  "-rw-r--r-- root/root ./usr/lib/systemd/system/violentutf-api.service" \
  "-rw-r--r-- root/root ./usr/share/man/man1/violentutf-api.1" \
  "-rwxr-xr-x root/root ./usr/bin/vutf" \
  "-rw-r--r-- root/root ./usr/share/man/man1/vutf.1" \
  "-rw-r--r-- root/root ./usr/share/doc/violentutf-api/deployment.md" \
  "-rw-r--r-- root/root ./usr/share/doc/violentutf-api/LICENSE"; do
  grep -qxF -- "$expected" "$work/contents" || { cat "$work/contents"; fail "missing: $expected"; }
done
! grep -q 'mock' "$work/contents" || fail "the mock target is a test fixture, not packaged"
dpkg-deb -f "$deb" Depends | grep -q 'libpqxx' || fail "dpkg-shlibdeps found no dependencies"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/violentutf-api/env ] ||
  fail "/etc/violentutf-api/env must be a conffile"
# The packaged binary is the built one, stripped: it runs and knows its version.
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/violentutf-api" --version | grep -qx "violentutf-api $(
  sed -n 's/^project(violentutf_api VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)" ||
  fail "the packaged binary does not report the project's version"
"$work/root/usr/bin/vutf" --version | grep -q '^vutf ' || fail "the packaged vutf does not run"
echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB), contents as expected"

# Alerts and dashboard: valid rules that fire as their tests say, and only real metric names.
if command -v promtool >/dev/null; then
  promtool check rules deploy/prometheus/alerts.yml >/dev/null
  promtool check config deploy/prometheus/scrape.yml >/dev/null
  (cd deploy/prometheus && promtool test rules alerts_test.yml >/dev/null) ||
    fail "promtool test rules deploy/prometheus/alerts_test.yml failed"
  echo "alert rules: valid, their tests pass"
else
  echo "alert rules: promtool not installed (Debian package prometheus), not checked"
fi
"$py" scripts/check-metric-names.py "$binary" deploy/grafana/violentutf-api.json \
  deploy/prometheus/alerts.yml

# Proxies. nginx -t resolves upstream names, so the instances become 127.0.0.1 in a copy, inside
# a minimal nginx.conf whose pid, logs and temp paths are in the work directory (-t binds no
# port).
if command -v nginx >/dev/null; then
  sed -E 's/\bapi-[0-9]+:8000/127.0.0.1:8000/' deploy/nginx/violentutf-api.conf >"$work/site.conf"
  cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/site.conf;
}
CONF
  nginx -t -q -p "$work" -c "$work/nginx.conf" || fail "nginx -t rejects deploy/nginx/violentutf-api.conf"
  echo "nginx: configuration valid"
else
  echo "nginx: not installed (Debian package nginx-light), not checked"
fi
if command -v haproxy >/dev/null; then
  haproxy -c -q -f deploy/haproxy/violentutf-api.cfg ||
    fail "haproxy -c rejects deploy/haproxy/violentutf-api.cfg"
  echo "haproxy: configuration valid"
else
  echo "haproxy: not installed (Debian package haproxy), not checked"
fi
"$py" scripts/check-deploy-files.py
