/* unix_names.c: AF_UNIX addresses per unix(7): bind() validation (lengths, family, autobind,
 * unterminated and embedded-NUL paths), EADDRINUSE/EINVAL rules, socket files (S_IFSOCK, mode
 * from umask, unlink/rename/symlink), permission checks (EACCES without capabilities),
 * ENOENT/ENOTDIR, exact getsockname/getpeername/accept/recvfrom addresses and lengths for
 * pathname, abstract and unnamed sockets, and autobind (explicit and via SO_PASSCRED). */
#include "conform.h"

#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static unsigned name_seq;

static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "usock-nm-%d-%u-%s",
	                 (int)getpid(), name_seq++, tag);
	return (socklen_t)(SUN_OFF + 1 + (size_t)n);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", conform_tmp_path(tag));
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

static socklen_t path_of(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	return (socklen_t)(SUN_OFF + strlen(a->sun_path) + 1);
}

/* The per-case temp directory (where conform_tmp_path puts files). */
static void tmp_dir(char *out, size_t n)
{
	char p[108];
	snprintf(p, sizeof(p), "%s", conform_tmp_path("d"));
	snprintf(out, n, "%s", dirname(p));
}

static int sock(int type)
{
	return (int)CHECK_OK(socket(AF_UNIX, type, 0));
}

/* getsockname/getpeername into a 0xaa-filled buffer of @cap bytes; returns the length. */
static socklen_t name_of(int fd, int peer, void *buf, socklen_t cap)
{
	memset(buf, 0xaa, cap);
	socklen_t len = cap;
	if (peer)
		CHECK_OK(getpeername(fd, (struct sockaddr *)buf, &len));
	else
		CHECK_OK(getsockname(fd, (struct sockaddr *)buf, &len));
	return len;
}

/* Checks an autobound address: NUL then 5 chars of [0-9a-f], length 8. */
static void check_autobound(const struct sockaddr_un *a, socklen_t len)
{
	CHECK_EQ(len, SUN_OFF + 6);
	CHECK_EQ(a->sun_family, AF_UNIX);
	CHECK_EQ(a->sun_path[0], 0);
	int ok = 1;
	for (int i = 1; i <= 5; i++) {
		char c = a->sun_path[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			ok = 0;
	}
	CHECK(ok);
}

CASE(bind_length_rules)
{
	struct sockaddr_un a;
	abstract_addr(&a, "len");
	int fd = sock(SOCK_STREAM);
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, 0), EINVAL);
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, 1), EINVAL);
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof(a) + 1), EINVAL);
	char big[sizeof(a) + 16];
	memset(big, 0, sizeof(big));
	memcpy(big, &a, sizeof(a));
	CHECK_ERR(bind(fd, (struct sockaddr *)big, sizeof(big)), EINVAL);
	/* Wrong family, with a full length and with the autobind length. */
	struct sockaddr_un w = a;
	w.sun_family = AF_INET;
	CHECK_ERR(bind(fd, (struct sockaddr *)&w, sizeof(w)), EINVAL);
	CHECK_ERR(bind(fd, (struct sockaddr *)&w, sizeof(sa_family_t)), EINVAL);
	w.sun_family = AF_UNSPEC;
	CHECK_ERR(bind(fd, (struct sockaddr *)&w, sizeof(w)), EINVAL);
	/* Still unbound after all that. */
	struct sockaddr_un n;
	CHECK_EQ(name_of(fd, 0, &n, sizeof(n)), sizeof(sa_family_t));
	/* Abstract bind with the full sizeof length: the name is all 107 bytes after the NUL. */
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_EQ(name_of(fd, 0, &n, sizeof(n)), sizeof(a));
	CHECK_MEM(&n, &a, sizeof(a));
}

