#!/usr/bin/env bash
# `baton search` beside Basic Memory's search (the PyPI package `basic-memory`, a local-first
# Markdown knowledge base with SQLite full-text search), on the same Markdown files,
# as whole processes with hyperfine. The numbers are in docs/PERFORMANCE.md, "Search beside
# Basic Memory".
#
# Basic Memory is downloaded from PyPI AT RUN TIME with pip, into a virtualenv under a temporary
# work directory; nothing from outside is committed. Its state (config.json, memory.db, log) goes
# to that work directory too (BASIC_MEMORY_CONFIG_DIR, BASIC_MEMORY_HOME), so nothing is written
# under ~/.basic-memory or ~/basic-memory. Semantic search is switched off (it would download an
# embedding model), so are its update checks and promos/analytics: no network after pip.
#
# What it does:
#   1. takes (or generates with `baton demo --sessions N`) a sessions directory D;
#   2. copies D/SESSION_HANDOFFS/*.md (10,000 Markdown handoffs of 1-2 KB at N=10,000) into a
#      Basic Memory project and indexes them (`basic-memory reindex --search`), timed;
#   3. hyperfine: startup (`--version`), baton's first search with no index (D/.baton/index
#      deleted before each run), then per query `baton --dir D search Q`,
#      `baton --dir D search --kind handoff Q` and `basic-memory tool search-notes Q`;
#   4. counts what each returns; times Basic Memory's search warm, in one Python process (the
#      case of its MCP server), and sqlite3 alone on its FTS5 table; prints a summary table.
#
# Usage: benches/basic_memory.sh [BATON_BIN [DIR]]
#   BATON_BIN  default: target/release/baton (build it first: cargo build --release)
#   DIR        a directory made by `baton demo --sessions N`; default: generate one
# Environment: SESSIONS (10000) when generating, WORK (a new temp dir; kept, printed at the end),
#   PYTHON (first of python3.13, python3.12, python3, pyenv's 3.12+ that is >= 3.12: Basic
#   Memory needs 3.12+),
#   BM_VERSION (0.23.2: the newest that resolves from the registry this was written on; set it
#   empty for the newest), RUNS (20), WARMUP (3). Needs hyperfine; sqlite3 optional.
# Takes about 2 hours at 10,000 sessions on 2 shared cores: Basic Memory indexed the 10,000
# handoffs in 71 minutes, and its CLI takes ~10 s a search (each hyperfine run of it ~4 minutes).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BATON=${1:-$ROOT/target/release/baton}
DIR=${2:-}
SESSIONS=${SESSIONS:-10000}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
BM_VERSION=${BM_VERSION-0.23.2}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/baton-bm-bench.XXXXXX")}
mkdir -p "$WORK"
OUT="$WORK/results"
mkdir -p "$OUT"

command -v hyperfine >/dev/null || { echo "basic_memory.sh: hyperfine is required" >&2; exit 2; }
[ -x "$BATON" ] || { echo "basic_memory.sh: no baton binary at $BATON" >&2; exit 2; }
BATON=$(cd "$(dirname "$BATON")" && pwd)/$(basename "$BATON")

if [ -z "${PYTHON:-}" ]; then
    # pyenv's shims for versions that aren't selected fail; try its installs directly too.
    for p in python3.13 python3.12 python3 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
        if command -v "$p" >/dev/null && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            PYTHON=$p
            break
        fi
    done
fi
[ -n "${PYTHON:-}" ] || { echo "basic_memory.sh: Basic Memory needs Python >= 3.12" >&2; exit 2; }

log() { printf '\n== %s (%s; load: %s)\n' "$*" "$(date +%H:%M:%S)" "$(uptime | sed 's/.*load average: //')"; }

# 1. The sessions directory.
if [ -z "$DIR" ]; then
    log "generating $SESSIONS sessions"
    # `demo` then fails to open the dashboard without a terminal: expected.
    DIR=$("$BATON" demo --sessions "$SESSIONS" </dev/null 2>&1 >/dev/null \
        | sed -n 's/^baton: generated [0-9]* sessions in //p' || true)
fi
[ -d "$DIR/SESSION_HANDOFFS" ] || { echo "basic_memory.sh: $DIR has no SESSION_HANDOFFS/" >&2; exit 2; }
DIR=$(cd "$DIR" && pwd)
echo "sessions directory: $DIR ($(find "$DIR/SESSION_HANDOFFS" -name '*.md' | wc -l) handoffs)"

