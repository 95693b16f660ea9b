#!/bin/sh
# host_test.sh USOCK PYTHON PEER: two programs started separately with
# `usock run --host NAME` share one usock host: the client reaches the server's pathname,
# abstract and datagram sockets, and sees the server's pid in SO_PEERCRED. A program run
# without --host is a host of its own and reaches none of them. When both are gone, the
# host's file under /dev/shm goes too.
set -u
usock=$1 python=$2 peer=$3
tmp=$(mktemp -d) || exit 1
name=host-test-$$
trap 'kill $spid 2>/dev/null; rm -rf "$tmp"' EXIT

fail() {
	echo "host_test: FAIL: $*" >&2
	exit 1
}

"$usock" run --host "$name" -- "$python" "$peer" server "$tmp" "$name" >"$tmp/server.out" 2>&1 &
spid=$!
i=0
while [ ! -e "$tmp/ready" ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "the server did not get ready: $(cat "$tmp/server.out")"
	sleep 0.05
done
[ -e "/dev/shm/usock-host-$name" ] || fail "no host file /dev/shm/usock-host-$name"

"$usock" run -- "$python" "$peer" stranger "$tmp" "$name" || fail "a program without --host reached the host's sockets"
"$usock" run --host "$name" -- "$python" "$peer" client "$tmp" "$name" || fail "the client failed"
wait $spid || fail "the server failed: $(cat "$tmp/server.out")"
grep -q "server: ok" "$tmp/server.out" || fail "the server did not finish: $(cat "$tmp/server.out")"

i=0
while [ -e "/dev/shm/usock-host-$name" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "/dev/shm/usock-host-$name stays after every member is gone"
	sleep 0.05
done
# A host whose every process was SIGKILLed leaves its file; the next program rebuilds it.
stale=$name-stale
"$usock" run --host "$stale" -- sleep 31.25 &
prog=$!
i=0
while [ ! -e "/dev/shm/usock-host-$stale" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "no host file for $stale"
	sleep 0.05
done
sleep 0.2
# The watcher and the depot first (they carry the program's command line), then the
# program: a watcher that saw its last member die would remove the file, rightly.
for p in $(pgrep -f "sleep 31.25"); do
	[ "$p" = "$prog" ] || kill -9 "$p"
done
sleep 0.1
kill -9 "$prog"
wait
[ -e "/dev/shm/usock-host-$stale" ] || fail "the killed host's file went away by itself"
"$usock" run --host "$stale" -- "$python" -c 'import socket; a, b = socket.socketpair(); a.send(b"x"); assert b.recv(1) == b"x"' ||
	fail "a program could not take over the host left by killed processes"
i=0
while [ -e "/dev/shm/usock-host-$stale" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "/dev/shm/usock-host-$stale stays after the rebuilt host ended"
	sleep 0.05
done
echo "host_test: ok: two programs on host $name talked over pathname, abstract and datagram sockets; a host left by killed processes was rebuilt"
