/* proc_shared.c: one AF_UNIX socket used concurrently by several processes: two writers on
 * one end (dgram and seqpacket records arrive whole and exactly once, in each writer's order;
 * a stream keeps each writer's bytes in order, which is all Linux promises for it), two
 * readers on one end (every record or byte goes to exactly one of them), accept() on one
 * listener from several processes (blocking, and nonblocking with poll), and poll/epoll
 * in one process woken by a write or close in another, including an epoll instance shared
 * by fork. */
#include "proc.h"

#include <stdint.h>
#include <sys/epoll.h>

/* ---- fixed-size records naming their writer and sequence number ---- */

#define REC_SIZE 300
#define NREC     600
#define REC_END  0xffffffffu

struct rec_hdr {
	uint32_t writer;
	uint32_t seq;
};

static void rec_fill(char *buf, uint32_t writer, uint32_t seq)
{
	struct rec_hdr h = {writer, seq};
	memcpy(buf, &h, sizeof(h));
	for (size_t i = sizeof(h); i < REC_SIZE; i++)
		buf[i] = (char)(writer * 131 + seq * 7 + i);
}

/* Receives one record; CHECKs it is whole and intact; returns its header. */
static struct rec_hdr rec_recv(int fd)
{
	char buf[REC_SIZE * 2], want[REC_SIZE];
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(fd, &m, 0), REC_SIZE);
	CHECK_EQ(m.msg_flags, 0);
	struct rec_hdr h;
	memcpy(&h, buf, sizeof(h));
	rec_fill(want, h.writer, h.seq);
	CHECK_MEM(buf, want, REC_SIZE);
	return h;
}

static void rec_send(int fd, uint32_t writer, uint32_t seq)
{
	char buf[REC_SIZE];
	rec_fill(buf, writer, seq);
	CHECK_EQ(send(fd, buf, REC_SIZE, 0), REC_SIZE);
}

static void write_records(int fd, uint32_t writer)
{
	for (uint32_t i = 0; i < NREC; i++)
		rec_send(fd, writer, i);
}

/* Parent (writer 0) and a child (writer 1) write to sv[0] at once; reader r reads sv[1]. */
static void two_writers(int type)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	pid_t r = proc_fork();
	if (r == 0) {
		close(sv[0]);
		uint32_t next[2] = {0, 0};
		for (int i = 0; i < 2 * NREC; i++) {
			struct rec_hdr h = rec_recv(sv[1]);
			CHECK(h.writer < 2);
			/* Each record once, each writer's in its order. */
			CHECK_EQ(h.seq, next[h.writer]);
			next[h.writer]++;
		}
		CHECK_EQ(next[0], NREC);
		CHECK_EQ(next[1], NREC);
		CHECK_POLL_MASK(sv[1], POLLIN, 0);
		_exit(0);
	}
	close(sv[1]);
	pid_t w = proc_fork();
	if (w == 0) {
		write_records(sv[0], 1);
		_exit(0);
	}
	write_records(sv[0], 0);
	proc_reap_exit(w, 0);
	proc_reap_exit(r, 0);
}

CASE(seqpacket_two_writers_one_reader)
{
	two_writers(SOCK_SEQPACKET);
}

CASE(dgram_two_writers_one_reader)
{
	two_writers(SOCK_DGRAM);
}

/* Stream: writer w's byte i is w * 128 + i % 128. */
#define STREAM_BYTES (256 * 1024)

static void write_stream(int fd, int w)
{
	char buf[8192];
	size_t off = 0, chunk = 1;
	while (off < STREAM_BYTES) {
		size_t n = chunk < STREAM_BYTES - off ? chunk : STREAM_BYTES - off;
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(w * 128 + (off + i) % 128);
		CHECK_EQ(write(fd, buf, n), n);
		off += n;
		chunk = chunk * 7 % sizeof(buf) + 1;
	}
}

