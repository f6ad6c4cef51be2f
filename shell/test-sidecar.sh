#!/usr/bin/env bash
# test-sidecar.sh [BASE_URL] - the original guide's "full test suite", run against a live sidecar.
#
# Checks health, the three actions (chat, summarize, analyze) and two bad requests (the error
# envelope), one PASS/FAIL line each, and exits 1 if anything failed. Needs only bash and curl, so
# it runs inside the Moodle container too. The actions call the real upstream: they pass only when
# the sidecar has a working OPENAI_API_KEY.
#
# BASE_URL defaults to http://127.0.0.1:$SIDECAR_PORT (8081). If SIDECAR_TOKEN is set it is sent
# as the bearer token, as the sidecar then requires.
set -uo pipefail

base_url=${1:-http://127.0.0.1:${SIDECAR_PORT:-8081}}
base_url=${base_url%/}
# Above the sidecar's own 25 s request deadline, so a slow upstream shows up as its error, not ours.
max_time=${TEST_SIDECAR_MAX_TIME:-35}

if ! command -v curl >/dev/null 2>&1; then
    echo "test-sidecar.sh: curl is needed; install it (apt-get install curl)" >&2
    exit 2
fi

passed=0
failed=0
status=""
body=""

pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }

# request METHOD PATH [BODY]: sets $status and $body; returns 1 when nothing answered.
request() {
    local method=$1 path=$2 data=${3:-} out rc
    local args=(--silent --show-error --max-time "$max_time" --request "$method"
        --write-out '\n%{http_code}')
    if [ -n "$data" ]; then
        args+=(--header 'Content-Type: application/json' --data-binary "$data")
    fi
    if [ -n "${SIDECAR_TOKEN:-}" ]; then
        # Through a config on stdin, so the token never shows up in the process list.
        args+=(--config -)
    fi
    local token=${SIDECAR_TOKEN:-}
    token=${token//\\/\\\\}
    token=${token//\"/\\\"}
    # A here-string, not a pipe: curl reads stdin only with a token, and a printf still writing
    # into a curl that already exited would fail the pipeline (pipefail) after a good answer.
    out=$(curl "${args[@]}" "$base_url$path" 2>&1 <<<"$(printf 'header = "Authorization: Bearer %s"' "$token")")
    rc=$?
    if [ "$rc" -ne 0 ]; then
        status=000
        body=${out%%$'\n'*}  # curl's own error line
        return 1
    fi
    status=${out##*$'\n'}
    body=${out%$'\n'*}
}

# json_has FIELD VALUE: the body carries "FIELD":VALUE (VALUE as JSON, e.g. true or "ok").
json_has() {
    grep -Eq "\"$1\"[[:space:]]*:[[:space:]]*$2" <<<"$body"
}

# json_string FIELD: the body's string value of FIELD, or nothing.
json_string() {
    sed -nE "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"(([^\"\\\\]|\\\\.)*)\".*/\\1/p" <<<"$body" | head -n1
}

no_answer() {
    fail "$1: no answer from $base_url ($body). Is the sidecar running? Try: sidecarctl status"
}

check_health() {
    if ! request GET /health; then no_answer health; return; fi
    if [ "$status" = 200 ] && json_has status '"healthy"'; then
        pass "health: $status $body"
    else
        fail "health: expected 200 healthy, got $status $body"
    fi
}

# check_action ACTION CONTENT: 200 with success true and some data.
check_action() {
    local action=$1 content=$2
    if ! request POST /ai "{\"action\":\"$action\",\"content\":\"$content\",\"user_id\":\"test-sidecar\"}"; then
        no_answer "$action"
        return
    fi
    if [ "$status" = 200 ] && json_has success true; then
        local data
        data=$(json_string data)
        pass "$action: $status success, ${#data} characters of data"
    else
        fail "$action: expected 200 success, got $status code=$(json_string code): $(json_string error)"
    fi
}

# check_error NAME BODY STATUS CODE: the error envelope with the given status and code.
check_error() {
    local name=$1 data=$2 want_status=$3 want_code=$4
    if ! request POST /ai "$data"; then no_answer "$name"; return; fi
    if [ "$status" = "$want_status" ] && json_has success false && json_has code "\"$want_code\"" \
        && [ -n "$(json_string error)" ]; then
        pass "$name: $status $want_code: $(json_string error)"
    else
        fail "$name: expected $want_status with error code $want_code, got $status $body"
    fi
}

echo "Testing the sidecar at $base_url"
check_health
check_action chat 'Hello! Reply with one short sentence.'
check_action summarize 'Moodle is a free and open-source learning management system written in PHP. It is used for blended learning, distance education and flipped classrooms.'
check_action analyze 'Lesson 1: fractions. Students add and subtract fractions with unlike denominators.'
check_error "bad request (not JSON)" 'this is not json' 400 invalid_json
check_error "bad request (unknown action)" '{"action":"translate","content":"hi"}' 200 unknown_action

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
