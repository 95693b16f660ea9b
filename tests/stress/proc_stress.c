/* proc_stress.c: AF_UNIX sockets shared across fork(), with processes SIGKILLed at random
 * moments while they use them.
 *
 * Plain socket API only: it runs against the kernel as is, and against usock under
 * `usock run --families unix --` (where the sockets are shared across fork by usock).
 *
 * The coordinator (the first process) makes the shared sockets: for each survivor i a ring
 * link to survivor i+1 made of a stream, a seqpacket and a dgram socketpair, and a listening
 * pathname socket. It forks --survivors survivors, then keeps --victims victims running until
 * --seconds have passed, each SIGKILLed 0-5 ms after it starts, and reaped.
 *
 * Survivors send sequence-numbered, checksummed records around the ring on all three kinds,
 * and survivors 1.. also over a connection to the listener, which survivor 0 accepts and
 * drains. Victims inherit every shared socket and contend for the same sockets and stack,
 * but never take survivors' data: they poll, dup, MSG_PEEK, getsockopt and close their own
 * copies of survivors' sockets; they read and write only sockets they made after fork and
 * the coordinator's per-victim socketpairs; they connect to the shared listener (survivor 0
 * takes those connections apart from the survivors' by their first byte); they never read,
 * write, shutdown or accept on a survivor socket.
 *
 * Checked: every record arrives exactly once, in order, intact (END records carry the
 * count); nothing is left in a ring socket afterwards; no survivor and no coordinator call
 * hangs (everything has a timeout; a stall is reported as a lock left held by a killed
 * process); a socket whose last holder was SIGKILLed is released: the coordinator's ends of
 * each victim's socketpairs read EOF (dgram: ECONNREFUSED), survivor 0 reads EOF on every
 * victim connection, a victim's own listener refuses connections, and once survivors are
 * gone and the coordinator closes its copies, the ring sockets (which victims held copies
 * of) read EOF / refuse and the shared listener refuses.
 *
 * On success one summary line on stdout; on a violation a line starting "proc_stress: FAIL"
 * on stderr and exit status 1. The seed is printed either way; --seed repeats the random
 * choices (not the scheduling). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SURV    8
#define MAX_VICT    8
#define KILL_MAX_US 5000 /* a victim is killed 0..KILL_MAX_US after it starts */

/* ---- options ---- */

struct options {
	double seconds; /* of victim killing; the drain comes after */
	uint64_t seed;
	int survivors;
	int victims;  /* running at a time */
	double stall; /* seconds without progress that count as a hang */
	int verbose;
	int inject; /* a deliberate fault, to see the checks catch it */
};

enum inject { INJ_NONE, INJ_STEAL, INJ_WRITE, INJ_LEAK, INJ_HANG };
static const char *const inject_names[] = {"none", "steal", "write", "leak", "hang"};

static struct options opt = {
        .seconds = 8,
        .survivors = 3,
        .victims = 2,
        .stall = 5,
};

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rnd(uint64_t *s, unsigned n)
{
	return (unsigned)(splitmix(s) % n);
}

static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Async-signal-safe output: a watchdog handler uses it. */
static void say(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(2, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- the sockets ---- */

enum kind { K_STREAM, K_SEQPACKET, K_DGRAM, NKIND };
static const int kind_type[NKIND] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
static const char *const kind_name[NKIND] = {"stream", "seqpacket", "dgram"};
#define CH_LISTEN NKIND /* channel number of a survivor's connection to the listener */

/* ring[i][k]: survivor i writes [0], survivor (i+1) % n reads [1]. */
static int ring[MAX_SURV][NKIND][2];
static int listen_fd = -1;
static char tmp_dir[64];
static struct sockaddr_un listen_addr;

/* ---- records ---- */

#define REC_MAGIC          0x52454331u /* "REC1" */
#define END_MAGIC          0x454e4431u /* "END1": seq = number of records sent before it */
#define MAX_PAYLOAD_STREAM 2048
#define MAX_PAYLOAD_PACKET 1024
#define MAX_PAYLOAD_DGRAM  512

struct rec_hdr {
	uint32_t magic;
	uint16_t sender;
	uint16_t chan;
	uint64_t seq;
	uint32_t len; /* payload bytes after the header */
	uint32_t sum; /* FNV-1a of the header (sum 0) and the payload */
};
#define HDR     sizeof(struct rec_hdr)
#define MAX_REC (HDR + MAX_PAYLOAD_STREAM)

static uint32_t rec_sum(const struct rec_hdr *h, const uint8_t *payload)
{
	struct rec_hdr c = *h;
	c.sum = 0;
	return fnv1a(fnv1a(2166136261u, &c, HDR), payload, h->len);
}

/* Builds a record (or an END) into @buf; returns its size. */
static size_t rec_build(uint8_t *buf, uint32_t magic, int sender, int chan, uint64_t seq,
                        uint32_t len)
{
	struct rec_hdr h = {magic, (uint16_t)sender, (uint16_t)chan, seq, len, 0};
	uint64_t s = seq * 0x9e3779b97f4a7c15ull ^ (uint64_t)sender << 40 ^ (uint64_t)chan << 32;
	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix(&s);
		memcpy(buf + HDR + i, &v, len - i < 8 ? len - i : 8);
	}
	h.sum = rec_sum(&h, buf + HDR);
	memcpy(buf, &h, HDR);
	return HDR + len;
}

/* ---- state shared by all processes (an anonymous MAP_SHARED mapping) ---- */

enum phase { PH_RUN, PH_DRAIN };

/* What a survivor is doing, for a hang report: a string literal (same address in every
 * forked process) and the channel. */
struct surv_state {
	_Atomic uint64_t progress_ns; /* last record sent or received */
	_Atomic(const char *) op;
	_Atomic int op_chan, op_peer;
	_Atomic uint64_t sent, received;                          /* records, END not counted */
	_Atomic uint64_t victim_conns, victim_eofs, victim_bytes; /* survivor 0 */
	_Atomic int open_conns; /* survivor 0: listener connections without EOF yet */
	_Atomic int unfinished; /* channels without their END (or EOF) yet */
	_Atomic int finished;
	char failure[512];
};

struct shared {
	_Atomic int phase;
	_Atomic uint64_t victim_ops;
	struct surv_state surv[MAX_SURV];
};

static struct shared *sh;

/* ---- processes, watchdog, failure ---- */

static pid_t surv_pid[MAX_SURV];
static const char *role = "coordinator";
static const char *volatile coord_op = "starting"; /* what the coordinator is doing */

struct victim {
	pid_t pid;
	long serial;
	int started;
	uint64_t fork_ns, kill_ns;
	int pfd[NKIND]; /* the coordinator's ends of this victim's socketpairs */
	int vfd[NKIND]; /* the victim's ends (closed in the coordinator after fork) */
};
static struct victim vict[MAX_VICT];

static void kill_children(void)
{
	for (int i = 0; i < MAX_SURV; i++)
		if (surv_pid[i] > 0)
			kill(surv_pid[i], SIGKILL);
	for (int i = 0; i < MAX_VICT; i++)
		if (vict[i].pid > 0)
			kill(vict[i].pid, SIGKILL);
}

static void cleanup_dir(void)
{
	if (!tmp_dir[0])
		return;
	DIR *d = opendir(tmp_dir);
	if (d) {
		struct dirent *e;
		char p[sizeof(tmp_dir) + 300];
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(p, sizeof(p), "%s/%s", tmp_dir, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(tmp_dir);
}

/* A violation: in the coordinator it ends the run; in a survivor it is recorded for the
 * coordinator and the survivor exits 1. */
__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "proc_stress: FAIL (%s): %s\n", role, msg);
	if (strcmp(role, "coordinator") == 0) {
		kill_children();
		for (int i = 0; i < MAX_SURV; i++)
			if (surv_pid[i] > 0)
				waitpid(surv_pid[i], NULL, 0);
		for (int i = 0; i < MAX_VICT; i++)
			if (vict[i].pid > 0)
				waitpid(vict[i].pid, NULL, 0);
		cleanup_dir();
		fprintf(stderr,
		        "proc_stress: reproduce the random choices with --seed %" PRIu64 "\n",
		        opt.seed);
		exit(1);
	}
	fflush(stderr);
	_exit(1);
}

/* The coordinator's watchdog: a blocking call that never returns is a hang. */
static void coord_alarm(int sig)
{
	say("proc_stress: FAIL (coordinator): HANG: stuck in ");
	say(coord_op);
	say(" past the run's time budget: a lock left held by a killed process?\n");
	kill_children();
	_exit(1);
}

static void surv_alarm(int sig)
{
	say("proc_stress: FAIL (");
	say(role);
	say("): HANG: past the run's time budget\n");
	_exit(1);
}

static void child_setup(const char *name, void (*alarm_handler)(int), unsigned alarm_s)
{
	role = name;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	struct sigaction sa = {.sa_handler = alarm_handler};
	sigaction(SIGALRM, &sa, NULL);
	alarm(alarm_s);
}

/* ---- survivors ---- */

struct tx {
	int fd, kind, chan, peer;
	uint64_t next_seq;
	uint8_t buf[MAX_REC];
	size_t len, off; /* the record being sent; len 0: none */
	int end_queued, end_sent;
};

struct rx {
	int fd, kind, chan;
	int sender; /* -1: a listener connection not yet identified */
	int victim; /* a victim's connection: drained to EOF, not checked */
	uint64_t expect;
	uint8_t *buf;
	size_t have, cap;
	int got_end, got_eof;
};

struct survivor {
	int me;
	struct surv_state *st;
	struct tx tx[NKIND + 1];
	int ntx;
	struct rx *rx;
	int nrx, maxrx;
	int listen;     /* survivor 0 only */
	int surv_conns; /* survivor 0: survivors' listener connections ended properly */
	uint64_t seed;
};

static void surv_op(struct survivor *s, const char *op, int chan, int peer)
{
	atomic_store_explicit(&s->st->op, op, memory_order_relaxed);
	atomic_store_explicit(&s->st->op_chan, chan, memory_order_relaxed);
	atomic_store_explicit(&s->st->op_peer, peer, memory_order_relaxed);
}

static void surv_progress(struct survivor *s)
{
	atomic_store_explicit(&s->st->progress_ns, now_ns(), memory_order_relaxed);
}

__attribute__((format(printf, 2, 3), noreturn)) static void surv_fail(struct survivor *s,
                                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->st->failure, sizeof(s->st->failure), fmt, ap);
	va_end(ap);
	_exit(1); /* the coordinator reports it */
}

