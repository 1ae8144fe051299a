#!/usr/bin/env bash
# Regenerates assets/demo/, the history `baton demo` ships, by driving the real binary.
#
# The story: Rota, a small SaaS for shift scheduling at clinics (FastAPI + PostgreSQL API,
# React dashboard, arq worker for SMS reminders), built by two developers with AI sessions
# from 2025-11-03 to 2025-11-21. Every session is run with `baton start/log/end`, the clock
# pinned per command with BATON_NOW. A throwaway git repository beside the sessions
# directory gets commits dated inside the sessions, so `end` records them (CODE_CHANGES.log,
# files_modified) exactly as it would in a real project. What people write by hand in the
# seed's workflow is written by hand here too: the kickoff handoff, the first knowledge base,
# two edits of its architecture_state, SERVICES.json and a few `echo >>` log lines.
#
# Usage: scripts/make-demo.sh            (needs cargo, git, jq and GNU date)
# Output is deterministic: running it twice gives the same files.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/assets/demo"
for tool in cargo git jq date; do
    command -v "$tool" >/dev/null || { echo "make-demo: $tool is required" >&2; exit 2; }
done

cargo build --quiet --manifest-path "$ROOT/Cargo.toml" --bin baton
BATON="$ROOT/target/debug/baton"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/baton-make-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PROJ="$WORK/rota"
DIR="$PROJ/docs/sessions"
mkdir -p "$PROJ"

# Nothing from the user's environment may leak into the history.
unset BATON_DIR BATON_SESSION BATON_NOW
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
git -C "$PROJ" init -q -b main

DAY=""
SID=""
day() { DAY=$1; }
stamp() { echo "${DAY}T$1:00Z"; }

# b HH:MM ARGS...: baton on the demo directory, its clock at DAY HH:MM.
b() {
    local t=$1
    shift
    BATON_NOW=$(stamp "$t") "$BATON" --dir "$DIR" "$@"
}
# s HH:MM ARGS...: the same, aimed at the current session ($SID).
s() {
    local t=$1
    shift
    b "$t" --session "$SID" "$@" >/dev/null
}
# begin HH:MM GOAL [--template T]: starts a session and makes it current.
begin() {
    local t=$1 goal=$2
    shift 2
    SID=$(b "$t" start --quiet --goal "$goal" "$@")
}
# finish HH:MM ARGS...: ends the current session.
finish() {
    local t=$1
    shift
    b "$t" --session "$SID" end "$@" >/dev/null
}

MAYA=("Maya Chen" "maya@rota.example")
TOMAS=("Tomás Ruiz" "tomas@rota.example")
# commit HH:MM WHO "subject" FILE...: one commit at DAY HH:MM touching FILEs.
commit() {
    local t=$1 who=$2 subject=$3
    shift 3
    local name email
    if [[ $who == maya ]]; then name=${MAYA[0]} email=${MAYA[1]}; else name=${TOMAS[0]} email=${TOMAS[1]}; fi
    local f
    for f in "$@"; do
        mkdir -p "$PROJ/$(dirname "$f")"
        printf '# %s\n' "$subject" >>"$PROJ/$f"
    done
    local when
    when="$(date -u -d "$(stamp "$t")" +%s) +0000"
    git -C "$PROJ" add -- "$@"
    GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$when \
        GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email GIT_COMMITTER_DATE=$when \
        git -C "$PROJ" commit -q -m "$subject"
}

# jq edit of the knowledge base, as a person would do by hand between sessions.
edit_knowledge() {
    local kb="$DIR/UNIFIED_KNOWLEDGE.json"
    jq "$1" "$kb" >"$kb.new"
    mv "$kb.new" "$kb"
}

# ---------------------------------------------------------------------------------------
# 2025-11-03: kickoff, before baton. The seed's "Immediate Setup", by hand.
day 2025-11-03
commit 16:10 maya "Initial commit: README, docker-compose for Postgres 16 and Redis 7" \
    README.md docker-compose.yml
