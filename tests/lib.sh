# lib.sh — shared by the end-to-end tests: the paths CTest gives, a scratch directory that is
# removed on exit, and the counting that ends every test with "N passed, N failed".
set -u
: "${LORAT:?run through ctest: LORAT is the lorat binary}"
: "${LORAT_SRC:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
DATA="$LORAT_SRC/tests/data"
TMP=$(mktemp -d /tmp/lorat-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# check "description" command...: passes when the command exits 0.
check() {
    local what=$1
    shift
    if "$@" >"$TMP/last.log" 2>&1; then pass; else fail "$what"; cat "$TMP/last.log" >&2; fi
}

# check_error "description" "text the message must contain" command...: the command must fail
# cleanly (exit 1 or 2, not a signal) and say the text.
check_error() {
    local what=$1 text=$2
    shift 2
    "$@" >"$TMP/err.log" 2>&1
    local rc=$?
    if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then
        fail "$what: exit status $rc (expected 1 or 2)"
        cat "$TMP/err.log" >&2
    elif ! grep -qF -- "$text" "$TMP/err.log"; then
        fail "$what: message does not mention '$text'"
        cat "$TMP/err.log" >&2
    else
        pass
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
