/* api_inode.c: a socket's inode. Linux gives each socket a sockfs inode whose mode, owner
 * and times fstat() shows and fchmod(), fchown() and futimens() change; usock keeps them in
 * the file (struct uinode, file.h). The checks are fs/attr.c's (notify_change(),
 * setattr_prepare(), setattr_copy()) and fs/namei.c's generic_permission(). Also the record
 * locks of fcntl(), which a socket grants. On a kernel fd each call goes to the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "usock/usock.h"

#include "../base/sys.h"
#include "file.h"
#include "sock.h"
#include "uaccess.h"

/* The credentials a check runs with: the filesystem ids and effective capabilities, or
 * for access() the real ids (do_faccessat(), access_override_creds()). */
struct cred {
	uid_t uid;
	gid_t gid;
	uint64_t caps;
};

static void cred_get(struct cred *c, int real)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{0}};
	SYS2(SYS_capget, &h, d);
	if (!real) {
		/* an invalid id (-1) changes nothing; the call returns the current one */
		c->uid = (uid_t)SYS1(SYS_setfsuid, -1);
		c->gid = (gid_t)SYS1(SYS_setfsgid, -1);
		c->caps = d[0].effective | (uint64_t)d[1].effective << 32;
		return;
	}
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	SYS3(SYS_getresuid, &ru, &eu, &su);
	SYS3(SYS_getresgid, &rg, &eg, &sg);
	c->uid = ru;
	c->gid = rg;
	/* the real root keeps its permitted set, anyone else checks without capabilities */
	c->caps = ru == 0 ? d[0].permitted | (uint64_t)d[1].permitted << 32 : 0;
}

static int cred_capable(const struct cred *c, int cap)
{
	return (c->caps >> cap) & 1;
}

/* in_group_p(): the fsgid or a supplementary group. */
static int cred_in_group(const struct cred *c, gid_t gid)
{
	if (gid == c->gid)
		return 1;
	gid_t fast[64], *list = fast;
	long n = SYS2(SYS_getgroups, 64, fast);
	if (n == -EINVAL) { /* more than 64 groups */
		n = SYS2(SYS_getgroups, 0, NULL);
		list = n > 0 ? malloc((size_t)n * sizeof(gid_t)) : NULL;
		n = list ? SYS2(SYS_getgroups, n, list) : 0;
	}
	int found = 0;
	for (long i = 0; i < n && !found; i++)
		found = list[i] == gid;
	if (list != fast)
		free(list);
	return found;
}

static int owner_or_capable(const struct uinode *ino, const struct cred *c)
{
	return c->uid == ino->uid || cred_capable(c, CAP_FOWNER);
}

static int in_group_or_capable(const struct cred *c, gid_t gid)
{
	return cred_in_group(c, gid) || cred_capable(c, CAP_FSETID);
}

/* generic_permission() for @mask of R_OK | W_OK | X_OK: the owner, group or other bits,
 * then the capabilities that override them (execute only if some x bit is set). */
