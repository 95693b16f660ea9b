"""host_peer.py ROLE DIR NAME: one side of host_test.sh. The server binds a pathname
stream socket, an abstract stream socket and a pathname datagram socket, writes DIR/ready,
and answers one client on each; the client talks to all three and prints "client: ok".
With ROLE "stranger" it only checks that neither name answers (another usock host)."""
import os
import socket
import sys

role, d, name = sys.argv[1], sys.argv[2], sys.argv[3]
path, dpath = os.path.join(d, "stream.sock"), os.path.join(d, "dgram.sock")
abstract = "\0usock-host-test-" + name


def server():
    ls = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2)]
    ls[0].bind(path)
    ls[1].bind(abstract)
    for s in ls:
        s.listen(1)
    dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dg.bind(dpath)
    open(os.path.join(d, "ready"), "w").close()
    for s in ls:
        c, _ = s.accept()
        data = c.recv(64)
        c.sendall(b"server " + str(os.getpid()).encode() + b" got " + data)
        c.close()
    data, peer = dg.recvfrom(64)
    dg.sendto(b"dgram got " + data, peer)
    print("server: ok")


def client():
    for addr in (path, abstract):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr)
        c.sendall(b"hello")
        reply = c.recv(64)
        assert reply.startswith(b"server ") and reply.endswith(b" got hello"), reply
        # the peer is the server process, as the kernel would report it
        pid = socket.SO_PEERCRED and c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        assert int.from_bytes(pid[:4], "little") == int(reply.split()[1]), (pid, reply)
        c.close()
    dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dg.bind(os.path.join(d, "client.sock"))
    dg.sendto(b"ping", dpath)
    assert dg.recv(64) == b"dgram got ping"
    print("client: ok")


def stranger():
    for addr in (path, abstract):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(addr)
        except ConnectionRefusedError:
            continue
        sys.exit("stranger: connected to %r of another usock host" % addr)
    print("stranger: ok")


{"server": server, "client": client, "stranger": stranger}[role]()