static const char *chan_name(int chan)
{
	return chan == CH_LISTEN ? "listener connection" : kind_name[chan];
}

static uint32_t max_payload(int kind)
{
	return kind == K_STREAM      ? MAX_PAYLOAD_STREAM
	       : kind == K_SEQPACKET ? MAX_PAYLOAD_PACKET
	                             : MAX_PAYLOAD_DGRAM;
}

/* Makes the next record of @t, or its END once the run drains. */
static void tx_next(struct survivor *s, struct tx *t, int draining)
{
	if (t->len || t->end_queued)
		return;
	if (draining) {
		t->len = rec_build(t->buf, END_MAGIC, s->me, t->chan, t->next_seq, 0);
		t->end_queued = 1;
	} else {
		uint32_t len = rnd(&s->seed, max_payload(t->kind) + 1);
		t->len = rec_build(t->buf, REC_MAGIC, s->me, t->chan, t->next_seq, len);
	}
	t->off = 0;
}

/* Sends what the socket takes now. */
static void tx_pump(struct survivor *s, struct tx *t, int draining)
{
	for (int n = 0; n < 16; n++) {
		tx_next(s, t, draining);
		if (!t->len)
			return;
		surv_op(s, "send()", t->chan, t->peer);
		ssize_t w =
		        send(t->fd, t->buf + t->off, t->len - t->off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN)
				return;
			surv_fail(s, "send() on the %s to survivor %d: %s", chan_name(t->chan),
			          t->peer, strerror(errno));
		}
		if (t->kind != K_STREAM && (size_t)w != t->len)
			surv_fail(s, "send() of a %zu-byte %s record sent %zd", t->len,
			          chan_name(t->chan), w);
		t->off += (size_t)w;
		if (t->off < t->len)
			continue;
		if (t->end_queued) {
			t->end_sent = 1;
		} else {
			t->next_seq++;
			atomic_fetch_add_explicit(&s->st->sent, 1, memory_order_relaxed);
		}
		t->len = 0;
		surv_progress(s);
		if (t->end_sent)
			return;
	}
}

/* Checks one whole record from @r's sender. */
static void rx_record(struct survivor *s, struct rx *r, const uint8_t *p, size_t n)
{
	struct rec_hdr h;
	memcpy(&h, p, HDR);
	const char *what = chan_name(r->chan);
	if (r->got_end)
		surv_fail(s, "%s from survivor %d: data after its END record", what, r->sender);
	if (h.magic != REC_MAGIC && h.magic != END_MAGIC)
		surv_fail(s, "%s from survivor %d: bad magic %#x after record %" PRIu64, what,
		          r->sender, h.magic, r->expect);
	if (h.len > max_payload(r->kind) || HDR + h.len != n)
		surv_fail(s, "%s from survivor %d: record %" PRIu64 " length %u in %zu bytes", what,
		          r->sender, h.seq, h.len, n);
	if (h.sum != rec_sum(&h, p + HDR))
		surv_fail(s, "%s from survivor %d: record %" PRIu64 " corrupt (checksum)", what,
		          r->sender, h.seq);
	if (h.sender != r->sender || h.chan != r->chan)
		surv_fail(s, "%s from survivor %d: a record of survivor %u's %s", what, r->sender,
		          h.sender, chan_name(h.chan));
	if (h.seq != r->expect)
		surv_fail(s, "%s from survivor %d: %s %" PRIu64 " where %" PRIu64 " was due (%s)",
		          what, r->sender, h.magic == END_MAGIC ? "END after" : "record", h.seq,
		          r->expect,
		          h.magic == END_MAGIC ? "records lost or duplicated"
		          : h.seq < r->expect  ? "duplicated or reordered"
		                               : "lost or reordered");
	if (h.magic == END_MAGIC) {
		r->got_end = 1;
	} else {
		r->expect++;
		atomic_fetch_add_explicit(&s->st->received, 1, memory_order_relaxed);
	}
	surv_progress(s);
}

