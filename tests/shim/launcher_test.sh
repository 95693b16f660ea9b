#!/bin/sh
# launcher_test.sh USOCK: the command line of `usock`: --help exits 0, usage errors exit 2
# with a message, a program that is not found exits 127 (126 if it cannot be run), and
# `usock run` passes the program's status through with the environment it documents.
set -u
usock=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

# expect STATUS STDERR-SUBSTRING CMD...: runs CMD, checks its status and its stderr.
expect() {
	want=$1 msg=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: '$*' exited $got, want $want; stderr:" >&2
		cat "$tmp/err" >&2
		failed=1
	elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$tmp/err"; then
		echo "FAIL: '$*': stderr lacks '$msg':" >&2
		cat "$tmp/err" >&2
		failed=1
	else
		echo "ok: $* -> $got"
	fi
}

expect 0 "" "$usock" --help
grep -q "usage: usock run" "$tmp/out" || { echo "FAIL: --help prints no usage" >&2; failed=1; }
expect 0 "" "$usock" run --help
expect 2 "missing command" "$usock"
expect 2 "unknown command 'frob'" "$usock" frob
expect 2 "missing PROGRAM" "$usock" run
expect 2 "missing PROGRAM" "$usock" run --stats --families unix --
expect 2 "unknown option '--hosts'" "$usock" run --hosts a -- true
expect 2 "--host needs a NAME" "$usock" run --host
expect 2 "--host NAME: 1-48 characters" "$usock" run --host a/b -- true
expect 2 "--host NAME: 1-48 characters" "$usock" run --host= -- true
expect 2 "--host NAME: 1-48 characters" "$usock" run --host .. -- true
expect 0 "" "$usock" run --host launcher-test-$$ -- true
expect 2 "unknown family 'tcp'" "$usock" run --families unix,tcp -- true
expect 2 "--families needs a LIST" "$usock" run --families
expect 127 "no-such-program" "$usock" run -- /nonexistent/no-such-program
expect 127 "usock-no-such-command" "$usock" run usock-no-such-command
expect 126 "Permission denied" "$usock" run -- /dev/null
expect 0 "" "$usock" run -- true
expect 3 "" "$usock" run -- sh -c 'exit 3'

# The environment the program gets.
expect 0 "" "$usock" run --families=unix,inet --stats -- sh -c \
	'echo "$USOCK_FAMILIES|$USOCK_STATS|$LD_PRELOAD"'
IFS='|' read -r fams stats preload <"$tmp/out"
[ "$fams" = "unix,inet" ] && [ "$stats" = 1 ] || {
	echo "FAIL: USOCK_FAMILIES='$fams' USOCK_STATS='$stats'" >&2
	failed=1
}
case ":$preload:" in
*:/*/libusock_preload.so:*) echo "ok: LD_PRELOAD=$preload" ;;
*) echo "FAIL: LD_PRELOAD='$preload' has no absolute libusock_preload.so" >&2; failed=1 ;;
esac
# A user's ASAN_OPTIONS and LD_PRELOAD are kept.
mine=detect_leaks=0:verify_asan_link_order=0:halt_on_error=1
expect 0 "" env ASAN_OPTIONS=$mine LD_PRELOAD=libm.so.6 \
	"$usock" run -- sh -c 'echo "$ASAN_OPTIONS|$LD_PRELOAD"'
grep -q "^$mine|.*libusock_preload.so:libm.so.6\$" "$tmp/out" || {
	echo "FAIL: user environment not kept: $(cat "$tmp/out")" >&2
	failed=1
}
exit $failed