CASE(autobind_explicit)
{
	int fd = sock(SOCK_DGRAM);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(sa_family_t)));
	struct sockaddr_un n;
	socklen_t len = name_of(fd, 0, &n, sizeof(n));
	check_autobound(&n, len);
	/* Bytes past the returned length are untouched. */
	CHECK_EQ(((unsigned char *)&n)[len], 0xaa);
	/* A second autobind gives a different name; binding again is EINVAL. */
	int fd2 = sock(SOCK_DGRAM);
	CHECK_OK(bind(fd2, (struct sockaddr *)&a, sizeof(sa_family_t)));
	struct sockaddr_un n2;
	socklen_t len2 = name_of(fd2, 0, &n2, sizeof(n2));
	check_autobound(&n2, len2);
	CHECK(memcmp(&n, &n2, len) != 0);
	/* An autobind request on a socket that already has a name succeeds and changes
	 * nothing (unix_autobind returns early); a real rebind is EINVAL. */
	CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof(sa_family_t)), 0);
	struct sockaddr_un same;
	CHECK_EQ(name_of(fd, 0, &same, sizeof(same)), len);
	CHECK_MEM(&same, &n, len);
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "after");
	CHECK_ERR(bind(fd, (struct sockaddr *)&p, plen), EINVAL);
	struct sockaddr_un ex;
	socklen_t exlen = abstract_addr(&ex, "explicit");
	int e = sock(SOCK_DGRAM);
	CHECK_OK(bind(e, (struct sockaddr *)&ex, exlen));
	CHECK_EQ(bind(e, (struct sockaddr *)&a, sizeof(sa_family_t)), 0);
	CHECK_EQ(name_of(e, 0, &same, sizeof(same)), exlen);
	CHECK_MEM(&same, &ex, exlen);
	/* The autobound name is reachable. */
	int s = sock(SOCK_DGRAM);
	CHECK_EQ(sendto(s, "hi", 2, 0, (struct sockaddr *)&n, len), 2);
	char buf[4];
	CHECK_EQ(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 2);
	/* It is taken: an explicit bind to it fails. */
	int t = sock(SOCK_DGRAM);
	CHECK_ERR(bind(t, (struct sockaddr *)&n, len), EADDRINUSE);
	/* Autobind works for stream sockets too, and they can listen on it. */
	int l = sock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&a, sizeof(sa_family_t)));
	struct sockaddr_un ln;
	socklen_t llen = name_of(l, 0, &ln, sizeof(ln));
	check_autobound(&ln, llen);
	CHECK_OK(listen(l, 1));
	int c = sock(SOCK_STREAM);
	CHECK_OK(connect(c, (struct sockaddr *)&ln, llen));
	struct sockaddr_un pn;
	CHECK_EQ(name_of(c, 1, &pn, sizeof(pn)), llen);
	CHECK_MEM(&pn, &ln, llen);
}

CASE(unterminated_full_path)
{
	/* unix(7) BUGS: 108 non-NUL bytes are accepted; Linux appends a terminator, so the
	 * returned length (111) exceeds sizeof(struct sockaddr_un). */
	char dir[108];
	tmp_dir(dir, sizeof(dir));
	CHECK_OK(chdir(dir));
	struct sockaddr_un a;
	a.sun_family = AF_UNIX;
	memset(a.sun_path, 'L', sizeof(a.sun_path));
	int fd = sock(SOCK_STREAM);
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	char name[109];
	memset(name, 'L', 108);
	name[108] = 0;
	struct stat st;
	CHECK_OK(stat(name, &st));
	CHECK(S_ISSOCK(st.st_mode));
	unsigned char big[sizeof(a) + 8];
	socklen_t len = name_of(fd, 0, big, sizeof(big));
	CHECK_EQ(len, sizeof(a) + 1);
	CHECK_MEM(big, &a, sizeof(a));
	CHECK_EQ(big[sizeof(a)], 0);
	CHECK_EQ(big[sizeof(a) + 1], 0xaa);
	/* With a sizeof(sockaddr_un) buffer the result is cut and has no terminator. */
	struct sockaddr_un n;
	memset(&n, 0xaa, sizeof(n));
	len = sizeof(n);
	CHECK_OK(getsockname(fd, (struct sockaddr *)&n, &len));
	CHECK_EQ(len, sizeof(a) + 1);
	CHECK_MEM(&n, &a, sizeof(a));
	/* The same unterminated address connects. */
	CHECK_OK(listen(fd, 1));
	int c = sock(SOCK_STREAM);
	CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
	len = name_of(c, 1, big, sizeof(big));
	CHECK_EQ(len, sizeof(a) + 1);
	/* accept reports an unnamed peer. */
	socklen_t alen = sizeof(big);
	CHECK_OK(accept(fd, (struct sockaddr *)big, &alen));
	CHECK_EQ(alen, sizeof(sa_family_t));
}