/* Stream framing: the first byte of a listener connection says who connected. */
static void rx_parse_stream(struct survivor *s, struct rx *r)
{
	size_t off = 0;
	if (r->sender < 0 && !r->victim && r->have >= 1) {
		if (r->buf[0] == 'V') {
			r->victim = 1;
		} else if (r->buf[0] == 'S' && r->have >= 2) {
			if (r->buf[1] < 1 || r->buf[1] >= opt.survivors)
				surv_fail(s, "listener connection says it is survivor %d",
				          r->buf[1]);
			r->sender = r->buf[1];
			off = 2;
		} else if (r->buf[0] != 'S') {
			surv_fail(s, "listener connection starts with byte %#x", r->buf[0]);
		}
	}
	if (r->victim) {
		atomic_fetch_add_explicit(&s->st->victim_bytes, r->have, memory_order_relaxed);
		r->have = 0;
		return;
	}
	if (r->sender < 0)
		return;
	while (r->have - off >= HDR) {
		struct rec_hdr h;
		memcpy(&h, r->buf + off, HDR);
		if (h.len > max_payload(K_STREAM))
			surv_fail(s,
			          "%s from survivor %d: the header where record %" PRIu64
			          " was due says length %u (the stream is out of step: bytes "
			          "lost or foreign)",
			          chan_name(r->chan), r->sender, r->expect, h.len);
		if (r->have - off < HDR + h.len)
			break;
		rx_record(s, r, r->buf + off, HDR + h.len);
		off += HDR + h.len;
	}
	memmove(r->buf, r->buf + off, r->have - off);
	r->have -= off;
}

static void rx_eof(struct survivor *s, struct rx *r)
{
	r->got_eof = 1;
	if (r->victim || (r->sender < 0 && r->have == 0)) {
		r->victim = 1; /* a victim killed before it wrote */
		atomic_fetch_add_explicit(&s->st->victim_eofs, 1, memory_order_relaxed);
		return;
	}
	if (!r->got_end)
		surv_fail(s,
		          "%s from survivor %d: EOF before its END record (after %" PRIu64
		          " records, %zu bytes pending)",
		          chan_name(r->chan), r->sender, r->expect, r->have);
	if (r->have)
		surv_fail(s, "%s from survivor %d: %zu stray bytes after END", chan_name(r->chan),
		          r->sender, r->have);
	s->surv_conns++;
}

static void rx_pump(struct survivor *s, struct rx *r)
{
	for (int n = 0; n < 16 && !r->got_eof; n++) {
		surv_op(s, "recv()", r->chan, r->sender);
		ssize_t got = recv(r->fd, r->buf + r->have, r->cap - r->have, MSG_DONTWAIT);
		if (got < 0) {
			if (errno == EAGAIN)
				return;
			surv_fail(s, "recv() on the %s from survivor %d: %s", chan_name(r->chan),
			          r->sender, strerror(errno));
		}
		if (r->kind != K_STREAM) {
			if (got == 0 && r->kind == K_SEQPACKET)
				surv_fail(s,
				          "seqpacket from survivor %d: EOF while the coordinator "
				          "holds a copy of the sending end",
				          r->sender);
			if ((size_t)got < HDR)
				surv_fail(s, "%s from survivor %d: a %zd-byte message",
				          chan_name(r->chan), r->sender, got);
			rx_record(s, r, r->buf, (size_t)got);
			continue;
		}
		if (got == 0) {
			rx_eof(s, r);
			return;
		}
		r->have += (size_t)got;
		rx_parse_stream(s, r);
		if (r->have == r->cap)
			surv_fail(s, "stream reassembly buffer full (%zu bytes)", r->cap);
	}
}

static struct rx *rx_add(struct survivor *s, int fd, int kind, int chan, int sender)
{
	if (s->nrx == s->maxrx)
		return NULL;
	struct rx *r = &s->rx[s->nrx++];
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->kind = kind;
	r->chan = chan;
	r->sender = sender;
	r->cap = kind == K_STREAM ? 4 * MAX_REC : MAX_REC + 64;
	r->buf = malloc(r->cap);
	if (!r->buf)
		surv_fail(s, "out of memory");
	return r;
}

/* Drops finished listener connections (EOF seen) from the array. */
static void rx_compact(struct survivor *s)
{
	int j = 0;
	for (int i = 0; i < s->nrx; i++) {
		struct rx *r = &s->rx[i];
		if (r->chan == CH_LISTEN && r->got_eof) {
			surv_op(s, "close()", r->chan, r->sender);
			close(r->fd);
			free(r->buf);
			continue;
		}
		s->rx[j++] = *r;
	}
	s->nrx = j;
}

/* Survivor 0: takes what the listener has. Returns how many it took. */
static int accept_some(struct survivor *s)
{
	int n = 0;
	while (n < 16 && s->nrx < s->maxrx) {
		surv_op(s, "accept()", CH_LISTEN, -1);
		int fd = accept4(s->listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == ECONNABORTED)
				break;
			surv_fail(s, "accept() on the listener: %s", strerror(errno));
		}
		rx_add(s, fd, K_STREAM, CH_LISTEN, -1);
		atomic_fetch_add_explicit(&s->st->victim_conns, 1, memory_order_relaxed);
		n++;
	}
	return n;
}

/* Done when the run drains, every END went out and every channel in ended; survivor 0
 * also needs every survivor's listener connection ended properly, every other connection
 * (a victim's) at EOF, and nothing left in the listener's queue. */
static int survivor_done(struct survivor *s, int draining)
{
	int unfinished = 0, open = 0;
	for (int i = 0; i < s->ntx; i++)
		unfinished += !s->tx[i].end_sent;
	for (int i = 0; i < s->nrx; i++) {
		struct rx *r = &s->rx[i];
		if (r->chan == CH_LISTEN)
			open += !r->got_eof;
		else
			unfinished += !r->got_end;
	}
	if (s->listen >= 0)
		unfinished += opt.survivors - 1 - s->surv_conns;
	atomic_store_explicit(&s->st->unfinished, unfinished, memory_order_relaxed);
	atomic_store_explicit(&s->st->open_conns, open, memory_order_relaxed);
	if (!draining || unfinished || open)
		return 0;
	if (s->listen < 0)
		return 1;
	struct pollfd p = {s->listen, POLLIN, 0};
	surv_op(s, "poll()", CH_LISTEN, -1);
	return poll(&p, 1, 0) == 0;
}