CASE(stream_two_writers_one_reader)
{
	/* Concurrent writes to one stream socket may interleave (Linux documents no atomicity
	 * for them); what holds is that no byte is lost or repeated and each writer's bytes
	 * keep their order. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	pid_t r = proc_fork();
	if (r == 0) {
		close(sv[0]);
		size_t next[2] = {0, 0};
		unsigned char buf[4096];
		while (next[0] + next[1] < 2 * STREAM_BYTES) {
			ssize_t n = read(sv[1], buf, sizeof(buf));
			CHECK(n > 0);
			for (ssize_t i = 0; i < n; i++) {
				int w = buf[i] >> 7;
				if ((buf[i] & 127) != next[w] % 128)
					CHECK_EQ(buf[i], w * 128 + next[w] % 128);
				next[w]++;
			}
		}
		CHECK_EQ(next[0], STREAM_BYTES);
		CHECK_EQ(next[1], STREAM_BYTES);
		CHECK_POLL_MASK(sv[1], POLLIN, 0);
		_exit(0);
	}
	close(sv[1]);
	pid_t w = proc_fork();
	if (w == 0) {
		write_stream(sv[0], 1);
		_exit(0);
	}
	write_stream(sv[0], 0);
	proc_reap_exit(w, 0);
	proc_reap_exit(r, 0);
}

/* Reads records from @fd until the end marker; marks each in @seen; returns the count. A
 * reader's records come out of one queue, so their numbers only grow. */
static int read_until_end(int fd, unsigned char *seen)
{
	int n = 0;
	long last = -1;
	for (;;) {
		struct rec_hdr h = rec_recv(fd);
		CHECK_EQ(h.writer, 0);
		if (h.seq == REC_END)
			return n;
		CHECK(h.seq < NREC);
		CHECK((long)h.seq > last);
		last = h.seq;
		CHECK_EQ(seen[h.seq], 0);
		seen[h.seq] = 1;
		n++;
	}
}

/* Writer w sends NREC records and one end marker per reader; the parent and child r both
 * read sv[1]; r reports what it got through a pipe. */
static void two_readers(int type)
{
	int sv[2], rep[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	CHECK_OK(pipe(rep));
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	pid_t r = proc_fork();
	if (r == 0) {
		close(sv[0]);
		unsigned char seen[NREC] = {0};
		read_until_end(sv[1], seen);
		proc_put(rep[1], seen, sizeof(seen));
		_exit(0);
	}
	pid_t w = proc_fork();
	if (w == 0) {
		close(sv[1]);
		write_records(sv[0], 0);
		rec_send(sv[0], 0, REC_END);
		rec_send(sv[0], 0, REC_END);
		_exit(0);
	}
	close(sv[0]);
	unsigned char mine[NREC] = {0}, theirs[NREC];
	int n = read_until_end(sv[1], mine);
	proc_get(rep[0], theirs, sizeof(theirs));
	int total = n;
	for (int i = 0; i < NREC; i++) {
		total += theirs[i];
		/* Exactly one reader had record i. */
		CHECK_EQ(mine[i] + theirs[i], 1);
	}
	CHECK_EQ(total, NREC);
	proc_reap_exit(w, 0);
	proc_reap_exit(r, 0);
	CHECK_POLL_MASK(sv[1], POLLIN, type == SOCK_DGRAM ? 0 : POLLIN | POLLHUP);
}

CASE(seqpacket_two_readers_one_writer)
{
	two_readers(SOCK_SEQPACKET);
}

CASE(dgram_two_readers_one_writer)
{
	two_readers(SOCK_DGRAM);
}

/* Stream bytes for the two-reader case: byte i is (i * 31 + i / 256) % 256. */
static unsigned char stream_byte(size_t i)
{
	return (unsigned char)((i * 31 + i / 256) % 256);
}

static void read_histogram(int fd, uint64_t *hist)
{
	unsigned char buf[1000];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			hist[buf[i]]++;
	CHECK_EQ(n, 0);
}

CASE(stream_two_readers_one_writer)
{
	/* Both read until EOF; every byte went to exactly one of them: the byte counts of
	 * the two add up to what was written, value by value. */
	int sv[2], rep[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(rep));
	proc_rcvtimeo(sv[1], PROC_WAIT_MS);
	pid_t r = proc_fork();
	if (r == 0) {
		close(sv[0]);
		uint64_t hist[256] = {0};
		read_histogram(sv[1], hist);
		proc_put(rep[1], hist, sizeof(hist));
		_exit(0);
	}
	pid_t w = proc_fork();
	if (w == 0) {
		close(sv[1]);
		unsigned char buf[5000];
		for (size_t off = 0; off < STREAM_BYTES; off += sizeof(buf)) {
			size_t n =
			        STREAM_BYTES - off < sizeof(buf) ? STREAM_BYTES - off : sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = stream_byte(off + i);
			CHECK_EQ(write(sv[0], buf, n), n);
		}
		_exit(0); /* the last holder of sv[0]: EOF for both readers */
	}
	close(sv[0]);
	uint64_t mine[256] = {0}, theirs[256], want[256] = {0};
	read_histogram(sv[1], mine);
	proc_get(rep[0], theirs, sizeof(theirs));
	for (size_t i = 0; i < STREAM_BYTES; i++)
		want[stream_byte(i)]++;
	uint64_t total = 0;
	for (int v = 0; v < 256; v++) {
		CHECK_EQ(mine[v] + theirs[v], want[v]);
		total += mine[v] + theirs[v];
	}
	CHECK_EQ(total, STREAM_BYTES);
	proc_reap_exit(w, 0);
	proc_reap_exit(r, 0);
}

/* ---- accept() on one listener from several processes ---- */

#define ACCEPTORS 4
#define CONNS     16

struct acc_report {
	int32_t acceptor;
	int32_t id;
};

/* Child @idx: accepts until it gets a negative id (its quit); answers and reports each. */
static void acceptor(int l, int idx, int rep, int nonblocking)
{
	for (;;) {
		int s;
		if (nonblocking) {
			CHECK_EQ(proc_revents(l, POLLIN, PROC_WAIT_MS), POLLIN);
			s = accept(l, NULL, NULL);
			if (s < 0) {
				/* Another process took it between our poll and accept. */
				CHECK_EQ(errno, EAGAIN);
				continue;
			}
		} else {
			s = (int)CHECK_OK(accept(l, NULL, NULL)); /* SO_RCVTIMEO bounds it */
		}
		/* accept() does not pass O_NONBLOCK on to the new socket. */
		CHECK_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
		proc_rcvtimeo(s, PROC_WAIT_MS);
		int32_t id;
		CHECK_EQ(recv(s, &id, sizeof(id), MSG_WAITALL), sizeof(id));
		struct acc_report r = {idx, id};
		CHECK_EQ(send(s, &r, sizeof(r), 0), sizeof(r));
		proc_put(rep, &r, sizeof(r));
		close(s);
		if (id < 0)
			_exit(0);
	}
}

static void many_acceptors(int nonblocking)
{
	struct sockaddr_un a;
	socklen_t alen = proc_path_addr(&a, "acc");
	int l = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
	CHECK_OK(listen(l, 64));
	if (nonblocking)
		CHECK_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	else
		proc_rcvtimeo(l, PROC_WAIT_MS);
	int rep[2];
	CHECK_OK(pipe(rep));
	pid_t kids[ACCEPTORS];
	for (int k = 0; k < ACCEPTORS; k++) {
		kids[k] = proc_fork();
		if (kids[k] == 0) {
			close(rep[0]);
			acceptor(l, k, rep[1], nonblocking);
		}
	}
	close(rep[1]);
	/* All connections first (they wait in the backlog), then the answers. */
	int c[CONNS], who[CONNS];
	for (int32_t i = 0; i < CONNS; i++) {
		c[i] = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
		CHECK_OK(connect(c[i], (struct sockaddr *)&a, alen));
		proc_rcvtimeo(c[i], PROC_WAIT_MS);
		CHECK_EQ(send(c[i], &i, sizeof(i), 0), sizeof(i));
	}
	for (int i = 0; i < CONNS; i++) {
		struct acc_report r;
		CHECK_EQ(recv(c[i], &r, sizeof(r), MSG_WAITALL), sizeof(r));
		CHECK_EQ(r.id, i);
		CHECK(r.acceptor >= 0 && r.acceptor < ACCEPTORS);
		who[i] = r.acceptor;
		CHECK_EQ(recv(c[i], &r, sizeof(r), 0), 0);
		close(c[i]);
	}
	/* One quit per acceptor; each takes exactly one, then stops accepting. */
	int quits[ACCEPTORS] = {0};
	for (int32_t q = 0; q < ACCEPTORS; q++) {
		int s = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
		CHECK_OK(connect(s, (struct sockaddr *)&a, alen));
		proc_rcvtimeo(s, PROC_WAIT_MS);
		int32_t id = -1 - q;
		CHECK_EQ(send(s, &id, sizeof(id), 0), sizeof(id));
		struct acc_report r;
		CHECK_EQ(recv(s, &r, sizeof(r), MSG_WAITALL), sizeof(r));
		CHECK_EQ(r.id, id);
		CHECK(r.acceptor >= 0 && r.acceptor < ACCEPTORS);
		quits[r.acceptor]++;
		close(s);
	}
	for (int k = 0; k < ACCEPTORS; k++) {
		CHECK_EQ(quits[k], 1);
		proc_reap_exit(kids[k], 0);
	}
	/* The reports agree with the answers: each connection accepted by exactly one. */
	int seen[CONNS] = {0};
	for (int i = 0; i < CONNS + ACCEPTORS; i++) {
		struct acc_report r;
		proc_get(rep[0], &r, sizeof(r));
		if (r.id < 0)
			continue;
		CHECK(r.id < CONNS);
		CHECK_EQ(seen[r.id], 0);
		seen[r.id] = 1;
		CHECK_EQ(r.acceptor, who[r.id]);
	}
	char x;
	CHECK_EQ(read(rep[0], &x, 1), 0);
	/* The listener is still ours, with nothing pending. */
	CHECK_POLL_MASK(l, POLLIN, 0);
	int c2 = (int)CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c2, (struct sockaddr *)&a, alen));
	int s2 = proc_accept(l, NULL, NULL);
	CHECK_EQ(send(c2, "z", 1, 0), 1);
	CHECK_EQ(recv(s2, &x, 1, 0), 1);
	CHECK_EQ(x, 'z');
}