b 17:30 init >/dev/null
cat >"$DIR/UNIFIED_KNOWLEDGE.json" <<'EOF'
{
  "last_updated": "2025-11-03T17:30:00Z",
  "total_sessions": 1,
  "total_hours": 3,
  "project": {
    "name": "Rota",
    "pitch": "Shift scheduling for small clinics: plan the week, staff get SMS reminders, swaps need a manager's OK",
    "layout": "monorepo: api/ (FastAPI), web/ (React + Vite), worker/ (arq), infra/ (Fly.io)",
    "team": ["Maya Chen (backend)", "Tomás Ruiz (frontend)"]
  },
  "core_decisions": [
    {
      "id": "decision-001",
      "date": "2025-11-03",
      "decision": "Monorepo with api/ (FastAPI), web/ (React + Vite) and worker/ (arq)",
      "status": "implemented",
      "results": "One pull request can change the API and the dashboard together"
    }
  ],
  "architecture_state": {
    "api": "planned",
    "web": "planned",
    "worker": "planned",
    "database": {
      "status": "planned",
      "engine": "PostgreSQL 16"
    }
  },
  "best_practices": [
    "Write the handoff before closing the laptop, not the next morning"
  ],
  "pending_work": [
    "Scaffold FastAPI service with /healthz",
    "Choose how clinic admins log in",
    {
      "priority": "medium",
      "task": "Set up CI on pull requests",
      "status": "not started"
    }
  ],
  "code_patterns": {
    "api_route": "api/rota/<area>/routes.py + schemas.py + service.py",
    "migrations": "alembic revision --autogenerate, then read and fix by hand",
    "web_data": "one TanStack Query hook per resource in web/src/api/hooks/"
  }
}
EOF
cat >"$DIR/SESSION_HANDOFFS/2025-11-03_handoff.md" <<'EOF'
# Session Handoff - 2025-11-03

## Accomplished
- Interviewed 3 clinic managers (Harbour Dental, Northside Physio, Elm Street GP)
- Wrote the MVP scope: weekly rota, SMS reminders, shift swaps with manager approval
- Picked the stack: FastAPI + PostgreSQL, React + Vite, arq workers on Redis

## Current State
- Empty monorepo with README and docker-compose.yml (Postgres 16, Redis 7)
- Nothing deployed yet

## 🎯 Next Session
- Scaffold the API with /healthz and the first models (Clinic, StaffMember, Shift)
- Decide how clinic admins log in
- Set up CI

## Key Context
- Pilot clinics want to start on 1 December
- Managers build next week's rota on Thursday afternoons, often on an iPad
- Staff do not want another app: SMS first
EOF
echo '{"decision": "Monorepo with api/ (FastAPI), web/ (React + Vite) and worker/ (arq)", "reasoning": "Two developers, one deploy pipeline; API and dashboard change together", "impact": "One CI workflow; the OpenAPI schema is shared in-repo"}' >>"$DIR/DECISIONS_LOG.json"
echo "Insight: Clinics plan rotas Monday to Sunday; managers edit next week on Thursdays" >>"$DIR/INSIGHTS.log"
cat >"$DIR/SERVICES.json" <<'EOF'
{
  "services": [
    {
      "name": "rota-api",
      "url": "http://127.0.0.1:8000/healthz",
      "json_pointer": "/status",
      "json_equals": "ok",
      "interval_s": 15,
      "timeout_ms": 2000,
      "degraded_ms": 500
    },
    {
      "name": "rota-web",
      "url": "http://127.0.0.1:5173/",
      "body_contains": "<div id=\"root\">",
      "interval_s": 30
    },
    {
      "name": "rota-worker",
      "url": "http://127.0.0.1:9101/healthz",
      "expect_status": "200-299",
      "interval_s": 60,
      "timeout_ms": 3000
    }
  ]
}
EOF

# ---------------------------------------------------------------------------------------
day 2025-11-04
begin 09:05 "Scaffold the API: FastAPI app, first models, Alembic" --template development
s 09:40 log blocker "asyncpg could not reach the docker-compose Postgres from the host" \
    --solution "Publish 5432 on 127.0.0.1 in docker-compose.yml and point DATABASE_URL at it" \
    --lesson "Keep a working DATABASE_URL in api/.env.example"
s 09:55 log decision "FastAPI + SQLAlchemy 2.0 async with asyncpg" \
    --why "The team knows Python; async keeps SMS fan-out and webhooks off the request path" \
    --impact "All DB access goes through AsyncSession; no sync ORM helpers"
