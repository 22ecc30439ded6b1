#!/usr/bin/env bash
# Fuzz smoke test: run each target (or just TARGET) for FUZZ_SECONDS (default 30) from its
# committed seeds in fuzz/seeds/<target>. Exits non-zero on the first finding (crash, panic,
# leak, timeout, OOM); the reproducer lands in fuzz/artifacts/<target>/.
# Works on a fresh machine: installs cargo-fuzz if missing; stable rustc is used with
# RUSTC_BOOTSTRAP=1 for the sanitizer flags (no nightly or rustup components needed).
#   fuzz/smoke.sh              # all targets, 30 s each
#   FUZZ_SECONDS=600 fuzz/smoke.sh suggest
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
secs="${FUZZ_SECONDS:-30}"
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "smoke.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --version 0.13.2 >&2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd "$here" && cargo fuzz list --fuzz-dir "$here" 2>/dev/null)
fi
cd "$root"
# -O: release build; fuzz/Cargo.toml's profile keeps debug assertions and overflow checks on.
# AddressSanitizer is cargo-fuzz's default sanitizer.
if [ $# -eq 0 ]; then
    cargo fuzz build -O --fuzz-dir "$here" >&2
else
    for t in "${targets[@]}"; do cargo fuzz build -O --fuzz-dir "$here" "$t" >&2; done
fi
status=0
for t in "${targets[@]}"; do
    corpus="$here/corpus/$t"
    mkdir -p "$corpus" "$here/artifacts/$t"
    echo "== $t: ${secs}s" >&2
    log="$(mktemp)"
    if ! cargo fuzz run -O --fuzz-dir "$here" "$t" "$corpus" "$here/seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$here/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "smoke.sh: FINDING in $t (see fuzz/artifacts/$t/)" >&2
        status=1
    else
        grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" | tail -n 3 >&2 || true
    fi
    rm -f "$log"
done
exit $status