static void survivor_main(int me)
{
	struct survivor s = {.me = me, .st = &sh->surv[me], .listen = -1, .maxrx = 512};
	char name[32];
	snprintf(name, sizeof(name), "survivor %d", me);
	unsigned budget = (unsigned)(opt.seconds + 6 * opt.stall + 30);
	child_setup(strdup(name), surv_alarm, budget);
	s.seed = opt.seed ^ (0x5157ull << 48) ^ (uint64_t)me;
	s.rx = calloc((size_t)s.maxrx, sizeof(*s.rx));
	int n = opt.survivors, prev = (me + n - 1) % n;
	/* Keep only this survivor's ends: its ring link out, its ring link in, the listener. */
	for (int i = 0; i < n; i++)
		for (int k = 0; k < NKIND; k++) {
			if (i != me)
				close(ring[i][k][0]);
			if (i != prev)
				close(ring[i][k][1]);
		}
	for (int k = 0; k < NKIND; k++) {
		struct tx *t = &s.tx[s.ntx++];
		*t = (struct tx){.fd = ring[me][k][0], .kind = k, .chan = k, .peer = (me + 1) % n};
		rx_add(&s, ring[prev][k][1], k, k, prev);
	}
	if (me == 0) {
		s.listen = listen_fd;
		set_nonblock(s.listen);
	} else {
		close(listen_fd);
		surv_op(&s, "connect()", CH_LISTEN, 0);
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0)
			surv_fail(&s, "connect() to the listener: %s", strerror(errno));
		uint8_t hello[2] = {'S', (uint8_t)me};
		if (send(c, hello, 2, MSG_NOSIGNAL) != 2)
			surv_fail(&s, "send() of the hello to the listener: %s", strerror(errno));
		set_nonblock(c);
		s.tx[s.ntx++] =
		        (struct tx){.fd = c, .kind = K_STREAM, .chan = CH_LISTEN, .peer = 0};
	}
	surv_progress(&s);
	if (opt.inject == INJ_HANG && me == 1)
		pause();
	struct pollfd *pfd = calloc((size_t)s.maxrx + NKIND + 2, sizeof(*pfd));
	int listen_closed_tx = 0;
	for (;;) {
		int draining = atomic_load(&sh->phase) == PH_DRAIN;
		for (int i = 0; i < s.ntx; i++)
			if (!s.tx[i].end_sent)
				tx_pump(&s, &s.tx[i], draining);
		/* The END is on its way: closing the connection lets survivor 0 see EOF. */
		if (me != 0 && !listen_closed_tx && s.tx[NKIND].end_sent) {
			surv_op(&s, "close()", CH_LISTEN, 0);
			close(s.tx[NKIND].fd);
			listen_closed_tx = 1;
		}
		for (int i = 0; i < s.nrx; i++)
			rx_pump(&s, &s.rx[i]);
		if (s.listen >= 0) {
			accept_some(&s);
			rx_compact(&s);
		}
		if (survivor_done(&s, draining))
			break;
		int np = 0;
		for (int i = 0; i < s.ntx; i++)
			if (!s.tx[i].end_sent && !(i == NKIND && listen_closed_tx))
				pfd[np++] = (struct pollfd){s.tx[i].fd, POLLOUT, 0};
		for (int i = 0; i < s.nrx; i++)
			if (!s.rx[i].got_eof)
				pfd[np++] = (struct pollfd){s.rx[i].fd, POLLIN, 0};
		if (s.listen >= 0 && s.nrx < s.maxrx)
			pfd[np++] = (struct pollfd){s.listen, POLLIN, 0};
		surv_op(&s, "poll()", -1, -1);
		if (poll(pfd, (nfds_t)np, 100) < 0 && errno != EINTR)
			surv_fail(&s, "poll(): %s", strerror(errno));
	}
	surv_op(&s, "close()", -1, -1);
	for (int i = 0; i < s.ntx; i++)
		if (!(i == NKIND && listen_closed_tx))
			close(s.tx[i].fd);
	for (int i = 0; i < s.nrx; i++)
		close(s.rx[i].fd);
	if (s.listen >= 0)
		close(s.listen);
	atomic_store(&s.st->finished, 1);
	surv_op(&s, "exit", -1, -1);
	_exit(0);
}

/* ---- victims ---- */

struct victim_ctx {
	long serial;
	uint64_t seed;
	int shared[MAX_SURV * NKIND * 2 + 1]; /* copies of survivors' sockets; -1 once closed */
	int nshared;
	int nopen;
	int eof_fd[NKIND];
	int conns[8], nconns;
	int own[16], nown; /* socketpairs left open on purpose */
	int own_listen;
	struct sockaddr_un own_addr;
};

__attribute__((format(printf, 2, 3), noreturn)) static void victim_fail(struct victim_ctx *v,
                                                                        const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "proc_stress: FAIL (victim #%ld): %s\n", v->serial, msg);
	fflush(stderr);
	_exit(42);
}

static int kind_of_shared(const struct victim_ctx *v, int idx)
{
	return idx == v->nshared - 1 ? -1 : (idx / 2) % NKIND;
}

static int victim_pick_shared(struct victim_ctx *v, int *idx)
{
	if (!v->nopen)
		return -1;
	for (;;) {
		int i = (int)rnd(&v->seed, (unsigned)v->nshared);
		if (v->shared[i] >= 0) {
			if (idx)
				*idx = i;
			return v->shared[i];
		}
	}
}

/* A socketpair made here, used here: data must come back intact. */
static void victim_own_pair(struct victim_ctx *v)
{
	int k = (int)rnd(&v->seed, NKIND), sv[2];
	if (socketpair(AF_UNIX, kind_type[k] | SOCK_CLOEXEC, 0, sv) < 0)
		victim_fail(v, "socketpair(%s): %s", kind_name[k], strerror(errno));
	uint8_t out[4096], in[4096 + 1];
	size_t n = 1 + rnd(&v->seed, sizeof(out));
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(i * 7 + (size_t)v->serial);
	for (int dir = 0; dir < 2; dir++) {
		if (send(sv[dir], out, n, MSG_NOSIGNAL) != (ssize_t)n)
			victim_fail(v, "send() on its own %s pair: %s", kind_name[k],
			            strerror(errno));
		size_t got = 0;
		while (got < n) {
			ssize_t r = recv(sv[!dir], in + got, sizeof(in) - got, 0);
			if (r <= 0)
				victim_fail(v, "recv() on its own %s pair: %zd %s", kind_name[k], r,
				            r ? strerror(errno) : "EOF");
			got += (size_t)r;
		}
		if (got != n || memcmp(in, out, n) != 0)
			victim_fail(v, "its own %s pair returned different data", kind_name[k]);
	}
	if (rnd(&v->seed, 4) == 0 && v->nown + 2 <= 16) {
		v->own[v->nown++] = sv[0];
		v->own[v->nown++] = sv[1];
		return;
	}
	int first = (int)rnd(&v->seed, 2);
	close(sv[first]);
	close(sv[!first]);
}

