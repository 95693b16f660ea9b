/* api_fd.c: fd-level calls on usock fds: close, close_range, dup*, fcntl, ioctl, fstat
 * (the inode's part of fstat, fchmod... and record locks: api_inode.c).
 * The kernel placeholder fd carries the number and FD_CLOEXEC; the ufile carries the
 * open-file state (O_NONBLOCK, O_ASYNC, SIGIO owner). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/sockios.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "file.h"
#include "sock.h"

int sock_file_get(int fd, struct ufile **out)
{
	struct ufile *f = fd_get(fd);
	if (!f) {
		if (SYS3(SYS_fcntl, fd, F_GETFD, 0) < 0)
			return -EBADF;
		return -ENOTSOCK;
	}
	if (f->kind != UFILE_SOCK) {
		file_put(f);
		return -ENOTSOCK;
	}
	*out = f;
	return 0;
}

int usock_is_fd(int fd)
{
	return fd_is_usock(fd);
}

int usock_close(int fd)
{
	struct ufile *f = fd_forget(fd);
	long r = SYS1(SYS_close, fd);
	if (f)
		file_put(f);
	return (int)r;
}

int usock_close_range(unsigned first, unsigned last, int flags)
{
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	long r = SYS3(SYS_close_range, first, last, flags);
	if (r < 0 || (flags & CLOSE_RANGE_CLOEXEC))
		return (int)r;
	unsigned top = last > (1u << 22) ? (1u << 22) : last;
	for (unsigned fd = first; fd <= top && fd >= first; fd++) {
		struct ufile *f = fd_is_usock((int)fd) ? fd_forget((int)fd) : NULL;
		if (f)
			file_put(f);
	}
	return 0;
}

int usock_dup(int fd)
{
	struct ufile *f = fd_get(fd);
	if (!f)
		return (int)SYS1(SYS_dup, fd);
	long nfd = SYS1(SYS_dup, fd);
	if (nfd >= 0 && fd_adopt((int)nfd, f) < 0) {
		SYS1(SYS_close, nfd);
		return -ENOMEM;
	}
	if (nfd < 0)
		file_put(f);
	return (int)nfd;
}

int usock_dup3(int oldfd, int newfd, int flags)
{
	int dup2_mode = flags == -1;
	if (dup2_mode)
		flags = 0;
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	struct ufile *f = fd_get(oldfd);
	if (oldfd == newfd) {
		if (f)
			file_put(f);
		if (!dup2_mode)
			return -EINVAL;
		return SYS3(SYS_fcntl, oldfd, F_GETFD, 0) < 0 ? -EBADF : newfd;
	}
	if (!f) {
		struct ufile *old = fd_is_usock(newfd) ? fd_forget(newfd) : NULL;
		long r = SYS3(SYS_dup3, oldfd, newfd, flags);
		if (old)
			file_put(old);
		return (int)r;
	}
	int r = fd_install_at(f, oldfd, newfd, flags & O_CLOEXEC);
	file_put(f);
	return r;
}

/* f_setown(): @who > 0 a process, < 0 a process group. */
static int file_setown(struct ufile *f, int type, pid_t who)
{
	if (who == INT_MIN)
		return -EINVAL;
	if (who < 0 && type == F_OWNER_PID) {
		type = F_OWNER_PGRP;
		who = -who;
	}
	/* find_vpid(): any existing id will do (kill(2) accepts thread ids too) */
	if (who && SYS2(SYS_kill, type == F_OWNER_PGRP ? -who : who, 0) == -ESRCH)
		return -ESRCH;
	if (f->kind == UFILE_SOCK)
		stack_lock(f->sk->st);
	f->own.type = type;
	f->own.pid = who;
	if (f->kind == UFILE_SOCK)
		stack_unlock(f->sk->st);
	return 0;
}

/* f_getown(): 0 once no task answers to the owner any more (it was reaped, or its group
 * is empty), as Linux checks pid_task() on the file's struct pid. */
static pid_t file_getown(const struct ufile *f)
{
	pid_t p = f->own.type == F_OWNER_PGRP ? -f->own.pid : f->own.pid;
	if (p && SYS2(SYS_kill, p, 0) == -ESRCH)
		return 0;
	return p;
}

