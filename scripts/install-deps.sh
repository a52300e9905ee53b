#!/usr/bin/env bash
# Installs every Debian 12 package the service, its tests and its benchmark need.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ca-certificates curl python3
  libcaf-dev libcpp-httplib-dev libpqxx-dev libhiredis-dev prometheus-cpp-dev
  zlib1g-dev libsqlite3-dev nlohmann-json3-dev libssl-dev libargon2-dev libgtest-dev libre2-dev
  postgresql-15 redis-server clang-tidy
  clang libclang-rt-14-dev llvm lld
  file prometheus haproxy nginx-light python3-yaml python3-jsonschema
  chromium chromium-driver python3-selenium fonts-dejavu-core
)
# file: cpack -G DEB needs it to find the binaries whose libraries make the package's Depends.
# prometheus (promtool), haproxy, nginx-light and python3-yaml: scripts/check-deploy.sh
# validates the deployment files with them (none of them is started); python3-jsonschema:
# scripts/check-openapi.py.
# chromium, chromium-driver and python3-selenium: the web console's browser test
# (tests/console/console_browser_test.py) drives headless Chromium through chromedriver; a font
# so that its screenshot shows text.
# clang, its sanitizer and libFuzzer runtimes (libclang-rt-14-dev is only recommended by clang,
# and recommendations are not installed) and llvm-symbolizer: the proof jobs of scripts/test.sh.
# lld: every build links with it when it is there (CMakeLists.txt).
if [ "${1:-}" = "--bench" ]; then packages+=(wrk python3-locust); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