static int inode_permission(const struct uinode *ino, const struct cred *c, int mask)
{
	unsigned mode = ino->mode;
	if (c->uid == ino->uid)
		mode >>= 6;
	else if (cred_in_group(c, ino->gid))
		mode >>= 3;
	if (!(mask & ~mode & 7))
		return 0;
	if (mask == R_OK && cred_capable(c, CAP_DAC_READ_SEARCH))
		return 0;
	if ((!(mask & X_OK) || (ino->mode & (S_IXUSR | S_IXGRP | S_IXOTH))) &&
	    cred_capable(c, CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

/* A change request, as Linux's struct iattr. */
enum {
	IA_MODE = 1u << 0,
	IA_UID = 1u << 1,
	IA_GID = 1u << 2,
	IA_ATIME = 1u << 3,     /* to now, or to .atime with IA_ATIME_SET */
	IA_MTIME = 1u << 4,     /* to now, or to .mtime with IA_MTIME_SET */
	IA_ATIME_SET = 1u << 5, /* explicit times: the owner only */
	IA_MTIME_SET = 1u << 6,
	IA_TIMES_SET = 1u << 7,  /* utimensat() with times: the owner only */
	IA_TOUCH = 1u << 8,      /* utimensat() to now: the owner, or write permission */
	IA_KILL_SUID = 1u << 9,  /* chown drops set-user-ID ... */
	IA_KILL_SGID = 1u << 10, /* ... and set-group-ID (setattr_should_drop_sgid()) */
};

struct iattr {
	unsigned valid;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime;
};

/* setattr_prepare(): may the caller make the change? */
static int setattr_prepare(const struct uinode *ino, const struct cred *c, struct iattr *a)
{
	if ((a->valid & IA_UID) &&
	    !((c->uid == ino->uid && a->uid == ino->uid) || cred_capable(c, CAP_CHOWN)))
		return -EPERM;
	if ((a->valid & IA_GID) &&
	    !((c->uid == ino->uid && (a->gid == ino->gid || cred_in_group(c, a->gid))) ||
	      cred_capable(c, CAP_CHOWN)))
		return -EPERM;
	if (a->valid & IA_MODE) {
		if (!owner_or_capable(ino, c))
			return -EPERM;
		if (!in_group_or_capable(c, (a->valid & IA_GID) ? a->gid : ino->gid))
			a->mode &= ~S_ISGID;
	}
	if ((a->valid & (IA_ATIME_SET | IA_MTIME_SET | IA_TIMES_SET)) && !owner_or_capable(ino, c))
		return -EPERM;
	return 0;
}

/* notify_change() with setattr_copy(): checks, then applies @a; ctime becomes now. */
static int inode_setattr(struct uinode *ino, const struct cred *c, struct iattr *a)
{
	if ((a->valid & IA_TOUCH) && !owner_or_capable(ino, c)) {
		int r = inode_permission(ino, c, W_OK);
		if (r < 0)
			return r;
	}
	if ((a->valid & IA_KILL_SUID) && (ino->mode & S_ISUID)) {
		a->valid |= IA_MODE;
		a->mode = ino->mode & ~S_ISUID;
	}
	if ((a->valid & IA_KILL_SGID) && (ino->mode & S_ISGID)) {
		if (!(a->valid & IA_MODE))
			a->mode = ino->mode;
		a->valid |= IA_MODE;
		a->mode &= ~S_ISGID;
	}
	int r = setattr_prepare(ino, c, a);
	if (r < 0)
		return r;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME_COARSE, &now); /* current_time() */
	if (a->valid & IA_UID)
		ino->uid = a->uid;
	if (a->valid & IA_GID)
		ino->gid = a->gid;
	if (a->valid & IA_ATIME)
		ino->atime = (a->valid & IA_ATIME_SET) ? a->atime : now;
	if (a->valid & IA_MTIME)
		ino->mtime = (a->valid & IA_MTIME_SET) ? a->mtime : now;
	ino->ctime = now;
	if (a->valid & IA_MODE) {
		if (!in_group_or_capable(c, ino->gid))
			a->mode &= ~S_ISGID;
		ino->mode = a->mode;
	}
	return 0;
}

void file_inode_init(struct uinode *ino)
{
	*ino = (struct uinode){
	        .mode = S_IFSOCK | 0777,
	        .uid = (uid_t)SYS1(SYS_setfsuid, -1),
	        .gid = (gid_t)SYS1(SYS_setfsgid, -1),
	};
}

void file_inode_stat(struct ufile *f, struct stat *st)
{
	stack_lock(f->sk->st);
	st->st_mode = f->ino.mode;
	st->st_uid = f->ino.uid;
	st->st_gid = f->ino.gid;
	st->st_atim = f->ino.atime;
	st->st_mtim = f->ino.mtime;
	st->st_ctim = f->ino.ctime;
	stack_unlock(f->sk->st);
}

/* The socket file behind @fd with a reference, or NULL for a kernel fd or an epoll
 * instance (a kernel epoll fd: the kernel answers for it). */
static struct ufile *inode_file_get(int fd)
{
	struct ufile *f = fd_get(fd);
	if (f && f->kind != UFILE_SOCK) {
		file_put(f);
		f = NULL;
	}
	return f;
}

/* Applies @a to @fd's socket inode with the caller's credentials. Consumes @f's reference. */
static int inode_change(struct ufile *f, struct iattr *a)
{
	struct cred c;
	cred_get(&c, 0);
	stack_lock(f->sk->st);
	int r = inode_setattr(&f->ino, &c, a);
	stack_unlock(f->sk->st);
	file_put(f);
	return r;
}

int usock_fchmod(int fd, mode_t mode)
{
	struct ufile *f = inode_file_get(fd);
	if (!f)
		return (int)SYS2(SYS_fchmod, fd, mode);
	struct iattr a = {.valid = IA_MODE, .mode = S_IFSOCK | (mode & 07777)};
	return inode_change(f, &a);
}

/* chown_common(): -1 leaves an id as it is; a socket is no directory, so set-user-ID goes
 * and set-group-ID too where setattr_should_drop_sgid() says. */
int usock_fchown(int fd, uid_t uid, gid_t gid)
{
	struct ufile *f = inode_file_get(fd);
	if (!f)
		return (int)SYS3(SYS_fchown, fd, uid, gid);
	struct iattr a = {.valid = IA_KILL_SUID, .uid = uid, .gid = gid};
	a.valid |= uid != (uid_t)-1 ? IA_UID : 0;
	a.valid |= gid != (gid_t)-1 ? IA_GID : 0;
	struct cred c;
	cred_get(&c, 0);
	stack_lock(f->sk->st);
	mode_t m = f->ino.mode;
	if ((m & S_ISGID) && ((m & S_IXGRP) || !in_group_or_capable(&c, f->ino.gid)))
		a.valid |= IA_KILL_SGID;
	int r = inode_setattr(&f->ino, &c, &a);
	stack_unlock(f->sk->st);
	file_put(f);
	return r;
}

static int nsec_valid(long ns)
{
	return ns == UTIME_NOW || ns == UTIME_OMIT || (ns >= 0 && ns <= 999999999);
}

/* utimensat(2) on the socket itself (vfs_utimes()). */
static int inode_utimes(struct ufile *f, const struct timespec *t)
{
	struct iattr a = {.valid = IA_ATIME | IA_MTIME};
	if (!t || (t[0].tv_nsec == UTIME_NOW && t[1].tv_nsec == UTIME_NOW)) {
		a.valid |= IA_TOUCH;
		return inode_change(f, &a);
	}
	a.valid |= IA_TIMES_SET;
	if (t[0].tv_nsec == UTIME_OMIT)
		a.valid &= ~IA_ATIME;
	else if (t[0].tv_nsec != UTIME_NOW)
		a.valid |= IA_ATIME_SET, a.atime = t[0];
	if (t[1].tv_nsec == UTIME_OMIT)
		a.valid &= ~IA_MTIME;
	else if (t[1].tv_nsec != UTIME_NOW)
		a.valid |= IA_MTIME_SET, a.mtime = t[1];
	return inode_change(f, &a);
}

int usock_futimens(int fd, const struct timespec times[2])
{
	struct timespec t[2];
	if (times && copy_from_user(t, times, sizeof(t)) < 0)
		return -EFAULT;
	if (times && t[0].tv_nsec == UTIME_OMIT && t[1].tv_nsec == UTIME_OMIT)
		return 0; /* nothing to do: not even the fd is checked */
	struct ufile *f = inode_file_get(fd);
	if (!f)
		return (int)SYS4(SYS_utimensat, fd, NULL, times ? t : NULL, 0);
	if (times && (!nsec_valid(t[0].tv_nsec) || !nsec_valid(t[1].tv_nsec))) {
		file_put(f);
		return -EINVAL;
	}
	return inode_utimes(f, times ? t : NULL);
}

int usock_faccess(int fd, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct ufile *f = inode_file_get(fd);
	if (!f)
		return (int)SYS4(SYS_faccessat2, fd, "", mode, flags | AT_EMPTY_PATH);
	struct cred c;
	cred_get(&c, !(flags & AT_EACCESS));
	stack_lock(f->sk->st);
	int r = mode ? inode_permission(&f->ino, &c, mode) : 0;
	stack_unlock(f->sk->st);
	file_put(f);
	return r;
}

/* flock_to_posix_lock(): the range of @l on a socket, whose position and size are 0. */
static int lock_check(const struct flock *l)
{
	if (l->l_whence != SEEK_SET && l->l_whence != SEEK_CUR && l->l_whence != SEEK_END)
		return -EINVAL;
	if (l->l_start < 0)
		return -EINVAL;
	if (l->l_len > 0 && l->l_len - 1 > INT64_MAX - l->l_start)
		return -EOVERFLOW;
	if (l->l_len < 0 && l->l_start + l->l_len < 0)
		return -EINVAL;
	if (l->l_type != F_RDLCK && l->l_type != F_WRLCK && l->l_type != F_UNLCK)
		return -EINVAL;
	return 0;
}

/* fcntl_getlk()/fcntl_setlk() on a socket. Its one open file takes every lock without
 * conflict in this process: a request is checked as Linux checks it, then granted, and
 * F_GETLK answers F_UNLCK. (Linux also sets an OFD lock against the same process's POSIX
 * lock, and other processes' locks against each other; usock does not track them yet.) */
int file_lock(struct ufile *f, int cmd, unsigned long arg)
{
	struct flock l;
	(void)f;
	if (copy_from_user(&l, (const void *)arg, sizeof(l)) < 0)
		return -EFAULT;
	int get = cmd == F_GETLK || cmd == F_OFD_GETLK;
	if (get && l.l_type != F_RDLCK && l.l_type != F_WRLCK)
		return -EINVAL;
	int r = lock_check(&l);
	if (r < 0)
		return r;
	if ((cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) && l.l_pid != 0)
		return -EINVAL;
	if (!get)
		return 0;
	l.l_type = F_UNLCK;
	return copy_to_user((void *)arg, &l, sizeof(l));
}