static void victim_connect(struct victim_ctx *v)
{
	int nb = (int)rnd(&v->seed, 2) ? SOCK_NONBLOCK : 0;
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | nb, 0);
	if (c < 0)
		victim_fail(v, "socket(): %s", strerror(errno));
	if (connect(c, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0) {
		if (errno != EAGAIN)
			victim_fail(v, "connect() to the shared listener: %s", strerror(errno));
		close(c);
		return;
	}
	uint8_t junk[512];
	memset(junk, 'v', sizeof(junk));
	junk[0] = 'V';
	send(c, junk, 1 + rnd(&v->seed, sizeof(junk)), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (v->nconns == 8) {
		close(v->conns[0]);
		memmove(v->conns, v->conns + 1, 7 * sizeof(int));
		v->nconns--;
	}
	v->conns[v->nconns++] = c;
}

/* A listener of its own, kept open: connect, accept, one byte each way. */
static void victim_own_listener(struct victim_ctx *v)
{
	if (v->own_listen < 0) {
		int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&v->own_addr, sizeof(v->own_addr)) < 0 ||
		    listen(l, 4) < 0)
			victim_fail(v, "its own listener: %s", strerror(errno));
		v->own_listen = l;
	}
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&v->own_addr, sizeof(v->own_addr)) < 0)
		victim_fail(v, "connect() to its own listener: %s", strerror(errno));
	int a = accept4(v->own_listen, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		victim_fail(v, "accept() on its own listener: %s", strerror(errno));
	char b = 'x';
	if (send(c, &b, 1, MSG_NOSIGNAL) != 1 || recv(a, &b, 1, 0) != 1 || b != 'x' ||
	    send(a, &b, 1, MSG_NOSIGNAL) != 1 || recv(c, &b, 1, 0) != 1 || b != 'x')
		victim_fail(v, "one byte each way on its own connection failed: %s",
		            strerror(errno));
	int first = rnd(&v->seed, 2) ? a : c;
	close(first);
	close(first == a ? c : a);
}

/* Polls every copy it still has, for reading and writing. */
static void victim_poll_all(struct victim_ctx *v)
{
	struct pollfd p[MAX_SURV * NKIND * 2 + 1];
	int np = 0;
	for (int i = 0; i < v->nshared; i++)
		if (v->shared[i] >= 0)
			p[np++] = (struct pollfd){v->shared[i], POLLIN | POLLOUT, 0};
	if (poll(p, (nfds_t)np, (int)rnd(&v->seed, 2)) < 0)
		victim_fail(v, "poll() of the shared sockets: %s", strerror(errno));
	for (int i = 0; i < np; i++)
		if (p[i].revents & POLLNVAL)
			victim_fail(v, "poll() says POLLNVAL for open fd %d", p[i].fd);
}

/* Dups a copy, looks at it, closes the dup. */
static void victim_dup_look(struct victim_ctx *v)
{
	int idx, fd = victim_pick_shared(v, &idx);
	if (fd < 0)
		return;
	int d = rnd(&v->seed, 2) ? dup(fd) : fcntl(fd, F_DUPFD_CLOEXEC, 100);
	if (d < 0)
		victim_fail(v, "dup(%d): %s", fd, strerror(errno));
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(d, SOL_SOCKET, SO_TYPE, &type, &tl) < 0)
		victim_fail(v, "getsockopt(SO_TYPE) of a dup: %s", strerror(errno));
	int k = kind_of_shared(v, idx);
	if (type != (k < 0 ? SOCK_STREAM : kind_type[k]))
		victim_fail(v, "SO_TYPE of a dup of a %s socket is %d",
		            k < 0 ? "listening" : kind_name[k], type);
	struct pollfd p = {d, POLLIN | POLLOUT, 0};
	poll(&p, 1, 0);
	close(d);
}

