#!/usr/bin/env bash
# The dashboard's browser tests (issue 22) in Debian's headless Chromium:
# installs chromium and chromium-driver when missing, runs the `browser`
# test target (feature browser-tests; it fails, never skips, without
# Chromium) and keeps a screenshot of every page it visits.
# COPY_SCREENSHOTS=1 copies them to docs/screenshots/ (DASHBOARD.md's).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq chromium chromium-driver >/dev/null \
    || { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium chromium-driver >/dev/null; }
fi
chromium --version 2>/dev/null | head -n 1
chromedriver --version | head -n 1
export FWFLEET_SCREENSHOTS="${FWFLEET_SCREENSHOTS:-$PWD/target/browser-screenshots}"
rm -rf "$FWFLEET_SCREENSHOTS"
cargo test --locked --features browser-tests --test browser
echo "screenshots in $FWFLEET_SCREENSHOTS:"
ls "$FWFLEET_SCREENSHOTS"
if [ "${COPY_SCREENSHOTS:-}" = 1 ]; then
  mkdir -p docs/screenshots
  cp "$FWFLEET_SCREENSHOTS"/*.png docs/screenshots/
fi
