#!/usr/bin/env bash
# Word count on real processes into a real PostgreSQL, exactly once while a TaskManager is
# killed mid-run: ctest runs it under pg_virtualenv (a throwaway server with
# max_prepared_transactions set; PGHOST, PGPORT, PGUSER and PGPASSWORD in the environment, which
# every process's libpq reads). `sluice cluster local` kills the TaskManager, then judges the
# table's rows (tools/database_output.h) as it judges files; none of the sink's transactions may
# be left prepared.
#   pg_virtualenv -o max_prepared_transactions=32 tools/postgres_sink_test.sh BUILD/tools/sluice
set -uo pipefail
sluice="$1"
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-postgres-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

[[ -n "${PGHOST:-}" ]] || { echo "no PGHOST: run under pg_virtualenv"; exit 2; }
psql -q -c "CREATE TABLE counts (word text, count bigint)" || exit 2
url="postgresql://${PGUSER}@${PGHOST}:${PGPORT}/${PGDATABASE:-postgres}"

"$sluice" cluster local wordcount --taskmanagers 3 --output "$work/out" \
  --kill-taskmanager-after 2.5 --source-rate 40000 \
  -D sink.postgres.url="$url" -D sink.postgres.table=counts >"$work/log" 2>&1
status=$?
cat "$work/log"
[[ "$status" == 0 ]] || fail "cluster local exited $status"
grep -q "^killed taskmanager" "$work/log" || fail "no TaskManager was killed mid-run"
grep -q "exactly once: OK" "$work/log" || fail "the table is not word count's output exactly once"
rows="$(psql -Atc "SELECT count(*) FROM counts")"
(( rows > 0 )) || fail "the table is empty"
prepared="$(psql -Atc "SELECT count(*) FROM pg_prepared_xacts")"
[[ "$prepared" == 0 ]] || fail "$prepared transaction(s) left prepared"
committed="$(psql -Atc "SELECT count(*) FROM sluice_committed_transactions")"
echo "table counts: $rows rows from $committed committed transactions"

# sluice verify reads the database too (nothing to read in --output).
run_verify() { "$sluice" verify wordcount --input "$1" -D sink.postgres.url="$url" \
  -D sink.postgres.table=counts; }
mkdir -p "$work/empty-input"
run_verify "$work/empty-input" >"$work/verify.out" 2>&1
grep -q "exactly once: FAILED" "$work/verify.out" \
  || fail "verify against the wrong input did not fail: $(cat "$work/verify.out")"

if (( failures > 0 )); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "postgres sink checks passed"
