/* unix_scm.c: ancillary data of AF_UNIX (unix(7) "Ancillary messages"): SCM_RIGHTS with
 * usock and kernel fds, SCM_CREDENTIALS checked against the caller's real identity, and
 * SCM_TIMESTAMP(NS) on receipt. Sending parses into struct unix_scm; receiving installs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/time.h>

#include "../base/sys.h"
#include "../sock/file.h"
#include "../sock/depot.h"
#include "../sock/host.h"
#include "unix.h"

#define SCM_MAX_FD 253

void unix_put_cmsg(struct msghdr *msg, int level, int type, size_t len, const void *data)
{
	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr)) {
		msg->msg_flags |= MSG_CTRUNC;
		return;
	}
	size_t cmlen = CMSG_LEN(len);
	if (msg->msg_controllen < cmlen) {
		msg->msg_flags |= MSG_CTRUNC;
		cmlen = msg->msg_controllen;
	}
	struct cmsghdr h = {.cmsg_len = cmlen, .cmsg_level = level, .cmsg_type = type};
	/* the user's buffer: a fault leaves it where it was (put_cmsg()'s -EFAULT, which
	 * its callers ignore) */
	unsigned char *udata = CMSG_DATA((struct cmsghdr *)msg->msg_control);
	if (copy_to_user(msg->msg_control, &h, sizeof(h)) < 0 ||
	    copy_to_user(udata, data, cmlen - sizeof(h)) < 0)
		return;
	cmlen = CMSG_SPACE(len) < msg->msg_controllen ? CMSG_SPACE(len) : msg->msg_controllen;
	msg->msg_control = (char *)msg->msg_control + cmlen;
	msg->msg_controllen -= cmlen;
}

void unix_scm_destroy(struct stack *st, struct unix_scm *scm)
{
	for (int i = 0; i < scm->nfds; i++) {
		if (scm->fds[i].file)
			file_unref_locked(scm->fds[i].file); /* we hold the stack lock */
		if (scm->fds[i].kfd < 0)
			continue;
		if (scm->fds[i].kpid == 0)
			depot_drop(scm->fds[i].kfd);
		else if (scm->fds[i].kpid == self_pid())
			SYS1(SYS_close, scm->fds[i].kfd); /* another process's stays with it */
	}
	st_free(st, scm->fds);
	scm->fds = NULL;
	scm->nfds = 0;
}

/* Takes a reference to what @fd names, usock file or kernel file. */
static int scm_grab(int fd, struct scm_fd *out)
{
	out->file = fd_get(fd);
	out->kfd = -1;
	if (out->file) { /* the message's reference, owned by no process */
		file_ref(out->file);
		file_put(out->file);
		return 0;
	}
	if (SYS3(SYS_fcntl, fd, F_GETFD, 0) < 0)
		return -EBADF;
	long d = depot_put(fd); /* in a shared host the depot holds it (depot.c) */
	if (d >= 0) {
		out->kfd = (int)d;
		out->kpid = 0;
		return 0;
	}
	long k = SYS3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
	if (k < 0)
		return -EBADF;
	out->kfd = (int)k;
	out->kpid = self_pid();
	return 0;
}

static int scm_rights(struct stack *st, const struct cmsghdr *c, struct unix_scm *scm)
{
	size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if (!n)
		return 0;
	if (scm->nfds + n > SCM_MAX_FD)
		return -EINVAL;
	struct scm_fd *fds = st_alloc(st, (scm->nfds + n) * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	if (scm->nfds)
		memcpy(fds, scm->fds, (size_t)scm->nfds * sizeof(*fds));
	st_free(st, scm->fds);
	scm->fds = fds;
	const unsigned char *p = CMSG_DATA(c);
	for (size_t i = 0; i < n; i++) {
		int fd;
		memcpy(&fd, p + i * sizeof(int), sizeof(int));
		int r = scm_grab(fd, &scm->fds[scm->nfds]);
		if (r < 0)
			return r;
		scm->nfds++;
	}
	return 0;
}

static int cred_allowed(const struct ucred *uc)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	SYS3(SYS_getresuid, &ruid, &euid, &suid);
	SYS3(SYS_getresgid, &rgid, &egid, &sgid);
	if (uc->pid != (pid_t)SYS0(SYS_getpid) && !sock_capable(CAP_SYS_ADMIN))
		return 0;
	if (uc->uid != ruid && uc->uid != euid && uc->uid != suid && !sock_capable(CAP_SETUID))
		return 0;
	if (uc->gid != rgid && uc->gid != egid && uc->gid != sgid && !sock_capable(CAP_SETGID))
		return 0;
	return 1;
}

