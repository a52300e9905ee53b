#!/bin/sh
# Runs a test in network and mount namespaces of its own: only loopback, and /etc/resolv.conf
# naming 127.0.0.1 alone, so a test can play the DNS server without touching the machine.
# Needs root and namespaces (CI runs as root); exits 77 (ctest: skipped) otherwise.
# Usage: tests/in_netns.sh COMMAND [ARGS...]
if [ "$(id -u)" != 0 ] || ! unshare -n -m true 2>/dev/null; then
  echo "in_netns.sh: needs root and network/mount namespaces (unshare -n -m); skipped" >&2
  exit 77
fi
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
echo "nameserver 127.0.0.1" > "$conf"
unshare -n -m sh -c 'ip link set lo up && mount --bind "$0" /etc/resolv.conf && exec "$@"' "$conf" "$@"