CASE(accept_in_several_processes)
{
	many_acceptors(0);
}

CASE(nonblocking_accept_with_poll_in_several_processes)
{
	many_acceptors(1);
}

/* ---- poll and epoll woken from another process ---- */

CASE(poll_woken_by_write_in_child)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		proc_wait_blocked(parent);
		CHECK_EQ(send(sv[1], "wake", 4, 0), 4);
		_exit(0);
	}
	CHECK_POLL_MASK(sv[0], POLLIN, 0);
	struct pollfd p = {.fd = sv[0], .events = POLLIN | POLLRDHUP};
	CHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
	CHECK_EQ(p.revents, POLLIN);
	char b[8];
	CHECK_EQ(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), 4);
	CHECK_MEM(b, "wake", 4);
	proc_reap_exit(pid, 0);
}

CASE(poll_woken_by_close_in_child)
{
	/* The child holds the last copy of sv[1] and closes it (it lives on). */
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(go));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		proc_wait_blocked(parent);
		CHECK_OK(close(sv[1]));
		proc_await(go[0]);
		_exit(0);
	}
	close(sv[1]);
	struct pollfd p = {.fd = sv[0], .events = POLLIN | POLLRDHUP};
	CHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
	CHECK_EQ(p.revents, POLLIN | POLLHUP | POLLRDHUP);
	/* The child is still alive (it waits for go): its close did it, not an exit. */
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
}

