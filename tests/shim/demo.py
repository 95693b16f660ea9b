"""demo.py: an unmodified Python program using AF_UNIX sockets, run by ctest as
`usock run --families unix --stats -- python3 demo.py` (see expect_stats.sh).

It uses socketpair, a stream server and client on a pathname and on an abstract name with the
server in a thread, a datagram pair on pathnames, select.select and select.poll, and checks
that an AF_INET socket and a pipe are left to the kernel. Any mismatch exits non-zero. The last
line on stdout is "demo: ok, N sockets created", which the wrapper compares with the shim's
count.
"""
import os
import select
import socket
import stat
import sys
import tempfile
import threading

created = 0


def check(cond, what):
    if not cond:
        print("demo: FAIL: " + what, file=sys.stderr)
        sys.exit(1)


def check_eq(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def new_socket(family, type_):
    global created
    created += 1
    return socket.socket(family, type_)


def new_pair(type_=socket.SOCK_STREAM):
    global created
    created += 2
    return socket.socketpair(socket.AF_UNIX, type_)


def test_socketpair():
    a, b = new_pair()
    check(stat.S_ISSOCK(os.fstat(a.fileno()).st_mode), "fstat of a socketpair end is S_IFSOCK")
    link = os.readlink("/proc/self/fd/%d" % a.fileno())
    check(link.startswith("socket:["), "readlink /proc/self/fd gives socket:[...], not " + link)
    check_eq(a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), socket.SOCK_STREAM, "SO_TYPE")
    a.sendall(b"ping")
    check_eq(b.recv(16), b"ping", "stream socketpair a->b")
    b.sendall(b"pong")
    check_eq(a.recv(16), b"pong", "stream socketpair b->a")
    a.close()
    check_eq(b.recv(16), b"", "EOF after the peer's close")
    b.close()

    c, d = new_pair(socket.SOCK_DGRAM)
    c.send(b"one")
    c.send(b"two")
    check_eq(d.recv(16), b"one", "first datagram")
    check_eq(d.recv(2), b"tw", "second datagram, truncated")
    d.setblocking(False)
    try:
        d.recv(16)
        check(False, "empty non-blocking recv must raise")
    except BlockingIOError:
        pass
    c.close()
    d.close()


def test_select_poll():
    a, b = new_pair()
    r, w, x = select.select([b], [a], [], 0)
    check_eq((r, w, x), ([], [a], []), "select before any data")
    a.send(b"x")
    r, w, x = select.select([b], [], [], 5.0)
    check_eq(r, [b], "select sees the byte")

    p = select.poll()
    p.register(b, select.POLLIN)
    check_eq(p.poll(5000), [(b.fileno(), select.POLLIN)], "poll sees the byte")
    check_eq(b.recv(1), b"x", "the byte")
    check_eq(p.poll(0), [], "poll after reading it")
    a.close()
    events = dict(p.poll(5000)).get(b.fileno(), 0)
    check(events & select.POLLHUP, "poll reports POLLHUP after the peer's close (%#x)" % events)
    b.close()


def serve_upper(listener, errors):
    try:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(64)
                if not chunk:
                    break
                data += chunk
            conn.sendall(data.upper())
    except Exception as e:  # reported by the main thread
        errors.append(e)


def test_server(addr, what):
    srv = new_socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(addr)
    srv.listen(4)
    # Linux reports an abstract name as bytes, a pathname as str
    name = addr.encode() if addr.startswith("\0") else addr
    check_eq(srv.getsockname(), name, what + ": getsockname of the listener")
    errors = []
    t = threading.Thread(target=serve_upper, args=(srv, errors))
    t.start()
    cli = new_socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cli.settimeout(10)
    cli.connect(addr)
    check_eq(cli.getpeername(), name, what + ": getpeername of the client")
    cli.sendall(b"hello, usock\n")
    got = b""
    while True:
        chunk = cli.recv(64)
        if not chunk:
            break
        got += chunk
    t.join(10)
    check(not t.is_alive(), what + ": server thread finished")
    check(not errors, what + ": server thread: %r" % errors)
    check_eq(got, b"HELLO, USOCK\n", what + ": echo")
    cli.close()
    srv.close()


def test_dgram_paths(tmp):
    a_path, b_path = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    a = new_socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    b = new_socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.bind(a_path)
    b.bind(b_path)
    a.sendto(b"datagram", b_path)
    data, src = b.recvfrom(64)
    check_eq((data, src), (b"datagram", a_path), "dgram recvfrom gives the sender's path")
    a.close()
    b.close()


def test_kernel_left_alone():
    rfd, wfd = os.pipe()
    os.write(wfd, b"pipe")
    r, _, _ = select.select([rfd], [], [], 5.0)
    check_eq(r, [rfd], "select on a pipe")
    check_eq(os.read(rfd, 16), b"pipe", "pipe read")
    check(stat.S_ISFIFO(os.fstat(rfd).st_mode), "a pipe stays a FIFO")
    os.close(rfd)
    os.close(wfd)
    # AF_INET is not served with --families unix: the kernel's (the stats line shows inet 0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.sendto(b"udp", s.getsockname())
    check_eq(s.recv(16), b"udp", "kernel UDP loopback")
    s.close()


def step(what, fn, *args):
    fn(*args)
    print("demo: %-58s ok" % what, flush=True)


def main():
    step("socketpair: stream, dgram, seqpacket", test_socketpair)
    step("select.select and select.poll on usock sockets", test_select_poll)
    with tempfile.TemporaryDirectory(prefix="usock-demo-") as tmp:
        step("stream server + client on a pathname (threaded)", test_server,
             os.path.join(tmp, "srv"), "pathname")
        step("datagrams between two pathname sockets", test_dgram_paths, tmp)
    step("stream server + client on an abstract name", test_server,
         "\0usock-demo-%d" % os.getpid(), "abstract")
    step("AF_INET socket and a pipe are left to the kernel", test_kernel_left_alone)
    print("demo: ok, %d sockets created" % created, flush=True)


if __name__ == "__main__":
    main()