CASE(path_length_variants)
{
	char dir[108];
	tmp_dir(dir, sizeof(dir));
	CHECK_OK(chdir(dir));
	/* Bytes after the NUL are ignored: "abc\0garbage" binds "abc". */
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "abc\0garbage", 12);
	int fd = sock(SOCK_DGRAM);
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	struct stat st;
	CHECK_OK(stat("abc", &st));
	CHECK(S_ISSOCK(st.st_mode));
	struct sockaddr_un n;
	CHECK_EQ(name_of(fd, 0, &n, sizeof(n)), SUN_OFF + 4);
	CHECK_MEM(n.sun_path, "abc", 4);
	/* A length that stops inside the string: the name is what the length covers. */
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "defghi", 6);
	int fd2 = sock(SOCK_DGRAM);
	CHECK_OK(bind(fd2, (struct sockaddr *)&a, SUN_OFF + 3));
	CHECK_OK(stat("def", &st));
	CHECK_ERR(stat("defghi", &st), ENOENT);
	CHECK_EQ(name_of(fd2, 0, &n, sizeof(n)), SUN_OFF + 4);
	CHECK_MEM(n.sun_path, "def", 4);
	/* Length without the terminator: same name as with it. */
	int fd3 = sock(SOCK_DGRAM);
	memcpy(a.sun_path, "jkl", 4);
	CHECK_OK(bind(fd3, (struct sockaddr *)&a, SUN_OFF + 3));
	CHECK_EQ(name_of(fd3, 0, &n, sizeof(n)), SUN_OFF + 4);
	CHECK_MEM(n.sun_path, "jkl", 4);
	/* Relative names are reported as given, and work from the same directory. */
	int s = sock(SOCK_DGRAM);
	CHECK_EQ(sendto(s, "r", 1, 0, (struct sockaddr *)&a, SUN_OFF + 4), 1);
	char ch;
	CHECK_EQ(recv(fd3, &ch, 1, MSG_DONTWAIT), 1);
	/* ...and through the absolute path. */
	struct sockaddr_un abs;
	char full[200];
	snprintf(full, sizeof(full), "%s/jkl", dir);
	socklen_t abslen = path_of(&abs, full);
	CHECK_EQ(sendto(s, "A", 1, 0, (struct sockaddr *)&abs, abslen), 1);
	CHECK_EQ(recv(fd3, &ch, 1, MSG_DONTWAIT), 1);
	CHECK_EQ(ch, 'A');
	/* Sending did not name the sender. */
	CHECK_EQ(name_of(s, 0, &n, sizeof(n)), sizeof(sa_family_t));
}

CASE(addrinuse_rules)
{
	/* An existing file of any kind at the path: EADDRINUSE. */
	struct sockaddr_un f;
	socklen_t flen = path_addr(&f, "file");
	close((int)CHECK_OK(open(f.sun_path, O_CREAT | O_WRONLY, 0600)));
	int fd = sock(SOCK_STREAM);
	CHECK_ERR(bind(fd, (struct sockaddr *)&f, flen), EADDRINUSE);
	struct sockaddr_un d;
	socklen_t dlen = path_addr(&d, "dir");
	CHECK_OK(mkdir(d.sun_path, 0700));
	CHECK_ERR(bind(fd, (struct sockaddr *)&d, dlen), EADDRINUSE);
	struct sockaddr_un l;
	socklen_t llen = path_addr(&l, "dangling");
	CHECK_OK(symlink("/nonexistent/usock-target", l.sun_path));
	CHECK_ERR(bind(fd, (struct sockaddr *)&l, llen), EADDRINUSE);
	/* The file of a closed socket still blocks the name, for any socket type. */
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "sock");
	int old = sock(SOCK_STREAM);
	CHECK_OK(bind(old, (struct sockaddr *)&p, plen));
	CHECK_ERR(bind(fd, (struct sockaddr *)&p, plen), EADDRINUSE);
	int dg = sock(SOCK_DGRAM);
	CHECK_ERR(bind(dg, (struct sockaddr *)&p, plen), EADDRINUSE);
	close(old);
	CHECK_ERR(bind(fd, (struct sockaddr *)&p, plen), EADDRINUSE);
	CHECK_OK(unlink(p.sun_path));
	CHECK_OK(bind(fd, (struct sockaddr *)&p, plen));
	/* Abstract: in use while the holder is open, free after close. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "inuse");
	int h = sock(SOCK_STREAM);
	CHECK_OK(bind(h, (struct sockaddr *)&a, alen));
	int h2 = sock(SOCK_STREAM);
	CHECK_ERR(bind(h2, (struct sockaddr *)&a, alen), EADDRINUSE);
	/* Abstract names are per socket type: a dgram socket may take the same name. */
	int hd = sock(SOCK_DGRAM);
	CHECK_OK(bind(hd, (struct sockaddr *)&a, alen));
	int hd2 = sock(SOCK_DGRAM);
	CHECK_ERR(bind(hd2, (struct sockaddr *)&a, alen), EADDRINUSE);
	/* A longer name (trailing NUL counted) is a different name. */
	CHECK_OK(bind(h2, (struct sockaddr *)&a, alen + 1));
	close(h);
	int h3 = sock(SOCK_STREAM);
	CHECK_OK(bind(h3, (struct sockaddr *)&a, alen));
}

