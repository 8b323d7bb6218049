#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing (idempotent, quiet).
# ---------------------------------------------------------------------------------------------
# ADD SYSTEM PACKAGES HERE. Later issues extend this list; keep each one behind the condition
# that needs it so a checkout without, say, a frontend does not install a browser.
# ---------------------------------------------------------------------------------------------
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wanted=()

# The browser tests (Playwright driving Debian's Chromium, DESIGN.md section 3) and the fake
# camera footage they play (ffmpeg) exist only once the frontend does.
if [[ -f "$root/frontend/package.json" ]]; then
  wanted+=(chromium ffmpeg)
fi

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "ensure_system_packages: need ${missing[*]} but apt-get is not available" >&2
  exit 1
fi
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
echo "ensure_system_packages: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get -qq update
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -qq install -y --no-install-recommends \
  "${missing[@]}" >/dev/null
