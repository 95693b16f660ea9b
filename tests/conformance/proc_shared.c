/* proc_shared.c: one AF_UNIX socket used concurrently by several processes: two writers on
 * one end (dgram and seqpacket records arrive whole and exactly once, in each writer's order;
 * a stream keeps each writer's bytes in order, which is all Linux promises for it), two
 * readers on one end (every record or byte goes to exactly one of them), and two processes
 * both writing and reading one end at once against an echo on the other. */
#include "proc.h"

#include <stdint.h>

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

/* CHECKs that @buf holds one whole, intact record; returns its header. */
static struct rec_hdr rec_check(const char *buf, ssize_t len, int flags)
{
	char want[REC_SIZE];
	CHECK_EQ(len, REC_SIZE);
	CHECK_EQ(flags, 0);
	struct rec_hdr h;
	memcpy(&h, buf, sizeof(h));
	rec_fill(want, h.writer, h.seq);
	CHECK_MEM(buf, want, REC_SIZE);
	return h;
}

/* Receives one record (blocking); returns its header. */
static struct rec_hdr rec_recv(int fd)
{
	char buf[REC_SIZE * 2];
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	ssize_t n = recvmsg(fd, &m, 0);
	return rec_check(buf, n, m.msg_flags);
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

/* ---- two processes writing and reading one end at once ---- */

/* Writer @w's loop on @fd: sends its NREC records and takes whatever echoes arrive (either
 * process may get any echo), until it receives an end marker. Nonblocking calls driven by
 * poll, so that neither direction can stall the other; EAGAIN means the other process got
 * there first. Marks each echo in seen[writer][seq]. */
static void duplex(int fd, uint32_t w, unsigned char (*seen)[NREC])
{
	uint32_t sent = 0;
	long last[2] = {-1, -1};
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN | (sent < NREC ? POLLOUT : 0)};
		CHECK_EQ(poll(&p, 1, PROC_WAIT_MS), 1);
		CHECK_EQ(p.revents & ~(POLLIN | POLLOUT), 0);
		if (p.revents & POLLIN) {
			char buf[REC_SIZE * 2];
			struct iovec v = {buf, sizeof(buf)};
			struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
			ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
			if (n < 0) {
				CHECK_EQ(errno, EAGAIN);
			} else {
				struct rec_hdr h = rec_check(buf, n, m.msg_flags);
				if (h.seq == REC_END) {
					/* The echo ends after both writers' records. */
					CHECK_EQ(sent, NREC);
					return;
				}
				CHECK(h.writer < 2 && h.seq < NREC);
				CHECK_EQ(seen[h.writer][h.seq], 0);
				seen[h.writer][h.seq] = 1;
				/* One queue: each writer's echoes come in its order. */
				CHECK((long)h.seq > last[h.writer]);
				last[h.writer] = h.seq;
			}
		}
		if (sent < NREC && (p.revents & POLLOUT)) {
			char buf[REC_SIZE];
			rec_fill(buf, w, sent);
			ssize_t n = send(fd, buf, REC_SIZE, MSG_DONTWAIT);
			if (n < 0) {
				CHECK_EQ(errno, EAGAIN);
			} else {
				CHECK_EQ(n, REC_SIZE);
				sent++;
			}
		}
	}
}

static void both_read_and_write(int type)
{
	int sv[2], rep[2], go[2];
	CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
	CHECK_OK(pipe(rep));
	CHECK_OK(pipe(go));
	pid_t echo = proc_fork();
	if (echo == 0) {
		close(sv[0]);
		proc_rcvtimeo(sv[1], PROC_WAIT_MS);
		for (int i = 0; i < 2 * NREC; i++) {
			char buf[REC_SIZE * 2];
			ssize_t n = recv(sv[1], buf, sizeof(buf), 0);
			CHECK_EQ(n, REC_SIZE);
			CHECK_EQ(send(sv[1], buf, REC_SIZE, 0), REC_SIZE);
		}
		rec_send(sv[1], 0, REC_END);
		rec_send(sv[1], 0, REC_END);
		proc_await(go[0]); /* no hang-up while the others read */
		_exit(0);
	}
	close(sv[1]);
	pid_t pid = proc_fork();
	if (pid == 0) {
		static unsigned char seen[2][NREC];
		duplex(sv[0], 1, seen);
		proc_put(rep[1], seen, sizeof(seen));
		_exit(0);
	}
	static unsigned char mine[2][NREC], theirs[2][NREC];
	duplex(sv[0], 0, mine);
	proc_get(rep[0], theirs, sizeof(theirs));
	for (int w = 0; w < 2; w++)
		for (int i = 0; i < NREC; i++)
			if (mine[w][i] + theirs[w][i] != 1)
				CHECK_EQ(mine[w][i] + theirs[w][i], 1);
	proc_reap_exit(pid, 0);
	proc_tell(go[1]);
	proc_reap_exit(echo, 0);
}

CASE(seqpacket_both_processes_read_and_write_one_end)
{
	both_read_and_write(SOCK_SEQPACKET);
}

CASE(dgram_both_processes_read_and_write_one_end)
{
	both_read_and_write(SOCK_DGRAM);
}
