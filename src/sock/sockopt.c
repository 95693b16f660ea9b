/* sockopt.c: the SOL_SOCKET options of socket(7), as one table of small handlers.
 * Semantics follow Linux's sk_setsockopt()/sk_getsockopt(): every set needs an int
 * (EINVAL if shorter) except SO_BINDTODEVICE; gets copy min(optlen, size) bytes and write
 * the copied length back. Options not done yet fail with ENOPROTOOPT (docs/STATUS.md).
 * Socket filters (SO_ATTACH_FILTER and friends) have their handlers in filter.c. */
#include <errno.h>
#include <linux/sock_diag.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../base/sys.h"
#include "filter.h"
#include "sock.h"

union optv {
	int val;
	struct linger ling;
	struct timeval tv;
	struct {
		int64_t sec, usec;
	} tv64;
	struct ucred cred;
	uint64_t u64;
	struct sock_fprog fprog; /* SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF (filter.c) */
	uint32_t meminfo[SK_MEMINFO_VARS];
};

struct sockopt {
	int name;
	/* Set: @val is the first int of the option; @raw its first sizeof(union optv) bytes
	 * (copied in), @len the user's length. */
	int (*set)(struct sock *sk, int name, int val, const void *raw, socklen_t len);
	/* Get: fills @v, returns its size (lv) or -errno. */
	int (*get)(struct sock *sk, int name, union optv *v);
};

static int flag_bit(int name)
{
	switch (name) {
	case SO_KEEPALIVE:
		return SKF_KEEPALIVE;
	case SO_REUSEADDR:
		return SKF_REUSEADDR;
	case SO_BROADCAST:
		return SKF_BROADCAST;
	case SO_DONTROUTE:
		return SKF_DONTROUTE;
	case SO_DEBUG:
		return SKF_DEBUG;
	case SO_OOBINLINE:
		return SKF_OOBINLINE;
	case SO_PASSCRED:
		return SKF_PASSCRED;
	case SO_PASSSEC:
		return SKF_PASSSEC;
	case SO_RXQ_OVFL:
		return SKF_RXQ_OVFL;
	case SO_WIFI_STATUS:
		return SKF_WIFI_STATUS;
	case SO_NOFCS:
		return SKF_NOFCS;
	case SO_SELECT_ERR_QUEUE:
		return SKF_SELECT_ERR_QUEUE;
	case SO_LOCK_FILTER:
		return SKF_LOCK_FILTER;
	case SO_PASSPIDFD:
		return SKF_PASSPIDFD;
	}
	return 0;
}

static int set_flag(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	unsigned bit = (unsigned)flag_bit(name);
	if (val)
		sk->flags |= bit;
	else
		sk->flags &= ~bit;
	return 0;
}

static int get_flag(struct sock *sk, int name, union optv *v)
{
	v->val = (sk->flags & (unsigned)flag_bit(name)) != 0;
	return sizeof(int);
}

static int set_debug(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (val && !sock_capable(CAP_NET_ADMIN))
		return -EACCES;
	return set_flag(sk, name, val, raw, len);
}

static int set_lock_filter(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if ((sk->flags & SKF_LOCK_FILTER) && !val)
		return -EPERM;
	return set_flag(sk, name, val, raw, len);
}

static int set_reuseport(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	/* Linux 6.9+: SO_REUSEPORT is for inet sockets only. */
	if (val && sk->family != AF_INET && sk->family != AF_INET6)
		return -EOPNOTSUPP;
	if (val)
		sk->flags |= SKF_REUSEPORT;
	else
		sk->flags &= ~(unsigned)SKF_REUSEPORT;
	return 0;
}

static int get_reuseport(struct sock *sk, int name, union optv *v)
{
	v->val = (sk->flags & SKF_REUSEPORT) != 0;
	return sizeof(int);
}

/* SO_SNDBUF/SO_RCVBUF and their FORCE forms: doubled, clamped, with the kernel's minimum. */
static int set_buf(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	int force = name == SO_SNDBUFFORCE || name == SO_RCVBUFFORCE;
	int snd = name == SO_SNDBUF || name == SO_SNDBUFFORCE;
	if (force && !sock_capable(CAP_NET_ADMIN))
		return -EPERM;
	unsigned long max = (unsigned long)(snd ? sk->st->core.wmem_max : sk->st->core.rmem_max);
	unsigned long u = force ? (val < 0 ? 0 : (unsigned)val) : (unsigned)val;
	if (!force && u > max)
		u = max;
	if (u > INT_MAX / 2)
		u = INT_MAX / 2;
	int b = (int)u * 2;
	if (snd) {
		sk->sndbuf = b < sk->st->kf.min_sndbuf ? sk->st->kf.min_sndbuf : b;
		sk->flags |= SKF_SNDBUF_LOCK;
		sock_wake(sk, POLLOUT | POLLWRNORM | POLLWRBAND);
	} else {
		sk->rcvbuf = b < sk->st->kf.min_rcvbuf ? sk->st->kf.min_rcvbuf : b;
		sk->flags |= SKF_RCVBUF_LOCK;
	}
	return 0;
}