CASE(rebind_is_einval)
{
	struct sockaddr_un p, q, a;
	socklen_t plen = path_addr(&p, "one");
	socklen_t qlen = path_addr(&q, "two");
	socklen_t alen = abstract_addr(&a, "rb");
	int fd = sock(SOCK_STREAM);
	CHECK_OK(bind(fd, (struct sockaddr *)&p, plen));
	CHECK_ERR(bind(fd, (struct sockaddr *)&q, qlen), EINVAL);
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, alen), EINVAL);
	/* For a path the file is created before the bound state is checked, so an existing
	 * path (here: its own) reports EADDRINUSE rather than EINVAL. */
	CHECK_ERR(bind(fd, (struct sockaddr *)&p, plen), EADDRINUSE);
	/* The failed rebinds left no file behind. */
	struct stat st;
	CHECK_ERR(stat(q.sun_path, &st), ENOENT);
	int fa = sock(SOCK_DGRAM);
	CHECK_OK(bind(fa, (struct sockaddr *)&a, alen));
	CHECK_ERR(bind(fa, (struct sockaddr *)&q, qlen), EINVAL);
	CHECK_ERR(stat(q.sun_path, &st), ENOENT);
	/* For an abstract name the bound state is checked first. */
	CHECK_ERR(bind(fa, (struct sockaddr *)&a, alen), EINVAL);
	struct sockaddr_un n0;
	CHECK_EQ(name_of(fd, 0, &n0, sizeof(n0)), plen);
	CHECK_MEM(&n0, &p, plen);
	/* Unbound socketpair ends may be bound; the peer then sees the name. */
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct sockaddr_un b;
	socklen_t blen = abstract_addr(&b, "pair");
	CHECK_OK(bind(sv[0], (struct sockaddr *)&b, blen));
	struct sockaddr_un n;
	CHECK_EQ(name_of(sv[1], 1, &n, sizeof(n)), blen);
	CHECK_MEM(&n, &b, blen);
	CHECK_EQ(name_of(sv[0], 0, &n, sizeof(n)), blen);
	CHECK_ERR(bind(sv[0], (struct sockaddr *)&q, qlen), EINVAL);
}

static void check_mode(mode_t mask, mode_t expect)
{
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "mode");
	umask(mask);
	int fd = sock(SOCK_DGRAM);
	CHECK_OK(bind(fd, (struct sockaddr *)&p, plen));
	struct stat st;
	CHECK_OK(lstat(p.sun_path, &st));
	CHECK_EQ(st.st_mode & S_IFMT, S_IFSOCK);
	CHECK_EQ(st.st_mode & 07777, expect);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(st.st_gid, getegid());
	CHECK_EQ(st.st_size, 0);
}

CASE(socket_file_mode)
{
	check_mode(022, 0755);
	check_mode(0, 0777);
	check_mode(077, 0700);
	check_mode(0777, 0);
	check_mode(002, 0775);
	/* A socket file can be connected to even with mode 0 by root (CAP_DAC_OVERRIDE). */
	umask(022);
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "m0");
	int r = sock(SOCK_DGRAM);
	CHECK_OK(bind(r, (struct sockaddr *)&p, plen));
	CHECK_OK(chmod(p.sun_path, 0));
	int s = sock(SOCK_DGRAM);
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&p, plen), 1);
	/* Abstract sockets create no file: the umask has no effect and nothing appears. */
	umask(0777);
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "mode");
	int ab = sock(SOCK_DGRAM);
	CHECK_OK(bind(ab, (struct sockaddr *)&a, alen));
	CHECK_EQ(sendto(s, "y", 1, 0, (struct sockaddr *)&a, alen), 1);
	char ch;
	CHECK_EQ(recv(ab, &ch, 1, MSG_DONTWAIT), 1);
}

CASE(unlink_and_rebind)
{
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "re");
	int a = sock(SOCK_STREAM);
	CHECK_OK(bind(a, (struct sockaddr *)&p, plen));
	CHECK_OK(listen(a, 4));
	int fl = fcntl(a, F_GETFL);
	CHECK_OK(fcntl(a, F_SETFL, fl | O_NONBLOCK));
	CHECK_OK(unlink(p.sun_path));
	/* The unlinked socket keeps its name but can no longer be reached by path. */
	struct sockaddr_un n;
	CHECK_EQ(name_of(a, 0, &n, sizeof(n)), plen);
	CHECK_MEM(&n, &p, plen);
	int c = sock(SOCK_STREAM);
	CHECK_ERR(connect(c, (struct sockaddr *)&p, plen), ENOENT);
	int b = sock(SOCK_STREAM);
	CHECK_OK(bind(b, (struct sockaddr *)&p, plen));
	CHECK_OK(listen(b, 4));
	CHECK_OK(connect(c, (struct sockaddr *)&p, plen));
	CHECK_ERR(accept(a, NULL, NULL), EAGAIN);
	CHECK_OK(accept(b, NULL, NULL));
	/* Both report the same name. */
	CHECK_EQ(name_of(b, 0, &n, sizeof(n)), plen);
	CHECK_MEM(&n, &p, plen);
	CHECK_EQ(name_of(a, 0, &n, sizeof(n)), plen);
}