commit 10:30 maya "api: app factory and /healthz" api/rota/main.py api/rota/config.py api/pyproject.toml
s 10:31 log code api/rota/main.py --note "app factory, /healthz"
s 10:32 log achievement "Scaffold FastAPI service with /healthz"
s 11:20 log decision "Money and durations as integers (cents, minutes), never floats" \
    --why "Pay-hour exports must add up to the cent" \
    --impact "Shift.duration_min and StaffMember.hourly_rate_cents columns"
commit 11:48 maya "api: Clinic, StaffMember, Shift models and migration 0001" \
    api/rota/models.py api/migrations/versions/0001_initial.py api/alembic.ini
s 11:50 log code api/rota/models.py --note "Clinic, StaffMember, Shift"
s 11:50 log code api/migrations/versions/0001_initial.py
s 11:52 log achievement "Clinic, StaffMember and Shift models with the first Alembic migration"
s 12:05 log insight "alembic revision --autogenerate misses server_default changes; read every generated migration" --practice
s 12:10 log next "Prevent double-booking a staff member" --priority high
finish 12:20 --summary "API skeleton runs locally: /healthz answers and migration 0001 creates clinics, staff_members and shifts." \
    --notes "docker compose up -d db redis, then uv run alembic upgrade head before starting uvicorn."

# ---------------------------------------------------------------------------------------
day 2025-11-05
begin 13:00 "Clinic admin login" --template development
s 13:25 log decision "Magic-link email login for clinic admins, no passwords" \
    --why "Managers log in about once a week; password resets were the top complaint in the interviews" \
    --impact "No password storage; login depends on email deliverability (Postmark)"
s 13:30 log done "Choose how clinic admins log in"
s 14:10 log decision "Sessions as signed HttpOnly cookies with a 14-day sliding expiry" \
    --why "Dashboard and API share one site; no tokens in localStorage" \
    --impact "State-changing routes need CSRF protection"
commit 14:40 maya "auth: magic-link request and verify" api/rota/auth/magic_link.py api/rota/auth/routes.py
s 14:41 log code api/rota/auth/magic_link.py --note "issue and verify one-time tokens"
s 14:41 log code api/rota/auth/routes.py --note "POST /auth/magic-link, POST /auth/verify, POST /auth/logout"
s 15:05 log blocker "Token expiry tests failed intermittently around the 15-minute boundary" \
    --solution "Freeze time with time-machine in api/tests/auth/test_magic_link.py" \
    --lesson "Never call datetime.now() in auth code; inject a clock"
commit 15:20 maya "auth: deterministic clock in tests" api/tests/auth/test_magic_link.py api/rota/clock.py
s 15:21 log code api/tests/auth/test_magic_link.py
s 15:40 log insight "Outlook Safe Links fetches every URL in an email and burns one-time tokens: verify on a POST from a landing page, never on GET" --practice
s 15:45 log achievement "Magic-link login: request, verify on POST, logout"
s 15:50 log next "Add CSRF double-submit token to state-changing routes" --priority high
s 15:51 log next "Rate-limit POST /auth/magic-link (5 per 15 min per email and IP)" --priority medium
finish 16:05 --summary "Clinic admins can log in with a magic link; sessions are HttpOnly cookies. CSRF protection is the next must-have."

# ---------------------------------------------------------------------------------------
day 2025-11-06
begin 09:30 "Scaffold the web dashboard" --template development
s 09:50 log decision "Vite + React 18 + TypeScript; TanStack Query for server state, no Redux" \
    --why "Almost all state is server state; Query gives caching and refetch-on-focus for free" \
    --impact "UI-only state stays in components; no global store"
s 10:20 log decision "Generate the TypeScript API client from FastAPI's OpenAPI schema (openapi-typescript)" \
    --why "Hand-written types drifted within a day on the last project" \
    --impact "npm run gen:api; an API change breaks the web build instead of production"
commit 11:05 tomas "web: Vite + React + TS scaffold, generated API types" \
    web/package.json web/vite.config.ts web/src/main.tsx web/src/api/client.ts web/src/api/schema.d.ts