static int get_int(struct sock *sk, int name, union optv *v)
{
	switch (name) {
	case SO_SNDBUF:
		v->val = sk->sndbuf;
		break;
	case SO_RCVBUF:
		v->val = sk->rcvbuf;
		break;
	case SO_TYPE:
		v->val = sk->type;
		break;
	case SO_PROTOCOL:
		v->val = sk->protocol;
		break;
	case SO_DOMAIN:
		v->val = sk->family;
		break;
	case SO_ACCEPTCONN:
		v->val = (sk->flags & SKF_ACCEPTCONN) != 0;
		break;
	case SO_PRIORITY:
		v->val = sk->priority;
		break;
	case SO_RCVLOWAT:
		v->val = sk->rcvlowat;
		break;
	case SO_SNDLOWAT:
		v->val = 1;
		break;
	case SO_MARK:
		v->val = (int)sk->mark;
		break;
	case SO_BUSY_POLL:
		v->val = (int)sk->busy_poll_us;
		break;
	case SO_INCOMING_CPU:
		v->val = sk->incoming_cpu;
		break;
	case SO_PEEK_OFF:
		v->val = sk->peek_off;
		break;
	case SO_INCOMING_NAPI_ID:
		v->val = 0;
		break;
	case SO_BSDCOMPAT:
		v->val = 0;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return sizeof(int);
}

static int get_error(struct sock *sk, int name, union optv *v)
{
	v->val = -sock_take_err(sk);
	return sizeof(int);
}

static int set_priority(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if ((val < 0 || val > 6) && !sock_capable(CAP_NET_RAW) && !sock_capable(CAP_NET_ADMIN))
		return -EPERM;
	sk->priority = val;
	return 0;
}

static int set_mark(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (!sock_capable(CAP_NET_RAW) && !sock_capable(CAP_NET_ADMIN))
		return -EPERM;
	sk->mark = (uint32_t)val;
	return 0;
}

static int set_rcvlowat(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (val < 0)
		val = INT_MAX;
	sk->rcvlowat = val ? val : 1;
	sock_wake(sk, POLLIN | POLLRDNORM);
	return 0;
}

static int set_sndlowat(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	return -ENOPROTOOPT; /* socket(7): not changeable on Linux */
}

static int set_nop(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	return 0; /* SO_BSDCOMPAT: accepted and ignored by Linux too */
}

static int set_busy_poll(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (val < 0)
		return -EINVAL;
	sk->busy_poll_us = (unsigned)val;
	return 0;
}

static int set_incoming_cpu(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	sk->incoming_cpu = val;
	return 0;
}

static int set_peek_off(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	sk->peek_off = val;
	return 0;
}

/* SO_TIMESTAMP(NS)_OLD/NEW replace each other (sock_set_timestamp). */
static int set_timestamp(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	int is_new = name == SO_TIMESTAMP_NEW || name == SO_TIMESTAMPNS_NEW;
	int ns = name == SO_TIMESTAMPNS_OLD || name == SO_TIMESTAMPNS_NEW;
	sk->flags =
	        is_new ? sk->flags | SKF_TIMESTAMP_NEW : sk->flags & ~(unsigned)SKF_TIMESTAMP_NEW;
	if (val) {
		sk->flags =
		        ns ? sk->flags | SKF_TIMESTAMPNS : sk->flags & ~(unsigned)SKF_TIMESTAMPNS;
		sk->flags |= SKF_TIMESTAMP;
	} else {
		sk->flags &= ~(unsigned)(SKF_TIMESTAMP | SKF_TIMESTAMPNS);
	}
	return 0;
}

static int get_timestamp(struct sock *sk, int name, union optv *v)
{
	int ts = (sk->flags & SKF_TIMESTAMP) != 0, tsns = (sk->flags & SKF_TIMESTAMPNS) != 0;
	int nw = (sk->flags & SKF_TIMESTAMP_NEW) != 0;
	switch (name) {
	case SO_TIMESTAMP_OLD:
		v->val = ts && !nw && !tsns;
		break;
	case SO_TIMESTAMP_NEW:
		v->val = ts && nw && !tsns;
		break;
	case SO_TIMESTAMPNS_OLD:
		v->val = tsns && !nw;
		break;
	default:
		v->val = tsns && nw;
		break;
	}
	return sizeof(int);
}

static int set_linger(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	struct linger l;
	if (len < sizeof(l))
		return -EINVAL;
	memcpy(&l, raw, sizeof(l));
	if (!l.l_onoff) {
		sk->flags &= ~(unsigned)SKF_LINGER;
		return 0;
	}
	long hz = 1000000000L / sk->st->kf.tick_ns;
	/* sk_lingertime in jiffies; out-of-range values mean "forever" (MAX_SCHEDULE_TIMEOUT) */
	sk->linger_ticks =
	        (l.l_linger < 0 || l.l_linger >= LONG_MAX / hz) ? LONG_MAX : (long)l.l_linger * hz;
	sk->flags |= SKF_LINGER;
	return 0;
}

static int get_linger(struct sock *sk, int name, union optv *v)
{
	v->ling.l_onoff = (sk->flags & SKF_LINGER) != 0;
	v->ling.l_linger = (int)(sk->linger_ticks / (1000000000L / sk->st->kf.tick_ns));
	return sizeof(v->ling);
}

/* SO_RCVTIMEO/SO_SNDTIMEO: kept in the kernel's ticks (sock_set_timeout). */
static int set_timeo(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	int64_t sec, usec;
	if (name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW) {
		if (len < 16)
			return -EINVAL;
		memcpy(&sec, raw, 8);
		memcpy(&usec, (const char *)raw + 8, 8);
	} else {
		struct timeval tv;
		if (len < sizeof(tv))
			return -EINVAL;
		memcpy(&tv, raw, sizeof(tv));
		sec = tv.tv_sec;
		usec = tv.tv_usec;
	}
	if (usec < 0 || usec >= 1000000)
		return -EDOM;
	long tick_us = sk->st->kf.tick_ns / 1000, hz = 1000000 / tick_us;
	long t = LONG_MAX;
	if (sec < 0)
		t = 0; /* Linux: a negative time means "do not wait" */
	else if ((sec || usec) && sec < LONG_MAX / hz - 1)
		t = (long)sec * hz + (long)((usec + tick_us - 1) / tick_us);
	if (name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW)
		sk->rcvtimeo = t;
	else
		sk->sndtimeo = t;
	return 0;
}

static int get_timeo(struct sock *sk, int name, union optv *v)
{
	int rcv = name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW;
	long t = rcv ? sk->rcvtimeo : sk->sndtimeo;
	int64_t sec = 0, usec = 0;
	if (t != LONG_MAX) {
		long hz = 1000000000L / sk->st->kf.tick_ns;
		sec = t / hz;
		usec = (t % hz) * 1000000 / hz;
	}
	if (name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW) {
		v->tv64.sec = sec;
		v->tv64.usec = usec;
		return sizeof(v->tv64);
	}
	v->tv.tv_sec = (time_t)sec;
	v->tv.tv_usec = (suseconds_t)usec;
	return sizeof(v->tv);
}

/* sock_gen_cookie(): unique and never 0, given on first request. */
static int get_cookie(struct sock *sk, int name, union optv *v)
{
	static _Atomic uint64_t next_cookie = 1;
	if (!sk->cookie)
		sk->cookie = atomic_fetch_add(&next_cookie, 1);
	v->u64 = sk->cookie;
	return sizeof(v->u64);
}

/* sk_get_meminfo() as an AF_UNIX socket fills it: no receive charge (messages are charged
 * to their senders), the send charge, option memory and drops. */
static int get_meminfo(struct sock *sk, int name, union optv *v)
{
	v->meminfo[SK_MEMINFO_RMEM_ALLOC] = 0;
	v->meminfo[SK_MEMINFO_RCVBUF] = (uint32_t)sk->rcvbuf;
	v->meminfo[SK_MEMINFO_WMEM_ALLOC] = (uint32_t)sk->wmem_alloc;
	v->meminfo[SK_MEMINFO_SNDBUF] = (uint32_t)sk->sndbuf;
	v->meminfo[SK_MEMINFO_OPTMEM] = (uint32_t)sk->omem_alloc;
	v->meminfo[SK_MEMINFO_DROPS] = sk->drops;
	return sizeof(v->meminfo);
}

static int get_peercred(struct sock *sk, int name, union optv *v)
{
	v->cred.pid = sk->has_peercred ? sk->peer_pid : 0;
	v->cred.uid = sk->has_peercred ? sk->peer_uid : (uid_t)-1;
	v->cred.gid = sk->has_peercred ? sk->peer_gid : (gid_t)-1;
	return sizeof(v->cred);
}

static int bind_index(struct sock *sk, int index, const char *name)
{
	if (sk->bound_dev_if && !sock_capable(CAP_NET_RAW))
		return -EPERM;
	sk->bound_dev_if = index;
	snprintf(sk->bound_dev_name, sizeof(sk->bound_dev_name), "%s", name);
	return 0;
}

/* SO_BINDTOIFINDEX: usock's stacks have the loopback device only (ifindex 1). */
static int set_bindtoifindex(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	if (val < 0)
		return -EINVAL;
	if (val > 1)
		return -ENODEV;
	return bind_index(sk, val, val ? "lo" : "");
}

static int get_bindtoifindex(struct sock *sk, int name, union optv *v)
{
	v->val = sk->bound_dev_if;
	return sizeof(int);
}

static int get_readonly(struct sock *sk, int name, union optv *v)
{
	return -ENOPROTOOPT;
}

static int set_readonly(struct sock *sk, int name, int val, const void *raw, socklen_t len)
{
	return -ENOPROTOOPT;
}

static const struct sockopt sockopts[] = {
        {SO_DEBUG, set_debug, get_flag},
        {SO_REUSEADDR, set_flag, get_flag},
        {SO_TYPE, set_readonly, get_int},
        {SO_ERROR, set_readonly, get_error},
        {SO_DONTROUTE, set_flag, get_flag},
        {SO_BROADCAST, set_flag, get_flag},
        {SO_SNDBUF, set_buf, get_int},
        {SO_RCVBUF, set_buf, get_int},
        {SO_SNDBUFFORCE, set_buf, get_readonly},
        {SO_RCVBUFFORCE, set_buf, get_readonly},
        {SO_KEEPALIVE, set_flag, get_flag},
        {SO_OOBINLINE, set_flag, get_flag},
        {SO_PRIORITY, set_priority, get_int},
        {SO_LINGER, set_linger, get_linger},
        {SO_BSDCOMPAT, set_nop, get_int},
        {SO_REUSEPORT, set_reuseport, get_reuseport},
        {SO_PASSCRED, set_flag, get_flag},
        {SO_PEERCRED, set_readonly, get_peercred},
        {SO_COOKIE, set_readonly, get_cookie},
        {SO_MEMINFO, set_readonly, get_meminfo},
        {SO_PEERGROUPS, set_readonly, get_readonly},
        {SO_RCVLOWAT, set_rcvlowat, get_int},
        {SO_SNDLOWAT, set_sndlowat, get_int},
        {SO_RCVTIMEO_OLD, set_timeo, get_timeo},
        {SO_SNDTIMEO_OLD, set_timeo, get_timeo},
        {SO_RCVTIMEO_NEW, set_timeo, get_timeo},
        {SO_SNDTIMEO_NEW, set_timeo, get_timeo},
        {SO_TIMESTAMP_OLD, set_timestamp, get_timestamp},
        {SO_TIMESTAMPNS_OLD, set_timestamp, get_timestamp},
        {SO_TIMESTAMP_NEW, set_timestamp, get_timestamp},
        {SO_TIMESTAMPNS_NEW, set_timestamp, get_timestamp},
        {SO_ACCEPTCONN, set_readonly, get_int},
        {SO_PROTOCOL, set_readonly, get_int},
        {SO_DOMAIN, set_readonly, get_int},
        {SO_PASSSEC, set_flag, get_flag},
        {SO_MARK, set_mark, get_int},
        {SO_RXQ_OVFL, set_flag, get_flag},
        {SO_WIFI_STATUS, set_flag, get_flag},
        {SO_PEEK_OFF, set_peek_off, get_int},
        {SO_NOFCS, set_flag, get_flag},
        {SO_LOCK_FILTER, set_lock_filter, get_flag},
        {SO_SELECT_ERR_QUEUE, set_flag, get_flag},
        {SO_BUSY_POLL, set_busy_poll, get_int},
        {SO_INCOMING_CPU, set_incoming_cpu, get_int},
        {SO_INCOMING_NAPI_ID, set_readonly, get_int},
        {SO_PASSPIDFD, set_flag, get_flag},
        {SO_BINDTOIFINDEX, set_bindtoifindex, get_bindtoifindex},
        /* Socket filters (filter.c); SO_GET_FILTER is read in sock_getsockopt(). */
        {SO_ATTACH_FILTER, sock_set_attach_filter, get_readonly},
        {SO_DETACH_FILTER, sock_set_detach_filter, get_readonly},
        {SO_ATTACH_BPF, sock_set_attach_bpf, get_readonly},
        {SO_ATTACH_REUSEPORT_CBPF, sock_set_reuseport_cbpf, get_readonly},
        {SO_ATTACH_REUSEPORT_EBPF, sock_set_reuseport_ebpf, get_readonly},
        {SO_DETACH_REUSEPORT_BPF, sock_set_detach_reuseport, get_readonly},
};

static const struct sockopt *sockopt_find(int name)
{
	for (size_t i = 0; i < sizeof(sockopts) / sizeof(sockopts[0]); i++)
		if (sockopts[i].name == name)
			return &sockopts[i];
	return NULL;
}

int sock_bindtodevice_set(struct sock *sk, const void *val, socklen_t len);
int sock_bindtodevice_get(struct sock *sk, void *val, socklen_t *len);

int sock_setsockopt(struct sock *sk, int name, const void *val, socklen_t len)
{
	if (name == SO_BINDTODEVICE)
		return sock_bindtodevice_set(sk, val, len);
	if (len < sizeof(int))
		return -EINVAL;
	/* The handlers get the option's first bytes copied in (a user buffer larger than any
	 * option is not read past them): -EFAULT before anything, as sk_setsockopt(). */
	union optv k;
	memset(&k, 0, sizeof(k));
	if (copy_from_user(&k, val, len < sizeof(k) ? len : sizeof(k)) < 0)
		return -EFAULT;
	const struct sockopt *o = sockopt_find(name);
	if (!o)
		return -ENOPROTOOPT;
	return o->set(sk, name, k.val, &k, len);
}

/* SO_PEERGROUPS: the peer's supplementary groups; -ERANGE with the size a short buffer
 * needs; -ENODATA without peer credentials. */
static int sock_peergroups_get(struct sock *sk, void *val, socklen_t *len)
{
	if (!sk->has_peercred)
		return -ENODATA;
	socklen_t need = (socklen_t)(sk->peer_ngroups * (int)sizeof(gid_t));
	if (*len < need) {
		*len = need;
		return -ERANGE;
	}
	*len = need;
	return copy_to_user(val, sk->peer_groups, need);
}

int sock_getsockopt(struct sock *sk, int name, void *val, socklen_t *len)
{
	if (name == SO_BINDTODEVICE)
		return sock_bindtodevice_get(sk, val, len);
	if (name == SO_PEERGROUPS)
		return sock_peergroups_get(sk, val, len);
	if (name == SO_COOKIE && *len < sizeof(uint64_t))
		return -EINVAL;
	if (name == SO_GET_FILTER)
		return sock_get_filter(sk, val, len);
	const struct sockopt *o = sockopt_find(name);
	if (!o)
		return -ENOPROTOOPT;
	union optv v;
	memset(&v, 0, sizeof(v));
	int lv = o->get(sk, name, &v);
	if (lv < 0)
		return lv;
	socklen_t n = *len < (socklen_t)lv ? *len : (socklen_t)lv;
	if (copy_to_user(val, &v, n) < 0)
		return -EFAULT;
	*len = n;
	return 0;
}

/* SO_BINDTODEVICE: usock's stacks have the loopback device "lo" (ifindex 1). */
int sock_bindtodevice_set(struct sock *sk, const void *val, socklen_t len)
{
	char name[16];
	memset(name, 0, sizeof(name));
	if ((int)len < 0)
		return -EINVAL;
	if (len > sizeof(name) - 1)
		len = sizeof(name) - 1;
	if (copy_from_user(name, val, len) < 0)
		return -EFAULT;
	int index = 0;
	if (name[0]) {
		if (strcmp(name, "lo") != 0)
			return -ENODEV;
		index = 1;
	}
	return bind_index(sk, index, name);
}

int sock_bindtodevice_get(struct sock *sk, void *val, socklen_t *len)
{
	if (!sk->bound_dev_if) {
		*len = 0;
		return 0;
	}
	if (*len < 16)
		return -EINVAL;
	size_t n = strlen(sk->bound_dev_name) + 1;
	if (copy_to_user(val, sk->bound_dev_name, n) < 0)
		return -EFAULT;
	*len = (socklen_t)n;
	return 0;
}