CASE(rename_symlink_link)
{
	/* Connecting goes through the inode: a renamed, symlinked or hard-linked socket file
	 * still reaches the socket, whose reported name stays the one it was bound to. */
	struct sockaddr_un p, r, s, h;
	socklen_t plen = path_addr(&p, "orig");
	socklen_t rlen = path_addr(&r, "renamed");
	socklen_t slen = path_addr(&s, "symlink");
	socklen_t hlen = path_addr(&h, "hardlink");
	int l = sock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&p, plen));
	CHECK_OK(listen(l, 8));
	CHECK_OK(rename(p.sun_path, r.sun_path));
	CHECK_OK(symlink(r.sun_path, s.sun_path));
	CHECK_OK(link(r.sun_path, h.sun_path));
	int c1 = sock(SOCK_STREAM);
	CHECK_ERR(connect(c1, (struct sockaddr *)&p, plen), ENOENT);
	CHECK_OK(connect(c1, (struct sockaddr *)&r, rlen));
	int c2 = sock(SOCK_STREAM);
	CHECK_OK(connect(c2, (struct sockaddr *)&s, slen));
	int c3 = sock(SOCK_STREAM);
	CHECK_OK(connect(c3, (struct sockaddr *)&h, hlen));
	struct sockaddr_un n;
	CHECK_EQ(name_of(c1, 1, &n, sizeof(n)), plen);
	CHECK_MEM(&n, &p, plen);
	CHECK_EQ(name_of(c2, 1, &n, sizeof(n)), plen);
	CHECK_MEM(&n, &p, plen);
	CHECK_EQ(name_of(c3, 1, &n, sizeof(n)), plen);
	for (int i = 0; i < 3; i++)
		CHECK_OK(accept(l, NULL, NULL));
}