s 11:06 log code web/src/api/client.ts --note "generated types + fetch wrapper with credentials: include"
s 11:30 log blocker "Session cookie not sent from the Vite dev server (:5173) to the API (:8000)" \
    --solution "Proxy /api through Vite (server.proxy in web/vite.config.ts) so both are same-origin" \
    --lesson "Use the dev proxy rather than CORS with credentials"
commit 12:15 tomas "web: login, confirm-login and protected routes" \
    web/src/routes/Login.tsx web/src/routes/ConfirmLogin.tsx web/src/routes/RequireAuth.tsx
s 12:16 log code web/src/routes/ConfirmLogin.tsx --note "POSTs the token (Safe Links-proof)"
s 12:16 log code web/src/routes/RequireAuth.tsx
s 12:30 log insight "Wrap the generated path types in one small hook per resource so components never see URL paths"
s 12:35 log achievement "Web dashboard scaffold with login landing page and protected routes"
s 12:40 log next "Week view: staff rows by day columns, shifts as blocks" --priority high
finish 12:50 --summary "The dashboard builds, logs in through the magic link and guards its routes. The week view is next." \
    --notes "cd web && npm run dev; the API must run on 127.0.0.1:8000 for the proxy."

# ---------------------------------------------------------------------------------------
day 2025-11-07
begin 09:10 "Shifts API with double-booking protection" --template development
s 09:45 log decision "Store shifts as tstzrange with an EXCLUDE USING gist constraint per staff member" \
    --why "Two managers editing the same week can race; only the database sees both writes" \
    --impact "Overlapping shifts fail with 409 ShiftConflict; needs the btree_gist extension"
s 10:05 log decision "Store times in UTC, render them in the clinic's IANA time zone (clinics.timezone)" \
    --why "One clinic near a border already asked about time zones" \
    --impact "The API returns UTC plus the clinic's zone; the web formats with it"
s 10:50 log blocker "Migration 0003 failed on a fresh database: data type uuid has no default operator class for access method gist" \
    --solution "CREATE EXTENSION IF NOT EXISTS btree_gist at the top of 0003" \
    --lesson "Run migrations against a fresh database, not only the dev one"
s 10:51 log insight "Run alembic upgrade head against a fresh database in CI, not only on dev databases" --practice
commit 11:40 maya "shifts: CRUD with exclusion constraint, 409 on overlap" \
    api/rota/shifts/routes.py api/rota/shifts/service.py api/migrations/versions/0003_shift_exclusion.py
s 11:41 log code api/rota/shifts/service.py --note "overlap -> 409 ShiftConflict"
s 11:41 log code api/migrations/versions/0003_shift_exclusion.py
s 11:45 log achievement "Prevent double-booking a staff member"
s 11:46 log achievement "CRUD endpoints for shifts with 409 on overlap"
s 11:50 log next "Week view API: GET /clinics/{id}/weeks/{iso_week} in one query" --priority medium
finish 12:00 --summary "Shifts have a CRUD API and the database refuses double-booking. Times are UTC in storage, clinic-local on screen."

# ---------------------------------------------------------------------------------------
day 2025-11-10
begin 09:00 "CI on pull requests" --template execution
s 09:20 log decision "uv for Python dependencies with a committed uv.lock" \
    --why "Resolves in seconds on CI; one lockfile for api and worker" \
    --impact "pip-tools removed; the Dockerfile uses uv sync --frozen"
s 09:35 log decision "One GitHub Actions workflow with jobs api-tests, web-tests and gen-api-check" \
    --why "Short enough to read in one screen; jobs run in parallel"
commit 10:10 maya "ci: workflow for api, web and generated client" .github/workflows/ci.yml api/uv.lock
s 10:11 log code .github/workflows/ci.yml
s 10:40 log blocker "api-tests flaky: connection refused while the Postgres service container was still starting" \
    --solution "Give the postgres service --health-cmd pg_isready --health-interval 2s" \
    --lesson "Always give CI service containers a health check"
commit 10:55 maya "ci: wait for Postgres health before tests" .github/workflows/ci.yml
s 11:10 log insight "gen-api-check (regenerate the client, then git diff --exit-code) catches API/web drift before review" --practice
s 11:15 log achievement "Set up CI on pull requests"
finish 11:30 --summary "CI runs api tests against a real Postgres, web tests, and checks the generated client is up to date."

