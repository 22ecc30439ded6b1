#!/usr/bin/env bash
# Idempotent setup for the peer benchmarks: Debian Presage packages and a Presage
# n-gram database built from every train/ split of the shared corpora (never eval/).
# Usage (as root, non-interactive): benches/setup.sh [--no-apt] [--kebbie]
#   --kebbie also creates the kebbie venv ($KEYWISE_CACHE/kebbie-venv; kebbie pins numpy 1.26,
#   which needs pyarrow < 20) and fills kebbie's offline common-typos cache.
# Env: KEYWISE_SHARED (default: ../shared next to the repo, else /work/shared),
#      KEYWISE_CACHE (default /work/cache).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${KEYWISE_SHARED:-}"
if [[ -z "$shared" ]]; then
    if [[ -d "$repo/../shared/corpora" ]]; then shared="$(cd "$repo/../shared" && pwd)"; else shared=/work/shared; fi
fi
cache="${KEYWISE_CACHE:-/work/cache}"
out="$cache/presage"
db="$out/train_1to3_lower.db"

apt=1 kebbie=0
for arg in "$@"; do
    case "$arg" in
        --no-apt) apt=0 ;;
        --kebbie) kebbie=1 ;;
        *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

if [[ $apt == 1 ]]; then
    if ! command -v text2ngram >/dev/null || [[ ! -e /usr/include/presage.h ]] \
        || [[ ! -e /usr/share/presage/database_en.db ]]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends \
            presage libpresage-dev libpresage1v5 libpresage-data
    fi
fi
# The report's plots (the package's `bench` extra).
if ! python3 -c "import matplotlib" 2>/dev/null; then
    python3 -m pip install -q "matplotlib>=3.8"
fi

if [[ $kebbie == 1 ]]; then
    venv="$cache/kebbie-venv"
    if [[ ! -x "$venv/bin/python" ]]; then python3 -m venv "$venv"; fi
    "$venv/bin/pip" install -q kebbie "pyarrow<20"
    "$venv/bin/python" "$repo/benches/kebbie_setup.py" --shared "$shared"
fi

mkdir -p "$out"
mapfile -t files < <(find "$shared/corpora" -path '*/train/*' -name '*.txt' -type f | sort)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "setup.sh: no train/ files under $shared/corpora" >&2
    exit 1
fi

# The stamp names the inputs (paths under $shared, and sizes): a changed corpus rebuilds.
stamp="$(for f in "${files[@]}"; do printf '%s %s\n' "${f#"$shared"/}" "$(stat -c %s "$f")"; done \
    | sha256sum | cut -c1-16)"
if [[ -s "$db" && -f "$db.stamp" && "$(cat "$db.stamp")" == "$stamp" ]]; then
    echo "setup.sh: $db is up to date"
    exit 0
fi

tmp="$db.partial"
rm -f "$tmp"
start=$(date +%s)
text2ngram -n 1 -l -f sqlite -o "$tmp" "${files[@]}"
text2ngram -n 2 -l -a -f sqlite -o "$tmp" "${files[@]}"
text2ngram -n 3 -l -a -f sqlite -o "$tmp" "${files[@]}"
mv "$tmp" "$db"
echo "$stamp" > "$db.stamp"
echo "setup.sh: built $db ($(du -h "$db" | cut -f1)) from ${#files[@]} files in $(( $(date +%s) - start ))s"