static int fcntl_owner(struct ufile *f, int cmd, unsigned long arg)
{
	struct f_owner_ex *uex = (struct f_owner_ex *)arg, ex;
	switch (cmd) {
	case F_SETOWN:
		return file_setown(f, F_OWNER_PID, (pid_t)(int)arg);
	case F_GETOWN:
		return file_getown(f);
	case F_SETOWN_EX:
		if (copy_from_user(&ex, uex, sizeof(ex)) < 0)
			return -EFAULT;
		if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP)
			return -EINVAL;
		if (ex.pid < 0)
			return -ESRCH; /* no negation here: find_vpid() of a negative id */
		return file_setown(f, ex.type, ex.pid);
	case F_GETOWN_EX:
		ex = (struct f_owner_ex){.type = f->own.type, .pid = f->own.pid};
		if (file_getown(f) == 0) /* no task answers to it any more */
			ex.pid = 0;
		return copy_to_user(uex, &ex, sizeof(ex));
	case F_SETSIG:
		if (arg > 64)
			return -EINVAL;
		f->own.sig = (int)arg;
		return 0;
	default: /* F_GETSIG */
		return f->own.sig;
	}
}

static void file_set_async(struct ufile *f, int fd, unsigned fl)
{
	if (f->kind == UFILE_SOCK && (fl & O_ASYNC))
		f->sigio_fd = fd;
	file_set_fl(f, fl);
}

int usock_fcntl(int fd, int cmd, unsigned long arg)
{
	struct ufile *f = fd_get(fd);
	if (!f)
		return (int)SYS3(SYS_fcntl, fd, cmd, arg);
	long r;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = SYS3(SYS_fcntl, fd, cmd, arg);
		if (r >= 0) {
			file_get(f);
			if (fd_adopt((int)r, f) < 0) {
				file_put(f);
				SYS1(SYS_close, r);
				r = -ENOMEM;
			}
		}
		break;
	case F_GETFL:
		r = O_RDWR | (long)atomic_load(&f->fl);
		break;
	case F_SETFL:
		if (arg & O_DIRECT) {
			r = -EINVAL; /* sockets cannot do O_DIRECT */
			break;
		}
		file_set_async(f, fd, (unsigned)arg);
		r = 0;
		break;
	case F_SETOWN:
	case F_GETOWN:
	case F_SETOWN_EX:
	case F_GETOWN_EX:
	case F_SETSIG:
	case F_GETSIG:
		r = fcntl_owner(f, cmd, arg);
		break;
	case F_GETFD:
	case F_SETFD:
		r = SYS3(SYS_fcntl, fd, cmd, arg); /* per-fd state lives on the placeholder */
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = f->kind == UFILE_SOCK ? file_lock(f, cmd, arg) : SYS3(SYS_fcntl, fd, cmd, arg);
		break;
	default:
		r = -EINVAL;
		break;
	}
	file_put(f);
	return (int)r;
}

static int ioctl_file(struct ufile *f, int fd, unsigned long req, void *arg)
{
	int v;
	switch (req) {
	case FIONBIO:
	case FIOASYNC:
		if (copy_from_user(&v, arg, sizeof(v)) < 0)
			return -EFAULT;
		unsigned bit = req == FIONBIO ? O_NONBLOCK : O_ASYNC, fl;
		fl = atomic_load(&f->fl);
		file_set_async(f, fd, v ? fl | bit : fl & ~bit);
		return 0;
	case FIOSETOWN:
	case SIOCSPGRP:
		if (copy_from_user(&v, arg, sizeof(v)) < 0)
			return -EFAULT;
		return file_setown(f, F_OWNER_PID, v);
	case FIOGETOWN:
	case SIOCGPGRP:
		v = file_getown(f);
		return copy_to_user(arg, &v, sizeof(v));
	case FIOCLEX:
	case FIONCLEX:
		return (int)SYS3(SYS_fcntl, fd, F_SETFD, req == FIOCLEX ? FD_CLOEXEC : 0);
	}
	if (f->kind != UFILE_SOCK)
		return -ENOTTY;
	struct sock *sk = f->sk;
	stack_lock(sk->st);
	int r = sk_ops(sk)->ioctl(sk, req, arg);
	stack_unlock(sk->st);
	return r == -ENOIOCTLCMD ? -ENOTTY : r;
}

int usock_ioctl(int fd, unsigned long req, void *arg)
{
	struct ufile *f = fd_get(fd);
	if (!f)
		return (int)SYS3(SYS_ioctl, fd, req, arg);
	int r = ioctl_file(f, fd, req, arg);
	file_put(f);
	return r;
}

int usock_fstat(int fd, struct stat *st)
{
	struct ufile *f = fd_get(fd);
	if (!f)
		return (int)SYS2(SYS_fstat, fd, st);
	if (f->kind == UFILE_EPOLL) {
		file_put(f);
		return (int)SYS2(SYS_fstat, fd, st);
	}
	struct stat k;
	memset(&k, 0, sizeof(k));
	k.st_nlink = 1;
	k.st_dev = 8; /* sockfs is an anonymous device */
	k.st_ino = (ino_t)((uintptr_t)f->sk >> 4);
	k.st_blksize = 4096;
	file_inode_stat(f, &k); /* mode, owner, times */
	file_put(f);
	return copy_to_user(st, &k, sizeof(k)); /* cp_new_stat() */
}