# Between sessions, Maya updates the architecture by hand.
edit_knowledge '.architecture_state.api = {"status": "in development", "framework": "FastAPI", "port": 8000}
  | .architecture_state.database.status = "migrations 0001-0003"
  | .architecture_state.web = "scaffolded"'

# ---------------------------------------------------------------------------------------
day 2025-11-11
begin 08:45 "SMS shift reminders worker" --template development
s 09:10 log decision "arq on Redis for background jobs" \
    --why "Async like the API, small, cron jobs built in" \
    --impact "worker/ imports the API's models; one Redis for jobs and rate limits"
s 09:40 log decision "Reminders 24 h and 2 h before each shift, deduplicated by a unique reminders_sent(shift_id, kind)" \
    --why "The provider retries and cron runs can overlap; nobody gets the same SMS twice" \
    --impact "Sending is: insert into reminders_sent, then send; a conflict means already sent"
commit 10:30 maya "worker: reminder cron and reminders_sent table" \
    worker/rota_worker/reminders.py worker/rota_worker/settings.py api/migrations/versions/0004_reminders_sent.py
s 10:31 log code worker/rota_worker/reminders.py --note "cron every 5 min, 24 h and 2 h windows"
s 10:31 log code api/migrations/versions/0004_reminders_sent.py
s 11:05 log blocker "The cron job ran twice when two worker processes started" \
    --solution "arq cron with unique=True, and the reminders_sent constraint as the real guard" \
    --lesson "Idempotency belongs in the database, not in the scheduler"
s 11:20 log insight "The SMS provider retries status callbacks up to 3 times; deduplicate them on the message id"
commit 11:50 maya "worker: delivery status callbacks, deduplicated" worker/rota_worker/callbacks.py
s 11:51 log code worker/rota_worker/callbacks.py
s 12:00 log achievement "SMS reminders 24 h and 2 h before each shift"
s 12:05 log next "Let staff reply STOP to opt out of SMS (opt-out per phone number)" --priority high
s 12:06 log next "Reminder templates per clinic (language, clinic name)" --priority low
finish 12:15 --summary "The worker sends shift reminders by SMS, at most once per shift and window, even with retries and duplicate workers."

# ---------------------------------------------------------------------------------------
day 2025-11-12
begin 13:30 "Week view in the dashboard" --template development
s 13:50 log decision "dnd-kit for drag-and-drop" \
    --why "react-beautiful-dnd is unmaintained and breaks with React 18 strict mode" \
    --impact "Keyboard dragging comes for free (accessibility)"
s 14:05 log decision "Format times with date-fns-tz in clinics.timezone, never the browser's zone" \
    --why "Managers plan from home in another zone during holidays"
commit 15:10 tomas "web: week view with shift blocks" \
    web/src/routes/schedule/WeekView.tsx web/src/routes/schedule/ShiftBlock.tsx web/src/lib/time.ts
s 15:11 log code web/src/routes/schedule/WeekView.tsx --note "staff rows x day columns"
s 15:11 log code web/src/lib/time.ts --note "zoned wall-clock helpers"
s 15:40 log blocker "Shifts in the DST-change week were drawn one hour off" \
    --solution "Position blocks from zoned wall-clock times, not from UTC offsets of the week start" \
    --lesson "Always keep a DST-change week in the fixtures"
commit 16:20 tomas "web: drag shifts between days; DST-safe positions" \
    web/src/routes/schedule/WeekView.tsx web/src/lib/time.ts web/src/lib/time.test.ts
s 16:21 log code web/src/lib/time.test.ts --note "fixtures include 26 Oct 2025"
s 16:30 log achievement "Week view: staff rows by day columns, shifts as blocks"
s 16:35 log next "Optimistic update when dragging a shift; roll back on 409" --priority medium
finish 16:50 --summary "Managers see the week and can drag shifts between days; rendering is DST-safe."

# ---------------------------------------------------------------------------------------
day 2025-11-13
begin 09:15 "Billing with Stripe" --template development
s 09:40 log decision "Per-seat pricing on active staff members, billed monthly through Stripe Checkout and the Customer Portal" \
    --why "No billing UI to build: the portal handles cards, invoices and cancellation" \
    --impact "We handle only webhooks: checkout.session.completed, customer.subscription.updated, invoice.payment_failed"
