#!/usr/bin/env bash
# Put promtool (from Debian's prometheus package) at .tools/bin/promtool without installing the
# Prometheus daemon: apt-get download + dpkg-deb -x (DESIGN.md section 5). Idempotent and quiet.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/bin/promtool"
[[ -x "$dest" ]] && exit 0

if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "install_promtool: apt-get/dpkg-deb not found; promtool tests will be skipped" >&2
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
# The sandbox user cannot write to a private temp dir when we run as root.
download() { apt-get -qq -o APT::Sandbox::User=root download prometheus >/dev/null; }
if ! download 2>/dev/null; then
  echo "install_promtool: refreshing the package lists (apt-get update)" >&2
  apt-get -qq update >/dev/null
  download
fi
dpkg-deb -x prometheus_*.deb extracted
mkdir -p "$(dirname "$dest")"
install -m 0755 extracted/usr/bin/promtool "$dest"
echo "install_promtool: $("$dest" --version 2>&1 | head -n 1) -> ${dest#"$root"/}"