/* Peeks at a ring socket's receive queue: looks, takes nothing. */
static void victim_peek(struct victim_ctx *v)
{
	uint8_t buf[4096];
	int idx, fd = victim_pick_shared(v, &idx);
	if (fd < 0 || kind_of_shared(v, idx) < 0)
		return;
	if (opt.inject == INJ_WRITE && idx % 2 == 0) {
		memset(buf, 'w', 64);
		send(fd, buf, 64, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	int peek = opt.inject == INJ_STEAL ? 0 : MSG_PEEK;
	if (recv(fd, buf, 1 + rnd(&v->seed, sizeof(buf)), peek | MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN)
		victim_fail(v, "recv(MSG_PEEK) on a ring socket: %s", strerror(errno));
}

/* The coordinator's socketpairs: writes some, reads nothing. */
static void victim_write_coordinator(struct victim_ctx *v)
{
	uint8_t buf[4096];
	int k = (int)rnd(&v->seed, NKIND);
	memset(buf, 'e', sizeof(buf));
	size_t n = 1 + rnd(&v->seed, k == K_STREAM ? sizeof(buf) : 256);
	if (send(v->eof_fd[k], buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		victim_fail(v, "send() on its %s pair to the coordinator: %s", kind_name[k],
		            strerror(errno));
	if (recv(v->eof_fd[k], buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EAGAIN)
		victim_fail(v,
		            "recv() on its %s pair to the coordinator: data or %s, expected EAGAIN",
		            kind_name[k], strerror(errno));
}

/* Closes one of its copies of a survivor socket, now and then. */
static void victim_close_copy(struct victim_ctx *v)
{
	int idx, fd;
	if (rnd(&v->seed, 4) == 0 && (fd = victim_pick_shared(v, &idx)) >= 0) {
		if (close(fd) < 0)
			victim_fail(v, "close() of its copy %d: %s", fd, strerror(errno));
		v->shared[idx] = -1;
		v->nopen--;
	}
}

/* The listener's name must not change under anyone. */
static void victim_listener_name(struct victim_ctx *v)
{
	struct sockaddr_un a;
	socklen_t al = sizeof(a);
	if (v->shared[v->nshared - 1] < 0)
		return;
	if (getsockname(v->shared[v->nshared - 1], (struct sockaddr *)&a, &al) < 0)
		victim_fail(v, "getsockname() of the listener: %s", strerror(errno));
	if (strcmp(a.sun_path, listen_addr.sun_path) != 0)
		victim_fail(v, "getsockname() of the listener: '%s'", a.sun_path);
}

/* A read-only socket option. */
static void victim_so_error(struct victim_ctx *v)
{
	int fd = victim_pick_shared(v, NULL);
	if (fd < 0)
		return;
	int err;
	socklen_t el = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		victim_fail(v, "getsockopt(SO_ERROR): %s", strerror(errno));
}

/* One of the ten actions, chosen at random. */
static void victim_action(struct victim_ctx *v)
{
	static void (*const actions[])(struct victim_ctx *) = {
	        victim_poll_all,          victim_dup_look,   victim_peek,
	        victim_own_pair,          victim_connect,    victim_own_listener,
	        victim_write_coordinator, victim_close_copy, victim_listener_name,
	        victim_so_error,
	};
	actions[rnd(&v->seed, 10)](v);
	atomic_fetch_add_explicit(&sh->victim_ops, 1, memory_order_relaxed);
}

static void victim_main(struct victim *me, int start_wr)
{
	struct victim_ctx v = {.serial = me->serial, .own_listen = -1};
	char name[32];
	snprintf(name, sizeof(name), "victim #%ld", me->serial);
	child_setup(name, surv_alarm, (unsigned)(opt.seconds + 30));
	v.seed = opt.seed ^ (0x7669ull << 48) ^ (uint64_t)me->serial * 0x100000001b3ull;
	v.own_addr.sun_family = AF_UNIX;
	snprintf(v.own_addr.sun_path, sizeof(v.own_addr.sun_path), "%s/v%ld", tmp_dir, me->serial);
	/* Others' fds: the other victims' pairs with the coordinator. */
	for (int i = 0; i < MAX_VICT; i++)
		if (&vict[i] != me && vict[i].pid > 0)
			for (int k = 0; k < NKIND; k++)
				close(vict[i].pfd[k]);
	for (int k = 0; k < NKIND; k++) {
		v.eof_fd[k] = me->vfd[k];
		if (rnd(&v.seed, 2)) /* its copy of the coordinator's end */
			close(me->pfd[k]);
		if (rnd(&v.seed, 2) && dup(v.eof_fd[k]) < 0) /* more fds, one socket */
			victim_fail(&v, "dup(): %s", strerror(errno));
	}
	for (int i = 0; i < opt.survivors; i++)
		for (int k = 0; k < NKIND; k++)
			for (int e = 0; e < 2; e++)
				v.shared[v.nshared++] = ring[i][k][e];
	v.shared[v.nshared++] = listen_fd;
	v.nopen = v.nshared;
	long s = me->serial;
	if (write(start_wr, &s, sizeof(s)) != sizeof(s))
		victim_fail(&v, "cannot tell the coordinator it started: %s", strerror(errno));
	close(start_wr);
	for (;;)
		victim_action(&v);
}

/* ---- the coordinator ---- */

static int start_rd = -1, start_wr = -1;
static long victim_serial;
static uint64_t kills, kills_unstarted, eof_checks;

static void make_pair(int kind, int sv[2], const char *what)
{
	coord_op = "socketpair()";
	if (socketpair(AF_UNIX, kind_type[kind] | SOCK_CLOEXEC, 0, sv) < 0)
		fail("socketpair(%s) for %s: %s", kind_name[kind], what, strerror(errno));
}

static void fork_victim(struct victim *v, uint64_t *seed)
{
	v->serial = ++victim_serial;
	for (int k = 0; k < NKIND; k++) {
		int sv[2];
		make_pair(k, sv, "a victim");
		v->pfd[k] = sv[0];
		v->vfd[k] = sv[1];
	}
	coord_op = "fork()";
	v->fork_ns = now_ns();
	v->started = 0;
	pid_t pid = fork();
	if (pid < 0)
		fail("fork(): %s", strerror(errno));
	if (pid == 0) {
		close(start_rd);
		victim_main(v, start_wr);
	}
	v->pid = pid;
	coord_op = "close()";
	for (int k = 0; k < NKIND; k++) {
		if (opt.inject != INJ_LEAK) /* from now on the victim alone holds its ends */
			close(v->vfd[k]);
		set_nonblock(v->pfd[k]);
	}
	(void)seed;
}

/* Waits for a SIGKILLed child, with a bound. */
static void reap(pid_t pid, const char *who, int expect_kill)
{
	uint64_t limit = now_ns() + (uint64_t)(opt.stall * 1e9);
	int status;
	coord_op = "waitpid()";
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			fail("waitpid(%s): %s", who, strerror(errno));
		if (now_ns() > limit)
			fail("%s did not end within %.0f s of SIGKILL", who, opt.stall);
		sleep_us(100);
	}
	if (expect_kill && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
		if (WIFEXITED(status))
			fail("%s exited with status %d before it was killed (a violation it found, "
			     "see above)",
			     who, WEXITSTATUS(status));
		fail("%s died of signal %d (%s), not of SIGKILL", who, WTERMSIG(status),
		     strsignal(WTERMSIG(status)));
	}
}

/* After victim @v is gone: every socket it alone held must be released. */
static void check_victim_released(struct victim *v)
{
	char who[48];
	snprintf(who, sizeof(who), "victim #%ld", v->serial);
	uint64_t limit = now_ns() + (uint64_t)(opt.stall * 1e9);
	static uint8_t buf[65536];
	for (int k = 0; k < NKIND; k++) {
		int fd = v->pfd[k];
		for (int eof = 0; !eof;) {
			if (k == K_DGRAM) {
				/* No EOF on a datagram socket: its peer is gone when sending
				 * to it is refused. Drain first; the queue is bounded. */
				coord_op = "recv() on a dead victim's dgram pair";
				while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
					;
				coord_op = "send() on a dead victim's dgram pair";
				if (send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
					if (errno == ECONNREFUSED) {
						eof = 1;
						continue;
					}
					if (errno != EAGAIN)
						fail("send() to the dgram peer only %s held: %s, "
						     "expected ECONNREFUSED",
						     who, strerror(errno));
				}
			} else {
				coord_op = "recv() on a dead victim's pair";
				ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (n == 0) {
					eof = 1;
					continue;
				}
				if (n > 0)
					continue;
				if (errno != EAGAIN)
					fail("recv() on the peer of a %s socket only %s held: %s",
					     kind_name[k], who, strerror(errno));
			}
			if (now_ns() > limit)
				fail("the peer of a %s socket whose only holder (%s) was SIGKILLed "
				     "reads no EOF after %.0f s: the socket was never released "
				     "(a reference or lock left behind by the killed process)",
				     kind_name[k], who, opt.stall);
			struct pollfd p = {fd, POLLIN, 0};
			coord_op = "poll() on a dead victim's pair";
			poll(&p, 1, k == K_DGRAM ? 1 : 10);
		}
		if (k != K_DGRAM) { /* a write to it must fail now, too */
			coord_op = "send() on a dead victim's pair";
			if (send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL) != -1 || errno != EPIPE)
				fail("send() to the %s peer only %s held, after EOF: %s, expected "
				     "EPIPE",
				     kind_name[k], who, strerror(errno));
		}
		coord_op = "close()";
		close(fd);
		eof_checks++;
	}
	/* Its own listener, if it got that far: nobody may connect any more. */
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/v%ld", tmp_dir, v->serial);
	if (access(a.sun_path, F_OK) == 0) {
		for (;;) {
			coord_op = "connect() to a dead victim's listener";
			int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c < 0)
				fail("socket(): %s", strerror(errno));
			int r = connect(c, (struct sockaddr *)&a, sizeof(a)), e = errno;
			close(c);
			if (r < 0 && e == ECONNREFUSED)
				break;
			if (r < 0 && e != EAGAIN)
				fail("connect() to the listener only %s held: %s, expected "
				     "ECONNREFUSED",
				     who, strerror(e));
			if (now_ns() > limit)
				fail("the listener only %s held still accepts connections %.0f s "
				     "after it was SIGKILLed: the socket was never released",
				     who, opt.stall);
			sleep_us(1000);
		}
		unlink(a.sun_path);
		eof_checks++;
	}
	v->pid = 0;
}

static void kill_victim(struct victim *v)
{
	char who[48];
	snprintf(who, sizeof(who), "victim #%ld", v->serial);
	coord_op = "kill()";
	kill(v->pid, SIGKILL);
	reap(v->pid, who, 1);
	kills++;
	kills_unstarted += !v->started;
	check_victim_released(v);
}

/* A survivor stalled: what every survivor was doing (the stuck one may not be the first
 * to stall: its neighbours wait for it), then the failure. */
static void report_stall(int i)
{
	for (int j = 0; j < opt.survivors; j++) {
		struct surv_state *st = &sh->surv[j];
		const char *op = atomic_load(&st->op);
		int chan = atomic_load(&st->op_chan), peer = atomic_load(&st->op_peer);
		char where[96] = "";
		if (chan >= 0 && peer >= 0)
			snprintf(where, sizeof(where), " on the %s %s survivor %d", chan_name(chan),
			         strcmp(op, "recv()") == 0 ? "from" : "to", peer);
		else if (chan >= 0)
			snprintf(where, sizeof(where), " on a %s", chan_name(chan));
		double idle = (double)(now_ns() - atomic_load(&st->progress_ns)) / 1e9;
		fprintf(stderr,
		        "proc_stress: survivor %d: %s; idle %.1f s; sent %" PRIu64
		        ", received %" PRIu64
		        " records; in %s%s; %d channels without END, %d listener connections "
		        "without EOF\n",
		        j, surv_pid[j] > 0 ? "running" : "exited", idle, atomic_load(&st->sent),
		        atomic_load(&st->received), op ? op : "?", where,
		        atomic_load(&st->unfinished), atomic_load(&st->open_conns));
	}
	fail("HANG: survivor %d made no progress for %.0f s: a lock left held by a killed "
	     "process, a socket of a killed process never released, or a wakeup lost across "
	     "processes (survivor states above)",
	     i, opt.stall);
}

/* Survivors must keep moving, and must not end before the drain. */
static void check_survivors(int draining)
{
	uint64_t now = now_ns();
	for (int i = 0; i < opt.survivors; i++) {
		if (surv_pid[i] <= 0)
			continue;
		int status;
		pid_t r = waitpid(surv_pid[i], &status, WNOHANG);
		if (r == surv_pid[i]) {
			surv_pid[i] = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && draining &&
			    atomic_load(&sh->surv[i].finished))
				continue;
			if (sh->surv[i].failure[0])
				fail("survivor %d: %s", i, sh->surv[i].failure);
			if (WIFSIGNALED(status))
				fail("survivor %d died of signal %d (%s)", i, WTERMSIG(status),
				     strsignal(WTERMSIG(status)));
			fail("survivor %d exited with status %d %s", i, WEXITSTATUS(status),
			     draining ? "" : "before the run ended");
		}
		uint64_t p = atomic_load_explicit(&sh->surv[i].progress_ns, memory_order_relaxed);
		if (now > p && now - p > (uint64_t)(opt.stall * 1e9))
			report_stall(i);
	}
}

/* After everyone else is gone the coordinator holds the last copies of the ring sockets:
 * nothing may be left in them, and once it closes one end the other reads EOF. Victims
 * held copies of all of them when they were killed. */
static void check_ring_released(void)
{
	static uint8_t buf[65536];
	for (int i = 0; i < opt.survivors; i++)
		for (int k = 0; k < NKIND; k++) {
			int w = ring[i][k][0], r = ring[i][k][1];
			coord_op = "recv() on a ring socket after the run";
			ssize_t n = recv(r, buf, sizeof(buf), MSG_DONTWAIT);
			if (n >= 0 || errno != EAGAIN)
				fail("ring %s %d->%d after the run: recv() = %zd (%s), expected "
				     "nothing left",
				     kind_name[k], i, (i + 1) % opt.survivors, n,
				     n >= 0 ? "data" : strerror(errno));
			coord_op = "close() of a ring socket";
			close(k == K_DGRAM ? r : w);
			int live = k == K_DGRAM ? w : r;
			uint64_t limit = now_ns() + (uint64_t)(opt.stall * 1e9);
			for (;;) {
				if (k == K_DGRAM) {
					coord_op = "send() on a ring dgram socket";
					n = send(live, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
					if (n < 0 && errno == ECONNREFUSED)
						break;
					if (n < 0 && errno != EAGAIN)
						fail("ring dgram %d: send() after its peer closed: "
						     "%s, "
						     "expected ECONNREFUSED",
						     i, strerror(errno));
				} else {
					struct pollfd p = {live, POLLIN, 0};
					coord_op = "poll() on a ring socket after the run";
					poll(&p, 1, 10);
					coord_op = "recv() on a ring socket after the run";
					n = recv(live, buf, sizeof(buf), MSG_DONTWAIT);
					if (n == 0)
						break;
					if (n > 0)
						fail("ring %s %d: data after the writer closed",
						     kind_name[k], i);
					if (errno != EAGAIN)
						fail("ring %s %d: recv() after the writer closed: "
						     "%s",
						     kind_name[k], i, strerror(errno));
				}
				if (now_ns() > limit)
					fail("ring %s %d->%d: no %s %.0f s after the coordinator "
					     "closed the last copy it knows of: a killed victim's "
					     "copy was never released",
					     kind_name[k], i, (i + 1) % opt.survivors,
					     k == K_DGRAM ? "ECONNREFUSED" : "EOF", opt.stall);
				if (k == K_DGRAM)
					sleep_us(1000);
			}
			close(live);
			eof_checks++;
		}
	/* The listener: victims, survivors and the coordinator held it; now nobody does. */
	coord_op = "close() of the listener";
	close(listen_fd);
	uint64_t limit = now_ns() + (uint64_t)(opt.stall * 1e9);
	for (;;) {
		coord_op = "connect() to the closed listener";
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int r = connect(c, (struct sockaddr *)&listen_addr, sizeof(listen_addr)), e = errno;
		close(c);
		if (r < 0 && e == ECONNREFUSED)
			break;
		if (r < 0 && e != EAGAIN)
			fail("connect() to the closed listener: %s, expected ECONNREFUSED",
			     strerror(e));
		if (now_ns() > limit)
			fail("the shared listener still accepts connections %.0f s after its last "
			     "known holder closed it: a killed victim's copy was never released",
			     opt.stall);
		sleep_us(1000);
	}
	eof_checks++;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: proc_stress [options]\n"
	        "AF_UNIX sockets shared across fork() by survivors and by victims SIGKILLed at\n"
	        "random moments; checks the survivors' records and that killed holders' sockets\n"
	        "are released. Run under `usock run --families unix --` to test usock.\n"
	        "  --seconds S    how long victims are forked and killed (default 8)\n"
	        "  --seed N       random seed (default: from the clock; printed)\n"
	        "  --survivors N  survivor processes, 2..%d (default 3)\n"
	        "  --victims N    victims alive at a time, 1..%d (default 2)\n"
	        "  --stall S      seconds without progress that count as a hang (default 5)\n"
	        "  --verbose      progress on stderr\n"
	        "  --inject F     make a fault on purpose, to see it caught: steal (victims\n"
	        "                 read survivors' data), write (victims write into ring\n"
	        "                 sockets), leak (the coordinator keeps a copy of victims'\n"
	        "                 ends), hang (survivor 1 stops)\n",
	        MAX_SURV, MAX_VICT);
}

static void parse_args(int argc, char **argv)
{
	int seeded = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--verbose") == 0) {
			opt.verbose = 1;
			continue;
		} else if (!v) {
			usage(stderr);
			exit(2);
		} else if (strcmp(a, "--seconds") == 0) {
			opt.seconds = atof(v);
		} else if (strcmp(a, "--seed") == 0) {
			opt.seed = strtoull(v, NULL, 0);
			seeded = 1;
		} else if (strcmp(a, "--survivors") == 0) {
			opt.survivors = atoi(v);
		} else if (strcmp(a, "--victims") == 0) {
			opt.victims = atoi(v);
		} else if (strcmp(a, "--stall") == 0) {
			opt.stall = atof(v);
		} else if (strcmp(a, "--inject") == 0) {
			int j = 0;
			while (j < INJ_HANG && strcmp(v, inject_names[j]) != 0)
				j++;
			if (strcmp(v, inject_names[j]) != 0) {
				usage(stderr);
				exit(2);
			}
			opt.inject = j;
		} else {
			usage(stderr);
			exit(2);
		}
		i++;
	}
	if (opt.seconds <= 0 || opt.survivors < 2 || opt.survivors > MAX_SURV || opt.victims < 1 ||
	    opt.victims > MAX_VICT || opt.stall <= 0) {
		usage(stderr);
		exit(2);
	}
	if (!seeded)
		opt.seed = now_ns() ^ ((uint64_t)getpid() << 32);
}