s 10:00 log decision "Sync the seat count nightly, not on every staff change" \
    --why "Avoids proration noise on invoices when managers fix typos"
s 10:45 log blocker "Webhook signature verification failed locally" \
    --solution "Verify against await request.body() before any JSON parsing; test with stripe listen --forward-to 127.0.0.1:8000/billing/webhooks" \
    --lesson "Signatures cover the raw bytes"
s 10:46 log insight "Verify webhook signatures against the raw request body; parsing JSON first breaks the signature" --practice
commit 11:30 maya "billing: checkout session and webhook handler" \
    api/rota/billing/webhooks.py api/rota/billing/checkout.py api/rota/billing/seats.py
s 11:31 log code api/rota/billing/webhooks.py --note "signature check on raw body, idempotent by event id"
s 11:31 log code api/rota/billing/seats.py
s 11:50 log achievement "Stripe Checkout and subscription webhooks"
s 11:55 log next "Handle invoice.payment_failed: 7-day grace period, then read-only" --priority high
s 11:56 log next "Nightly seat sync job in the worker" --priority medium
finish 12:10 --summary "Clinics can subscribe through Stripe Checkout; webhooks keep the subscription state. Failed payments are not handled yet."

# ---------------------------------------------------------------------------------------
day 2025-11-14
begin 14:00 "Pilot plan and roadmap to 1 December" --template strategic
s 14:30 log decision "Pilot with 3 clinics from 1 December, free until 31 January" \
    --why "We need real rotas before fixing prices; the clinics asked for a trial through the holidays" \
    --impact "Billing ships but stays off for pilot clinics (clinics.billing_enabled = false)"
s 14:50 log decision "No native staff app before the pilot: SMS plus a mobile-friendly web page" \
    --why "Staff said they will not install another app; app review would eat two weeks" \
    --impact "The web dashboard gets a /me page designed for phones"
s 15:10 log decision "Staging on Fly.io (fra region); production only once the pilot starts" \
    --why "Managed Postgres and per-process machines without running Kubernetes"
s 15:20 log insight "Managers care more about approving swaps than about week-view polish"
s 15:30 log achievement "Pilot plan agreed with Harbour Dental, Northside Physio and Elm Street GP"
s 15:35 log next "Deploy staging on Fly.io" --priority high
s 15:36 log next "CSV import of staff for pilot onboarding" --priority high
s 15:37 log next "Evaluate React Native for a staff app after the pilot" --priority low
finish 15:45 --summary "Pilot starts 1 December with three clinics, free until the end of January. Staging first, swaps before polish." \
    --notes "The pilot contact at Elm Street GP is the practice manager; she does the rota on Thursday afternoons."

# ---------------------------------------------------------------------------------------
day 2025-11-17
begin 09:00 "Tenant isolation with row-level security" --template development
s 09:30 log decision "Postgres row-level security on every tenant table, keyed on current_setting('app.clinic_id')" \
    --why "One missed WHERE clause would show another clinic's staff list" \
    --impact "Every request runs SET LOCAL app.clinic_id in its transaction; each migration adds a policy"
commit 10:40 maya "db: RLS policies and per-request clinic setting" \
    api/rota/db/tenancy.py api/migrations/versions/0005_rls_policies.py
s 10:41 log code api/rota/db/tenancy.py --note "SET LOCAL app.clinic_id per transaction"
s 10:41 log code api/migrations/versions/0005_rls_policies.py
s 11:15 log blocker "RLS policies had no effect in the tests" \
    --solution "Tests connected as the table owner, which bypasses RLS: added a rota_app role and FORCE ROW LEVEL SECURITY" \
    --lesson "Test as the application role"
s 11:16 log insight "Test tenant isolation as the application role, never as the table owner" --practice
commit 11:50 maya "tests: tenant isolation as rota_app; CSRF double-submit" \
    api/tests/test_tenant_isolation.py api/rota/auth/csrf.py
s 11:51 log code api/tests/test_tenant_isolation.py
s 11:51 log code api/rota/auth/csrf.py --note "double-submit cookie, checked on POST/PUT/PATCH/DELETE"
s 12:00 log achievement "CSRF double-submit token on all state-changing routes"
s 12:00 log done "Add CSRF double-submit token to state-changing routes"
s 12:05 log next "Audit log for schedule edits (who moved which shift, when)" --priority medium
finish 12:20 --summary "Tenants are isolated by the database itself (RLS, tested as the app role) and state-changing routes check a CSRF token."