static int scm_one(struct stack *st, const struct cmsghdr *c, struct unix_scm *scm)
{
	if (c->cmsg_level != SOL_SOCKET)
		return 0;
	switch (c->cmsg_type) {
	case SCM_RIGHTS:
		return scm_rights(st, c, scm);
	case SCM_CREDENTIALS: {
		struct ucred uc;
		if (c->cmsg_len != CMSG_LEN(sizeof(uc)))
			return -EINVAL;
		memcpy(&uc, CMSG_DATA(c), sizeof(uc));
		if (!cred_allowed(&uc))
			return -EPERM;
		if (SYS2(SYS_kill, uc.pid, 0) == -ESRCH)
			return -ESRCH; /* scm_send() looks the pid up */
		scm->pid = uc.pid;
		scm->uid = uc.uid;
		scm->gid = uc.gid;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

int unix_scm_send(struct stack *st, const struct msghdr *msg, struct unix_scm *scm)
{
	memset(scm, 0, sizeof(*scm));
	scm->pid = (pid_t)SYS0(SYS_getpid);
	scm->uid = (uid_t)SYS0(SYS_getuid); /* current_uid(): the real ids */
	scm->gid = (gid_t)SYS0(SYS_getgid);
	if (!msg->msg_controllen)
		return 0;
	if (msg->msg_controllen < sizeof(struct cmsghdr))
		return -EINVAL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		size_t room = msg->msg_controllen - (size_t)((char *)c - (char *)msg->msg_control);
		if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > room)
			return unix_scm_destroy(st, scm), -EINVAL;
		int r = scm_one(st, c, scm);
		if (r < 0) {
			unix_scm_destroy(st, scm);
			return r;
		}
	}
	return 0;
}

/* A kernel fd sent by another process: copied out of it with pidfd_getfd(2) (the same user
 * may; the sender's duplicate stays in flight there until the message is freed). */
static int scm_install_remote(struct scm_fd *s, int cloexec)
{
	long pfd = SYS2(SYS_pidfd_open, s->kpid, 0);
	if (pfd < 0)
		return -EBADF;
	long fd = SYS3(SYS_pidfd_getfd, pfd, s->kfd, 0);
	SYS1(SYS_close, pfd);
	if (fd < 0)
		return fd == -EPERM ? -EPERM : -EBADF;
	SYS3(SYS_fcntl, fd, F_SETFD, cloexec ? FD_CLOEXEC : 0); /* it came as the lowest free */
	return (int)fd;
}

/* Installs one received right at the lowest free fd; -errno on failure. */
static int scm_install(struct scm_fd *s, int cloexec)
{
	if (s->file) {
		file_get(s->file);
		int fd = fd_install(s->file, cloexec, 0);
		if (fd < 0) {
			file_put_locked(s->file);
			return fd;
		}
		file_unref_locked(s->file); /* the receiver's fd holds it now */
		s->file = NULL;
		return fd;
	}
	if (s->kpid == 0)
		return (int)depot_get(s->kfd, cloexec); /* the message keeps the depot's copy */
	if (s->kpid != self_pid())
		return scm_install_remote(s, cloexec);
	/* The in-flight duplicate holds a number the receiver never had: take the lowest. */
	long other = SYS3(SYS_fcntl, s->kfd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (other < 0)
		return (int)other;
	long keep = other, drop = s->kfd;
	if (s->kfd < other) {
		keep = s->kfd;
		drop = other;
		SYS3(SYS_fcntl, keep, F_SETFD, cloexec ? FD_CLOEXEC : 0);
	}
	SYS1(SYS_close, drop);
	s->kfd = -1;
	return (int)keep;
}

/* Installs a duplicate of an in-flight right, for MSG_PEEK; -errno on failure. */
static int scm_install_dup(const struct scm_fd *s, int cloexec)
{
	if (s->file) {
		file_get(s->file);
		int fd = fd_install(s->file, cloexec, 0);
		if (fd < 0)
			file_put_locked(s->file);
		return fd;
	}
	if (s->kpid == 0)
		return (int)depot_get(s->kfd, cloexec);
	if (s->kpid != self_pid())
		return scm_install_remote((struct scm_fd *)s, cloexec);
	return (int)SYS3(SYS_fcntl, s->kfd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
}

/* 1 if the first @len bytes of the user's control buffer take a write: scm_detach_fds()
 * installs an fd only once its number is written out, so an unwritable buffer gets none. */
static int cmsg_writable(const struct msghdr *msg, size_t len)
{
	static const char zero[CMSG_LEN(SCM_MAX_FD * sizeof(int))];
	return copy_to_user(msg->msg_control, zero, len) == 0;
}

/* scm_detach_fds(): as many fds as fit, MSG_CTRUNC (and the rest closed) otherwise.
 * A peek installs duplicates and leaves the rights with the message. */
void unix_scm_recv_rights(struct unix_sock *u, struct umsg *m, struct msghdr *msg, int flags)
{
	int peek = (flags & MSG_PEEK) != 0, cloexec = (flags & MSG_CMSG_CLOEXEC) != 0;
	size_t room = msg->msg_controllen > CMSG_LEN(0) ? msg->msg_controllen - CMSG_LEN(0) : 0;
	if (!msg->msg_control || msg->msg_controllen < CMSG_LEN(0))
		room = 0;
	int fit = (int)(room / sizeof(int)), n = m->scm.nfds < fit ? m->scm.nfds : fit;
	if (n && !cmsg_writable(msg, CMSG_LEN((size_t)n * sizeof(int))))
		n = 0;
	int fds[SCM_MAX_FD], got = 0;
	for (int i = 0; i < n; i++) {
		int fd = peek ? scm_install_dup(&m->scm.fds[i], cloexec)
		              : scm_install(&m->scm.fds[i], cloexec);
		if (fd < 0)
			break;
		fds[got++] = fd;
	}
	if (got)
		unix_put_cmsg(msg, SOL_SOCKET, SCM_RIGHTS, (size_t)got * sizeof(int), fds);
	if (got < m->scm.nfds)
		msg->msg_flags |= MSG_CTRUNC;
	if (!peek)
		unix_scm_destroy(u->sk.st, &m->scm); /* closes whatever was not installed */
}

static void scm_recv_stamp(struct unix_sock *u, struct umsg *m, struct msghdr *msg)
{
	struct sock *sk = &u->sk;
	sk->stamp = m->stamp;
	if (!(sk->flags & SKF_TIMESTAMP) || !m->stamp.tv_sec || sk->type == SOCK_STREAM)
		return;
	if (sk->flags & SKF_TIMESTAMPNS) {
		unix_put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMPNS_OLD, sizeof(m->stamp), &m->stamp);
	} else {
		struct timeval tv = {m->stamp.tv_sec, m->stamp.tv_nsec / 1000};
		unix_put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMP_OLD, sizeof(tv), &tv);
	}
}

void unix_scm_recv(struct unix_sock *u, struct umsg *m, struct msghdr *msg, int flags)
{
	if (u->sk.flags & SKF_PASSCRED) {
		struct ucred uc = {m->scm.pid, m->scm.uid, m->scm.gid};
		unix_put_cmsg(msg, SOL_SOCKET, SCM_CREDENTIALS, sizeof(uc), &uc);
	}
	scm_recv_stamp(u, m, msg);
	if (m->scm.nfds)
		unix_scm_recv_rights(u, m, msg, flags);
}