# 2. Basic Memory, from PyPI, in a virtualenv under $WORK.
VENV="$WORK/venv"
if [ ! -x "$VENV/bin/basic-memory" ]; then
    log "installing basic-memory${BM_VERSION:+==$BM_VERSION} with $PYTHON into $VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "basic-memory${BM_VERSION:+==$BM_VERSION}"
fi
BM="$VENV/bin/basic-memory"

export BASIC_MEMORY_CONFIG_DIR="$WORK/bm-config"     # config.json, memory.db, basic-memory.log
export BASIC_MEMORY_HOME="$WORK/bm-main"             # its default project "main", left empty
export BASIC_MEMORY_SEMANTIC_SEARCH_ENABLED=false    # text (FTS5) search only: no model download
export BASIC_MEMORY_AUTO_UPDATE=false
export BASIC_MEMORY_NO_PROMOS=1                      # also switches its CLI analytics off
NOTES="$WORK/bm-notes"

{
    echo "baton: $("$BATON" --version) ($BATON, sha256 $(sha256sum "$BATON" | cut -c1-16))"
    echo "basic-memory: $("$BM" --version 2>/dev/null | sed 's/.*version: //')"
    echo "python: $("$VENV/bin/python" --version)"
    echo "hyperfine: $(hyperfine --version)"
    echo "machine: $(nproc) cores, $(uname -sr)"
} | tee "$OUT/versions.txt"

if [ ! -f "$BASIC_MEMORY_CONFIG_DIR/memory.db" ]; then
    log "copying the handoffs and indexing them with Basic Memory"
    rm -rf "$NOTES"
    mkdir -p "$NOTES"
    cp "$DIR"/SESSION_HANDOFFS/*.md "$NOTES"/
    TIMEFORMAT='%R s'
    { time "$BM" project add handoffs "$NOTES" --default >/dev/null 2>&1; } 2>"$OUT/bm-project-add.txt"
    # A fresh database: the default (incremental) pass indexes every file. It also writes a
    # frontmatter block into each copied file (ensure_frontmatter_on_sync, on by default).
    { time "$BM" reindex --search -p handoffs >"$OUT/bm-reindex.log" 2>&1; } 2>"$OUT/bm-index-time.txt"
    echo "basic-memory project add: $(cat "$OUT/bm-project-add.txt")"
    echo "basic-memory reindex --search (all files, fresh database): $(cat "$OUT/bm-index-time.txt")"
    tail -n 4 "$OUT/bm-reindex.log"
    # The same again with nothing changed: its up-to-date pass.
    { time "$BM" reindex --search -p handoffs >"$OUT/bm-reindex2.log" 2>&1; } 2>"$OUT/bm-index2-time.txt"
    echo "basic-memory reindex --search (nothing changed): $(cat "$OUT/bm-index2-time.txt")"
fi

# 3. Startup.
log "startup"
hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$OUT/startup.md" --export-json "$OUT/startup.json" \
    "$BATON --version" "$BM --version"

# baton's first search with no index: builds it from all covered files (not only handoffs).
log "baton: first search, index built from nothing"
hyperfine -N -r 5 --prepare "rm -rf $DIR/.baton/index" \
    --export-markdown "$OUT/baton-cold.md" --export-json "$OUT/baton-cold.json" \
    "$BATON --dir $DIR search pagination"
"$BATON" --dir "$DIR" search pagination >/dev/null   # leave the index current

QUERIES=(pagination redis the zzzznotfound '"keyset cursors"')
slug() { echo "$1" | tr -c 'a-z0-9\n' '_' | sed 's/^_*//; s/_*$//'; }

# 4. Match counts: baton's "total", Basic Memory's "total" (its CLI shows 10 a page by default),
#    and grep -ril over the handoffs for reference.
log "match counts"
{
    printf '| query | baton (all kinds) | baton --kind handoff | basic-memory | grep -ril handoffs |\n|---|---|---|---|---|\n'
    for q in "${QUERIES[@]}"; do
        b=$("$BATON" --dir "$DIR" search --format json "$q" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["total"])')
        h=$("$BATON" --dir "$DIR" search --kind handoff --format json "$q" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["total"])')
        m=$("$BM" tool search-notes "$q" --json --page-size 1 2>/dev/null | "$VENV/bin/python" -c 'import json,sys; d=json.load(sys.stdin); print(d["total"] if d.get("total_is_exact", True) else f"~{d['total']}")')
        g=$(grep -ril -- "${q//\"/}" "$NOTES" | wc -l || true)
        printf '| `%s` | %s | %s | %s | %s |\n' "$q" "$b" "$h" "$m" "$g"
    done
} | tee "$OUT/counts.md"