# ---------------------------------------------------------------------------------------
# 2025-11-18: two sessions in parallel (Maya on swaps, Tomás on week-view speed).
day 2025-11-18
begin 08:50 "Shift swap requests API"
MAYA_SID=$SID
s 09:20 log decision "Swap state machine: proposed -> accepted -> approved | declined | expired (48 h)" \
    --why "Both staff members and a manager must agree; stale requests must not linger" \
    --impact "swap_requests.state with a CHECK constraint; expiry runs in the worker"
commit 10:20 maya "swaps: propose, accept, approve, decline" api/rota/swaps/routes.py api/rota/swaps/service.py \
    api/migrations/versions/0006_swap_requests.py
s 10:21 log code api/rota/swaps/service.py --note "state machine, approval re-checks the exclusion constraint"
s 10:22 log code api/migrations/versions/0006_swap_requests.py
commit 11:20 maya "worker: expire swap requests after 48 h" worker/rota_worker/swaps.py
s 11:21 log code worker/rota_worker/swaps.py

begin 11:30 "Week view performance"
TOMAS_SID=$SID
s 11:45 log decision "Load the week with selectinload for staff and shifts" \
    --why "The week endpoint issued one query per staff member (N+1)" \
    --impact "p95 480 ms -> 45 ms on Elm Street GP's 38 staff"
SID=$MAYA_SID
s 11:55 log achievement "Swap request API: propose, accept, approve, decline"
s 11:56 log next "Swap request inbox in the dashboard" --priority high
s 11:57 log next "SMS link for managers to approve swaps" --priority medium
finish 12:10 --summary "Staff can propose swaps; a manager approves them through the API. The dashboard inbox is next."
SID=$TOMAS_SID
s 12:30 log insight "Counting queries per request in pytest (a SQLAlchemy event hook) caught the N+1 before any profiler did" --practice
s 12:50 log decision "Virtualize staff rows only above 60 staff (@tanstack/react-virtual)" \
    --why "Every pilot clinic has under 40 staff; virtualization complicates drag-and-drop"
commit 13:10 tomas "api: week endpoint in one round trip" api/rota/schedule/week.py api/tests/test_query_count.py
s 13:11 log code api/rota/schedule/week.py --note "GET /clinics/{id}/weeks/{iso_week}"
s 13:11 log code api/tests/test_query_count.py --note "fails above 4 queries per request"
commit 14:30 tomas "web: memoize shift blocks, stable keys" web/src/routes/schedule/WeekView.tsx web/src/routes/schedule/ShiftBlock.tsx
s 14:35 log achievement "Week view API: GET /clinics/{id}/weeks/{iso_week} in one query"
finish 14:45 --summary "The week view loads in one query; p95 went from 480 ms to 45 ms."

# ---------------------------------------------------------------------------------------
day 2025-11-19
begin 09:00 "Deploy staging on Fly.io" --template execution
s 09:40 log decision "Run migrations in Fly's release_command, never at app start" \
    --why "Two API machines booting at once raced on alembic upgrade" \
    --impact "A failed migration stops the deploy before any machine is replaced"
s 10:10 log blocker "Two API machines ran alembic upgrade at the same time and one crashed on a lock timeout" \
    --solution "release_command = \"alembic upgrade head\" in infra/fly.api.toml" \
    --lesson "Migrations are a deploy step, not a boot step"
commit 10:50 maya "infra: Fly.io apps for api and worker, multi-stage Dockerfile" \
    infra/fly.api.toml infra/fly.worker.toml api/Dockerfile