CASE(permission_checks)
{
	umask(022);
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "perm");
	int l = sock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&p, plen));
	CHECK_OK(listen(l, 8));
	struct sockaddr_un dp;
	socklen_t dplen = path_addr(&dp, "dperm");
	int d = sock(SOCK_DGRAM);
	CHECK_OK(bind(d, (struct sockaddr *)&dp, dplen));
	/* Subdirectories for the directory-permission checks. */
	char base[108], nox[160], now[160];
	tmp_dir(base, sizeof(base));
	snprintf(nox, sizeof(nox), "%s/nox", base);
	snprintf(now, sizeof(now), "%s/now", base);
	CHECK_OK(mkdir(nox, 0700));
	CHECK_OK(mkdir(now, 0700));
	struct sockaddr_un in_nox, in_now;
	char tmp[200];
	snprintf(tmp, sizeof(tmp), "%s/s", nox);
	socklen_t inxlen = path_of(&in_nox, tmp);
	snprintf(tmp, sizeof(tmp), "%s/s", now);
	socklen_t inwlen = path_of(&in_now, tmp);
	int lx = sock(SOCK_STREAM);
	CHECK_OK(bind(lx, (struct sockaddr *)&in_nox, inxlen));
	CHECK_OK(listen(lx, 4));
	CHECK_OK(chmod(nox, 0600));
	CHECK_OK(chmod(now, 0500));
	CHECK_OK(chmod(p.sun_path, 0));
	CHECK_OK(chmod(dp.sun_path, 0));

	conform_drop_caps();
	/* Connecting / sending needs write permission on the socket file. */
	int c = sock(SOCK_STREAM);
	CHECK_ERR(connect(c, (struct sockaddr *)&p, plen), EACCES);
	int s = sock(SOCK_DGRAM);
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&dp, dplen), EACCES);
	CHECK_ERR(connect(s, (struct sockaddr *)&dp, dplen), EACCES);
	/* Read and execute bits do not help; the owner class is what applies. */
	CHECK_OK(chmod(p.sun_path, 0577));
	CHECK_ERR(connect(c, (struct sockaddr *)&p, plen), EACCES);
	CHECK_OK(chmod(p.sun_path, 0200));
	CHECK_OK(connect(c, (struct sockaddr *)&p, plen));
	CHECK_OK(chmod(dp.sun_path, 0200));
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&dp, dplen), 1);
	/* Search permission on the directory is needed to reach the socket. */
	int c2 = sock(SOCK_STREAM);
	CHECK_ERR(connect(c2, (struct sockaddr *)&in_nox, inxlen), EACCES);
	/* Creating the socket file needs write permission on the directory. */
	int b = sock(SOCK_STREAM);
	CHECK_ERR(bind(b, (struct sockaddr *)&in_now, inwlen), EACCES);
	/* Abstract sockets have no permissions. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "perm");
	CHECK_OK(bind(b, (struct sockaddr *)&a, alen));
	CHECK_OK(fchmod(b, 0));
	CHECK_OK(listen(b, 1));
	CHECK_OK(connect(c2, (struct sockaddr *)&a, alen));
}

CASE(bad_directories)
{
	struct sockaddr_un f;
	path_addr(&f, "regular");
	close((int)CHECK_OK(open(f.sun_path, O_CREAT | O_WRONLY, 0600)));
	char tmp[200];
	snprintf(tmp, sizeof(tmp), "%s/sock", f.sun_path);
	struct sockaddr_un nd;
	socklen_t ndlen = path_of(&nd, tmp);
	int fd = sock(SOCK_STREAM);
	CHECK_ERR(bind(fd, (struct sockaddr *)&nd, ndlen), ENOTDIR);
	CHECK_ERR(connect(fd, (struct sockaddr *)&nd, ndlen), ENOTDIR);
	int dg = sock(SOCK_DGRAM);
	CHECK_ERR(sendto(dg, "x", 1, 0, (struct sockaddr *)&nd, ndlen), ENOTDIR);
	struct sockaddr_un m;
	path_addr(&m, "nodir");
	snprintf(tmp, sizeof(tmp), "%s/sock", m.sun_path);
	struct sockaddr_un ne;
	socklen_t nelen = path_of(&ne, tmp);
	CHECK_ERR(bind(fd, (struct sockaddr *)&ne, nelen), ENOENT);
	CHECK_ERR(connect(fd, (struct sockaddr *)&ne, nelen), ENOENT);
	CHECK_ERR(sendto(dg, "x", 1, 0, (struct sockaddr *)&ne, nelen), ENOENT);
	/* A trailing slash names a directory that does not exist. */
	struct sockaddr_un ts;
	path_addr(&ts, "slash");
	snprintf(tmp, sizeof(tmp), "%s/", ts.sun_path);
	socklen_t tslen = path_of(&ts, tmp);
	CHECK_ERR(bind(fd, (struct sockaddr *)&ts, tslen), ENOENT);
	/* The failed binds left the socket unbound. */
	struct sockaddr_un n;
	CHECK_EQ(name_of(fd, 0, &n, sizeof(n)), sizeof(sa_family_t));
	/* A socket file is not a directory either. */
	struct sockaddr_un sp;
	socklen_t splen = path_addr(&sp, "sockdir");
	CHECK_OK(bind(fd, (struct sockaddr *)&sp, splen));
	snprintf(tmp, sizeof(tmp), "%s/x", sp.sun_path);
	struct sockaddr_un under;
	socklen_t ulen = path_of(&under, tmp);
	CHECK_ERR(connect(dg, (struct sockaddr *)&under, ulen), ENOTDIR);
}

