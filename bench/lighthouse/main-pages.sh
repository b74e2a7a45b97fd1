#!/bin/sh
# Lighthouse on the main pages of every role (issue 21), on a synthetic academy of three 40-trainee cohorts that
# this script builds in a temporary directory and serves on 127.0.0.1 with gunicorn (two workers).
#
#   bench/lighthouse/main-pages.sh [--runs N]      from the repository root, after `npm install` in bench/lighthouse
#
# Prints one Markdown table per role (run.mjs's rows: median score, blocking time, largest paint, elements).
set -eu
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
port=5078
export ACADEMY_DATABASE_URL="sqlite:///$work/academy.db" ACADEMY_SECRET_KEY=lighthouse PROMETHEUS_MULTIPROC_DIR="$work/metrics"
flask --app app academy db upgrade >/dev/null
flask --app app academy synth --cohorts 3 --trainees 40 >/dev/null
gunicorn --workers 2 --bind "127.0.0.1:$port" --log-level warning app:app &
server=$!
trap 'kill $server; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
# The newest cohort (3), its first trainee, their mentor and a submission waiting for that mentor, the manager,
# an admin: chosen by the synthetic academy's fixed seed.
attempt=$(python3 - "$work/academy.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute(
    "SELECT a.id FROM lab_attempt a JOIN cohort_trainee ct ON ct.trainee_id = a.trainee_id JOIN user m"
    " ON m.id = ct.mentor_id WHERE ct.cohort_id = 3 AND a.status = 'submitted'"
    " AND m.email = 'synth-mentor1-2-0@example.com' ORDER BY a.id LIMIT 1").fetchone()[0])
PY
)
cd bench/lighthouse
run() { echo; echo "As $1:"; echo; node run.mjs "http://127.0.0.1:$port" academy-synth "$@"; }
run synth-trainee1-2-0@example.com /learn /modules/capacity-planning /practicum /catalogue /search /notifications \
  /meetups /account "$@"
run synth-mentor1-2-0@example.com /reviews "/reviews/$attempt" "$@"
run synth-manager1-0@example.com /cohorts /cohorts/3 /surveys "$@"
run synth-admin-1@example.com /admin/ /admin/users /admin/audit /meetups/figures /meetups/talks "$@"