static const char *mode_name(void)
{
	const char *m = getenv("USOCK_MODE"), *p = getenv("LD_PRELOAD");
	if (m && *m)
		return m;
	return p && strstr(p, "usock") ? "usock" : "kernel";
}

/* The shared state, the ring of socketpairs between survivors and the listener. */
static void setup_sockets(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		fail("mmap(): %s", strerror(errno));
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/proc_stress.XXXXXX");
	if (!mkdtemp(tmp_dir))
		fail("mkdtemp(): %s", strerror(errno));
	listen_addr.sun_family = AF_UNIX;
	snprintf(listen_addr.sun_path, sizeof(listen_addr.sun_path), "%s/listen", tmp_dir);

	for (int i = 0; i < opt.survivors; i++)
		for (int k = 0; k < NKIND; k++)
			make_pair(k, ring[i][k], "the ring");
	coord_op = "socket()/bind()/listen()";
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0 ||
	    listen(listen_fd, 128) < 0)
		fail("the listener: %s", strerror(errno));
}

/* Forks the survivors, and makes the pipe through which victims say they started. */
static void start_survivors(uint64_t t0)
{
	for (int i = 0; i < opt.survivors; i++) {
		atomic_store(&sh->surv[i].progress_ns, t0);
		coord_op = "fork() of a survivor";
		pid_t pid = fork();
		if (pid < 0)
			fail("fork(): %s", strerror(errno));
		if (pid == 0)
			survivor_main(i);
		surv_pid[i] = pid;
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		fail("pipe2(): %s", strerror(errno));
	start_rd = pp[0];
	start_wr = pp[1];
	set_nonblock(start_rd);
}

/* Marks the victims that reported their start on the pipe, with a random time to die. */
static void note_started(uint64_t *seed)
{
	long serial;
	while (read(start_rd, &serial, sizeof(serial)) == sizeof(serial)) {
		uint64_t now = now_ns();
		for (int i = 0; i < opt.victims; i++)
			if (vict[i].pid > 0 && vict[i].serial == serial) {
				vict[i].started = 1;
				vict[i].kill_ns = now + rnd(seed, KILL_MAX_US + 1) * 1000u;
			}
	}
}

/* Kills the victims whose time came; returns when the next one is due. */
static uint64_t kill_due(uint64_t now, uint64_t stall_ns)
{
	uint64_t wake = now + 50000000u;
	for (int i = 0; i < opt.victims; i++) {
		struct victim *v = &vict[i];
		if (v->started && now >= v->kill_ns) {
			kill_victim(v);
			wake = now;
		} else if (v->started && v->kill_ns < wake) {
			wake = v->kill_ns;
		} else if (!v->started && now - v->fork_ns > stall_ns) {
			fail("HANG: victim #%ld did not start within %.0f s of fork(): "
			     "stuck right after fork, a lock left held by a killed "
			     "process?",
			     v->serial, opt.stall);
		}
	}
	return wake;
}

/* The run: victims are forked, started and killed until the time is up. */
static void run_victims(uint64_t t0)
{
	uint64_t seed = opt.seed ^ 0xc00dull, t_end = t0 + (uint64_t)(opt.seconds * 1e9);
	uint64_t stall_ns = (uint64_t)(opt.stall * 1e9), next_report = t0 + 1000000000u;
	for (;;) {
		uint64_t now = now_ns();
		if (now >= t_end)
			break;
		for (int i = 0; i < opt.victims; i++)
			if (vict[i].pid <= 0)
				fork_victim(&vict[i], &seed);
		uint64_t wake = kill_due(now_ns(), stall_ns);
		check_survivors(0);
		now = now_ns();
		if (opt.verbose && now >= next_report) {
			fprintf(stderr,
			        "proc_stress: %.0f s: %" PRIu64 " kills, %" PRIu64
			        " records received\n",
			        (double)(now - t0) / 1e9, kills,
			        atomic_load(&sh->surv[0].received));
			next_report += 1000000000u;
		}
		if (wake > t_end)
			wake = t_end;
		struct timespec ts = {0, wake > now ? (long)(wake - now) : 0};
		struct pollfd p = {start_rd, POLLIN, 0};
		coord_op = "ppoll() of the start pipe";
		if (ppoll(&p, 1, &ts, NULL) > 0)
			note_started(&seed);
	}
}

/* The end of the run: the last victims go, the survivors drain and finish, then every
 * check and the summary line. */
static void finish(void)
{
	for (int i = 0; i < opt.victims; i++)
		if (vict[i].pid > 0)
			kill_victim(&vict[i]);
	close(start_rd);
	close(start_wr);
	atomic_store(&sh->phase, PH_DRAIN);
	for (;;) {
		check_survivors(1);
		int left = 0;
		for (int i = 0; i < opt.survivors; i++)
			left += surv_pid[i] > 0;
		if (!left)
			break;
		coord_op = "waiting for the survivors to drain";
		sleep_us(2000);
	}
	check_ring_released();
	cleanup_dir();

	uint64_t records = 0, sent = 0;
	for (int i = 0; i < opt.survivors; i++) {
		records += atomic_load(&sh->surv[i].received);
		sent += atomic_load(&sh->surv[i].sent);
	}
	if (records != sent)
		fail("survivors sent %" PRIu64 " records and received %" PRIu64, sent, records);
	struct surv_state *acc = &sh->surv[0];
	printf("proc_stress: OK mode=%s seed=%" PRIu64 " seconds=%g kills=%" PRIu64
	       " (before start %" PRIu64 ") victim_ops=%" PRIu64 " records_checked=%" PRIu64
	       " victim_conns_eof=%" PRIu64 " released_checks=%" PRIu64 "\n",
	       mode_name(), opt.seed, opt.seconds, kills, kills_unstarted,
	       atomic_load(&sh->victim_ops), records, atomic_load(&acc->victim_eofs), eof_checks);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = coord_alarm};
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)(opt.seconds + 8 * opt.stall + 30));
	fprintf(stderr,
	        "proc_stress: mode %s seed %" PRIu64 " seconds %g survivors %d victims %d%s%s\n",
	        mode_name(), opt.seed, opt.seconds, opt.survivors, opt.victims,
	        opt.inject ? " inject " : "", opt.inject ? inject_names[opt.inject] : "");

	setup_sockets();
	uint64_t t0 = now_ns();
	start_survivors(t0);
	run_victims(t0);
	finish();
	return 0;
}