CASE(names_exact)
{
	/* Pathname: offsetof + strlen + 1, NUL included, nothing written beyond. */
	struct sockaddr_un p;
	socklen_t plen = path_addr(&p, "exact");
	int fd = sock(SOCK_DGRAM);
	CHECK_OK(bind(fd, (struct sockaddr *)&p, sizeof(p)));
	unsigned char buf[sizeof(struct sockaddr_un) + 8];
	socklen_t len = name_of(fd, 0, buf, sizeof(buf));
	CHECK_EQ(len, plen);
	CHECK_MEM(buf, &p, plen);
	CHECK_EQ(buf[plen - 1], 0);
	CHECK_EQ(buf[plen], 0xaa);
	/* Abstract with embedded NULs: exactly the bytes given, no terminator. */
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "x%d", (int)getpid());
	memcpy(a.sun_path + 1 + n, "\0y\0", 3);
	socklen_t alen = (socklen_t)(SUN_OFF + 1 + (size_t)n + 3);
	int fa = sock(SOCK_DGRAM);
	CHECK_OK(bind(fa, (struct sockaddr *)&a, alen));
	len = name_of(fa, 0, buf, sizeof(buf));
	CHECK_EQ(len, alen);
	CHECK_MEM(buf, &a, alen);
	CHECK_EQ(buf[alen], 0xaa);
	/* The name without the trailing bytes is a different (unbound) name. */
	int s = sock(SOCK_DGRAM);
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&a, alen - 1), ECONNREFUSED);
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&a, alen + 1), ECONNREFUSED);
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&a, alen), 1);
	/* Unnamed: sizeof(sa_family_t), only the family written. */
	len = name_of(s, 0, buf, sizeof(buf));
	CHECK_EQ(len, sizeof(sa_family_t));
	sa_family_t fam;
	memcpy(&fam, buf, sizeof(fam));
	CHECK_EQ(fam, AF_UNIX);
	CHECK_EQ(buf[2], 0xaa);
	/* A short buffer gets a truncated copy but the full length. */
	memset(buf, 0xaa, sizeof(buf));
	len = 5;
	CHECK_OK(getsockname(fd, (struct sockaddr *)buf, &len));
	CHECK_EQ(len, plen);
	CHECK_MEM(buf, &p, 5);
	CHECK_EQ(buf[5], 0xaa);
	memset(buf, 0xaa, sizeof(buf));
	len = 0;
	CHECK_OK(getsockname(fa, (struct sockaddr *)buf, &len));
	CHECK_EQ(len, alen);
	CHECK_EQ(buf[0], 0xaa);
	/* getpeername of a connected dgram socket. */
	CHECK_OK(connect(s, (struct sockaddr *)&p, plen));
	len = name_of(s, 1, buf, sizeof(buf));
	CHECK_EQ(len, plen);
	CHECK_MEM(buf, &p, plen);
}

CASE(getpeername_enotconn)
{
	struct sockaddr_un n;
	socklen_t len = sizeof(n);
	int st = sock(SOCK_STREAM);
	CHECK_ERR(getpeername(st, (struct sockaddr *)&n, &len), ENOTCONN);
	int dg = sock(SOCK_DGRAM);
	CHECK_ERR(getpeername(dg, (struct sockaddr *)&n, &len), ENOTCONN);
	int sp = sock(SOCK_SEQPACKET);
	CHECK_ERR(getpeername(sp, (struct sockaddr *)&n, &len), ENOTCONN);
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "gp");
	CHECK_OK(bind(st, (struct sockaddr *)&a, alen));
	CHECK_ERR(getpeername(st, (struct sockaddr *)&n, &len), ENOTCONN);
	CHECK_OK(listen(st, 1));
	CHECK_ERR(getpeername(st, (struct sockaddr *)&n, &len), ENOTCONN);
	/* The listener's own name is intact. */
	CHECK_EQ(name_of(st, 0, &n, sizeof(n)), alen);
	CHECK_MEM(&n, &a, alen);
	/* After the peer of a stream socket closes, getpeername still works. */
	int c = sock(SOCK_STREAM);
	CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
	close(st);
	CHECK_EQ(name_of(c, 1, &n, sizeof(n)), alen);
	CHECK_MEM(&n, &a, alen);
}