CASE(epoll_woken_by_write_in_child)
{
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	CHECK_OK(pipe(go));
	pid_t parent = getpid();
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(sv[0]);
		proc_wait_blocked(parent);
		CHECK_EQ(send(sv[1], "wake", 4, 0), 4);
		proc_await(go[0]);
		_exit(0);
	}
	close(sv[1]);
	int ep = (int)CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = 0x5eed};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, PROC_WAIT_MS), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 0x5eed);
	char b[8];
	CHECK_EQ(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), 4);
	CHECK_MEM(b, "wake", 4);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	/* The child's exit closed the last copy of sv[1]. */
	CHECK_EQ(epoll_wait(ep, out, 4, PROC_WAIT_MS), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLHUP | EPOLLRDHUP);
}

CASE(epoll_created_before_fork_waited_in_child)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	pid_t pid = proc_fork();
	if (pid == 0) {
		struct epoll_event out[4];
		CHECK_EQ(epoll_wait(ep, out, 4, PROC_WAIT_MS), 1);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u64, 0x1234);
		char b[8];
		CHECK_EQ(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), 4);
		CHECK_MEM(b, "data", 4);
		CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
		_exit(0);
	}
	proc_wait_blocked(pid);
	CHECK_EQ(send(sv[0], "data", 4, 0), 4);
	proc_reap_exit(pid, 0);
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
}

CASE(epoll_instance_shared_across_fork)
{
	/* The instance is one open file: what the child adds, the parent sees, and may
	 * modify or delete through its own descriptors of the same files. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = (int)CHECK_OK(epoll_create1(0));
	pid_t pid = proc_fork();
	if (pid == 0) {
		struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 7};
		CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
		_exit(0);
	}
	proc_reap_exit(pid, 0);
	struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 8}, out[4];
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), EEXIST);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	CHECK_EQ(out[0].data.u64, 7);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].data.u64, 8);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
}

CASE(epoll_reports_socket_closed_here_but_open_in_child)
{
	/* epoll watches the open file, not the descriptor: after the parent closes its only
	 * descriptor of sv[1], the registration stays while the child holds a copy, and can no
	 * longer be deleted by fd. It goes when the last copy goes. */
	int sv[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(go));
	int ep = (int)CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out[4];
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	pid_t pid = proc_fork();
	if (pid == 0) {
		close(ep);
		close(sv[0]);
		proc_await(go[0]);
		_exit(0); /* holds sv[1] until here */
	}
	int gone = sv[1];
	CHECK_OK(close(sv[1]));
	CHECK_EQ(send(sv[0], "q", 1, MSG_NOSIGNAL), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 42);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, gone, NULL), EBADF);
	proc_tell(go[1]);
	proc_reap_exit(pid, 0);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
}
