#!/usr/bin/env bash
# Installs everything the tests need and runs them all: Rust (fmt, clippy, cargo test) and
# Python (pytest, including the browser end-to-end tests when Chromium is present).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v chromium >/dev/null; then
  echo "== apt: chromium (for the browser end-to-end tests)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || echo "chromium unavailable: e2e tests will skip"
fi

echo "== pip install -e '.[test,e2e]'"
python3 -m pip install -q --upgrade pip maturin >/dev/null
python3 -m pip install -q -e '.[test,e2e]'

echo "== cargo fmt / clippy / test"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
cargo test -p keywise-core -q

echo "== pytest"
python3 -m pytest -q "$@"