CASE(autobind_passcred)
{
	/* unix(7): with SO_PASSCRED set, an unbound socket is autobound when it sends or
	 * connects. Setting the option alone does not bind. */
	struct sockaddr_un ra;
	socklen_t ralen = abstract_addr(&ra, "rcv");
	int r = sock(SOCK_DGRAM);
	CHECK_OK(bind(r, (struct sockaddr *)&ra, ralen));
	int s = sock(SOCK_DGRAM);
	CHECK_OK(setsockopt(s, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	struct sockaddr_un n;
	CHECK_EQ(name_of(s, 0, &n, sizeof(n)), sizeof(sa_family_t));
	CHECK_EQ(sendto(s, "c", 1, 0, (struct sockaddr *)&ra, ralen), 1);
	socklen_t len = name_of(s, 0, &n, sizeof(n));
	check_autobound(&n, len);
	/* The receiver sees the autobound name. */
	struct sockaddr_un from;
	memset(&from, 0xaa, sizeof(from));
	socklen_t flen = sizeof(from);
	char ch;
	CHECK_EQ(recvfrom(r, &ch, 1, 0, (struct sockaddr *)&from, &flen), 1);
	CHECK_EQ(flen, len);
	CHECK_MEM(&from, &n, len);
	/* Without SO_PASSCRED no autobind happens. */
	int u = sock(SOCK_DGRAM);
	CHECK_EQ(sendto(u, "c", 1, 0, (struct sockaddr *)&ra, ralen), 1);
	CHECK_EQ(name_of(u, 0, &n, sizeof(n)), sizeof(sa_family_t));
	/* dgram connect with SO_PASSCRED autobinds. */
	int dc = sock(SOCK_DGRAM);
	CHECK_OK(setsockopt(dc, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	CHECK_OK(connect(dc, (struct sockaddr *)&ra, ralen));
	len = name_of(dc, 0, &n, sizeof(n));
	check_autobound(&n, len);
	/* Stream connect with SO_PASSCRED autobinds; accept reports the name. */
	struct sockaddr_un la;
	socklen_t lalen = abstract_addr(&la, "lst");
	int l = sock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&la, lalen));
	CHECK_OK(listen(l, 2));
	int c = sock(SOCK_STREAM);
	CHECK_OK(setsockopt(c, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	CHECK_OK(connect(c, (struct sockaddr *)&la, lalen));
	len = name_of(c, 0, &n, sizeof(n));
	check_autobound(&n, len);
	struct sockaddr_un peer;
	memset(&peer, 0xaa, sizeof(peer));
	socklen_t plen = sizeof(peer);
	int a = (int)CHECK_OK(accept(l, (struct sockaddr *)&peer, &plen));
	CHECK_EQ(plen, len);
	CHECK_MEM(&peer, &n, len);
	struct sockaddr_un pn;
	CHECK_EQ(name_of(a, 1, &pn, sizeof(pn)), len);
	CHECK_MEM(&pn, &n, len);
	/* A socket bound before SO_PASSCRED keeps its name. */
	struct sockaddr_un ba;
	socklen_t balen = abstract_addr(&ba, "bound");
	int b = sock(SOCK_DGRAM);
	CHECK_OK(bind(b, (struct sockaddr *)&ba, balen));
	CHECK_OK(setsockopt(b, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	CHECK_EQ(sendto(b, "c", 1, 0, (struct sockaddr *)&ra, ralen), 1);
	CHECK_EQ(name_of(b, 0, &n, sizeof(n)), balen);
	CHECK_MEM(&n, &ba, balen);
}

CASE(accept_peer_address)
{
	struct sockaddr_un la;
	socklen_t lalen = path_addr(&la, "acc");
	int l = sock(SOCK_STREAM);
	CHECK_OK(bind(l, (struct sockaddr *)&la, lalen));
	CHECK_OK(listen(l, 4));
	/* Unnamed client: length 2, family only. */
	int c1 = sock(SOCK_STREAM);
	CHECK_OK(connect(c1, (struct sockaddr *)&la, lalen));
	unsigned char buf[sizeof(struct sockaddr_un) + 4];
	memset(buf, 0xaa, sizeof(buf));
	socklen_t len = sizeof(buf);
	CHECK_OK(accept(l, (struct sockaddr *)buf, &len));
	CHECK_EQ(len, sizeof(sa_family_t));
	CHECK_EQ(buf[2], 0xaa);
	/* Pathname client. */
	struct sockaddr_un cp;
	socklen_t cplen = path_addr(&cp, "cli");
	int c2 = sock(SOCK_STREAM);
	CHECK_OK(bind(c2, (struct sockaddr *)&cp, cplen));
	CHECK_OK(connect(c2, (struct sockaddr *)&la, lalen));
	memset(buf, 0xaa, sizeof(buf));
	len = sizeof(buf);
	int s2 = (int)CHECK_OK(accept(l, (struct sockaddr *)buf, &len));
	CHECK_EQ(len, cplen);
	CHECK_MEM(buf, &cp, cplen);
	CHECK_EQ(buf[cplen], 0xaa);
	/* The accepted socket's own name is the listener's. */
	struct sockaddr_un n;
	CHECK_EQ(name_of(s2, 0, &n, sizeof(n)), lalen);
	CHECK_MEM(&n, &la, lalen);
	/* A short address buffer: truncated, full length reported. */
	int c3 = sock(SOCK_STREAM);
	CHECK_OK(bind(c3, (struct sockaddr *)&(struct sockaddr_un){.sun_family = AF_UNIX},
	              sizeof(sa_family_t)));
	struct sockaddr_un c3n;
	socklen_t c3len = name_of(c3, 0, &c3n, sizeof(c3n));
	CHECK_OK(connect(c3, (struct sockaddr *)&la, lalen));
	memset(buf, 0xaa, sizeof(buf));
	len = 4;
	CHECK_OK(accept(l, (struct sockaddr *)buf, &len));
	CHECK_EQ(len, c3len);
	CHECK_MEM(buf, &c3n, 4);
	CHECK_EQ(buf[4], 0xaa);
}