# 5. Search, whole processes, indexes current. Basic Memory's output is JSON when piped (hyperfine
#    discards it); baton's is text.
for q in "${QUERIES[@]}"; do
    s=$(slug "$q")
    log "search $q"
    hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$OUT/search-$s.md" --export-json "$OUT/search-$s.json" \
        -n "baton" "$BATON --dir $DIR search $q" \
        -n "baton --kind handoff" "$BATON --dir $DIR search --kind handoff $q" \
        -n "basic-memory" "$BM tool search-notes $q"
done

# Basic Memory as a resident process (the case of its MCP server): its search_notes tool called in
# one Python process, a first call (database and app set up) then RUNS warm calls; no process
# start, no imports timed.
log "basic-memory: warm, in one process"
LOGFIRE_IGNORE_NO_CONFIG=1 "$VENV/bin/python" - "$OUT/bm-warm.json" "$RUNS" "${QUERIES[@]}" <<'PY' | tee "$OUT/bm-warm.md"
import asyncio, json, statistics, sys, time
from loguru import logger
logger.remove()  # its CLI logs to a file, not to stderr: keep logging out of the timing
from basic_memory.mcp.tools import search_notes

async def main(path, runs, queries):
    print("| query | first call | warm mean | warm min | total |\n|---|---|---|---|---|")
    out = {}
    for q in queries:
        times = []
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            r = await search_notes(query=q, output_format="json", page_size=10)
            times.append(time.perf_counter() - t0)
        first, warm = times[0], times[1:]
        out[q] = {"first": first, "mean": statistics.mean(warm), "min": min(warm), "total": r["total"]}
        print(f"| `{q}` | {first * 1000:.1f} ms | {statistics.mean(warm) * 1000:.1f} ms | {min(warm) * 1000:.1f} ms | {r['total']} |")
    json.dump(out, open(path, "w"), indent=1)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
PY

# The engine under Basic Memory's search alone: sqlite3's own CLI, the top 10 by bm25 from its
# FTS5 table, no Python. A reference for where Basic Memory's time goes, not its tool.
if command -v sqlite3 >/dev/null; then
    log "sqlite3 FTS5 reference"
    args=()
    for q in "${QUERIES[@]}"; do
        s=$(slug "$q")
        printf "SELECT permalink FROM search_index WHERE search_index MATCH '%s' AND type = 'entity' ORDER BY bm25(search_index) LIMIT 10;\n" \
            "$q" >"$WORK/fts-$s.sql"
        args+=(-n "sqlite3 $q" "sqlite3 -readonly $BASIC_MEMORY_CONFIG_DIR/memory.db \".read $WORK/fts-$s.sql\"")
    done
    hyperfine -N -w "$WARMUP" -r "$RUNS" --export-markdown "$OUT/sqlite3-fts.md" --export-json "$OUT/sqlite3-fts.json" "${args[@]}"
fi

# Summary: means, and Basic Memory / baton.
log "summary"
"$VENV/bin/python" - "$OUT" "${QUERIES[@]}" <<'PY' | tee "$OUT/summary.md"
import json, re, sys
out, queries = sys.argv[1], sys.argv[2:]
slug = lambda q: re.sub(r"^_+|_+$", "", re.sub(r"[^a-z0-9]", "_", q))
ms = lambda r: f"{r['mean'] * 1000:.1f} ms" if r["mean"] < 1 else f"{r['mean']:.2f} s"
warm = json.load(open(f"{out}/bm-warm.json"))
print("| query | baton | baton --kind handoff | basic-memory | bm / baton | bm / baton --kind handoff | basic-memory warm, in process |")
print("|---|---|---|---|---|---|---|")
for q in queries:
    res = {r["command"]: r for r in json.load(open(f"{out}/search-{slug(q)}.json"))["results"]}
    b, h, m = res["baton"], res["baton --kind handoff"], res["basic-memory"]
    print(f"| `{q}` | {ms(b)} | {ms(h)} | {ms(m)} | {m['mean'] / b['mean']:.0f}x | {m['mean'] / h['mean']:.0f}x | {ms(warm[q])} |")
PY
echo
echo "results in $OUT (hyperfine markdown and JSON); work directory $WORK (venv, Basic Memory's state); remove it when done"
