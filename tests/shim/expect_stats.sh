#!/bin/sh
# expect_stats.sh USOCK PYTHON DEMO: runs DEMO under `usock run --families unix --stats` and
# checks its exit status and the shim's line at exit: exactly one
# "usock: served N sockets (unix N, inet 0, inet6 0, packet 0)", with N at least the count
# the demo reports on its "demo: ok, N sockets created" line.
set -u
usock=$1 python=$2 demo=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "expect_stats: FAIL: $*" >&2
	exit 1
}

"$usock" run --families unix --stats -- "$python" "$demo" >"$tmp/out" 2>"$tmp/err"
status=$?
cat "$tmp/out"
cat "$tmp/err" >&2
[ "$status" -eq 0 ] || fail "the demo exited with status $status"

created=$(sed -n 's/^demo: ok, \([0-9][0-9]*\) sockets created$/\1/p' "$tmp/out")
[ -n "$created" ] || fail "no 'demo: ok, N sockets created' line on stdout"
[ "$(grep -c '^usock: served' "$tmp/err")" -eq 1 ] || fail "want exactly one stats line"
served=$(sed -n 's/^usock: served \([0-9][0-9]*\) sockets (unix \1, inet 0, inet6 0, packet 0)$/\1/p' "$tmp/err")
[ -n "$served" ] || fail "the stats line does not read 'usock: served N sockets (unix N, inet 0, inet6 0, packet 0)'"
[ "$served" -ge "$created" ] || fail "usock served $served sockets, the demo created $created"
echo "expect_stats: ok: the demo created $created sockets, usock served $served"