s 10:51 log code infra/fly.api.toml --note "release_command runs migrations"
s 10:51 log code api/Dockerfile --note "uv sync --frozen in a builder stage; 148 MB image"
s 11:30 log insight "Fly health checks hit /healthz on the private port; keep /healthz free of database calls or deploys flap when Postgres is slow"
s 11:40 log achievement "Deploy staging on Fly.io"
s 11:45 log next "Set up error tracking (Sentry) for api and worker" --priority medium
s 11:46 log next "Nightly pg_dump of staging to object storage" --priority low
cat >"$WORK/deploy-session.json" <<EOF
{
  "session_id": "$SID",
  "metrics": {"api_p95_ms": 45, "image_size_mb": 148, "deploy_minutes": 4},
  "services_deployed": ["rota-api on staging (fra, 2 machines)", "rota-worker on staging (fra, 1 machine)"],
  "key_commands": "fly deploy --config infra/fly.api.toml\nfly logs -a rota-api-staging\nfly ssh console -a rota-api-staging -C 'alembic current'"
}
EOF
finish 12:00 --from "$WORK/deploy-session.json" \
    --summary "Staging runs on Fly.io: API on two machines, the worker on one, migrations in the release step."

edit_knowledge '.architecture_state.api = {"status": "staging", "framework": "FastAPI", "port": 8000, "host": "Fly.io fra, 2 machines"}
  | .architecture_state.worker = {"status": "staging", "queue": "arq on Redis", "jobs": ["reminders", "swap expiry"]}
  | .architecture_state.web = "in development"
  | .architecture_state.database.status = "migrations 0001-0006, RLS on"'

# ---------------------------------------------------------------------------------------
day 2025-11-20
begin 13:00 "Pilot onboarding: CSV import of staff" --template development
s 13:20 log decision "Import staff with a dry-run preview: parse, validate, show the diff, then commit in one transaction" \
    --why "Managers paste exports from their HR tools; a bad file must change nothing" \
    --impact "POST /staff/import?dry_run=true returns the diff; the web shows it before confirming"
s 14:00 log blocker "Exports from Elm Street GP's HR tool are Windows-1252 with semicolons" \
    --solution "Sniff the dialect with csv.Sniffer and decode with charset-normalizer before parsing" \
    --lesson "Ask the pilot clinics for a real export on day one"
s 14:20 log insight "Normalize phone numbers to E.164 with the clinic's country as the default region; half the numbers had no +44"
commit 15:00 maya "staff: CSV import with dry run" api/rota/staff/csv_import.py api/tests/staff/test_csv_import.py
s 15:01 log code api/rota/staff/csv_import.py --note "dialect sniffing, E.164 phones, one transaction"
commit 15:45 tomas "web: staff import with preview" web/src/routes/staff/ImportStaff.tsx
s 15:46 log code web/src/routes/staff/ImportStaff.tsx --note "diff preview before confirming"
s 16:00 log achievement "CSV import of staff for pilot onboarding"
s 16:05 log next "Import last month's shifts from the clinics' spreadsheets" --priority low
finish 16:15 --summary "Clinics can import their staff from a CSV export, with a preview; all three pilot files import cleanly."

# ---------------------------------------------------------------------------------------
# 2025-11-21: two sessions still running when the demo was taken.
day 2025-11-21
begin 09:05 "Swap request inbox in the dashboard" --template development
s 09:30 log decision "The inbox polls every 30 s (TanStack Query refetchInterval); server-sent events later" \
    --why "Swaps are rare; polling is enough for the pilot"
commit 10:15 tomas "web: swap inbox with accept and decline" web/src/routes/swaps/SwapInbox.tsx
s 10:16 log code web/src/routes/swaps/SwapInbox.tsx
s 10:40 log achievement "Inbox lists open swap requests with accept and decline"

begin 09:40 "invoice.payment_failed: grace period and dunning"
s 10:05 log decision "7-day grace period from the first failed invoice, then read-only; pilot clinics exempt" \
    --why "Card problems are usually fixed within a week; locking a clinic out of its rota on day one would hurt staff" \
    --impact "clinics.billing_state: active | grace | read_only"
commit 10:50 maya "billing: grace period state" api/rota/billing/dunning.py
s 10:51 log code api/rota/billing/dunning.py
s 11:00 log next "Dunning emails on day 1, 4 and 7 of the grace period" --priority medium

# ---------------------------------------------------------------------------------------
rm -f "$DIR/.baton/lock"
rmdir "$DIR/.baton/unmerged" 2>/dev/null || true
rm -rf "$OUT"
mkdir -p "$OUT"
cp -R "$DIR/." "$OUT/"
echo "make-demo: wrote $(find "$OUT" -type f | wc -l) files to ${OUT#"$ROOT"/}" >&2
