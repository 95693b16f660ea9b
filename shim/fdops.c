/* fdops.c: calls on an fd that mean nothing for a socket, which on a usock socket would
 * otherwise reach its placeholder (EBADF, or the root directory's answer). Each gives
 * Linux's answer for a socket: a constant where Linux checks nothing else first, the
 * kernel's own answer for a stand-in (path.c) where it checks arguments first (fallocate,
 * mmap...), and sockfs's facts for fstatfs. Kernel fds go to libc unchanged. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"

#define SOCKFS_MAGIC 0x534F434B
#define ST_VALID     0x0020 /* statfs f_flags: the flags are valid (linux/statfs.h) */

SHIM_EXPORT int ftruncate(int fd, off_t len)
{
	if (!shim_is_sock(fd))
		return NEXT(ftruncate)(fd, len);
	return (int)ret_errno(-EINVAL); /* do_ftruncate(): not a regular file */
}

SHIM_EXPORT int ftruncate64(int fd, off64_t len)
{
	return ftruncate(fd, len);
}

SHIM_EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	if (!shim_is_sock(fd))
		return NEXT(fallocate)(fd, mode, off, len);
	int s = shim_stand_in(); /* vfs_fallocate(): mode and range checks, then ENODEV */
	if (s < 0)
		return (int)ret_errno(-ENODEV);
	int r = NEXT(fallocate)(s, mode, off, len);
	shim_stand_in_put(s);
	return r;
}

SHIM_EXPORT int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	return fallocate(fd, mode, off, len);
}

/* Returns the error number itself, as posix_fallocate(3). */
SHIM_EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
	if (!shim_is_sock(fd))
		return NEXT(posix_fallocate)(fd, off, len);
	int s = shim_stand_in();
	if (s < 0)
		return ENODEV;
	int r = NEXT(posix_fallocate)(s, off, len);
	shim_stand_in_put(s);
	return r;
}

SHIM_EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
	return posix_fallocate(fd, off, len);
}

/* A socket has no fsync operation: vfs_fsync_range() says EINVAL. */
SHIM_EXPORT int fsync(int fd)
{
	if (!shim_is_sock(fd))
		return NEXT(fsync)(fd);
	return (int)ret_errno(-EINVAL);
}

SHIM_EXPORT int fdatasync(int fd)
{
	if (!shim_is_sock(fd))
		return NEXT(fdatasync)(fd);
	return (int)ret_errno(-EINVAL);
}

/* syncfs() of sockfs: nothing to write back. */
SHIM_EXPORT int syncfs(int fd)
{
	if (!shim_is_sock(fd))
		return NEXT(syncfs)(fd);
	return 0;
}

SHIM_EXPORT int sync_file_range(int fd, off64_t off, off64_t n, unsigned flags)
{
	if (!shim_is_sock(fd))
		return NEXT(sync_file_range)(fd, off, n, flags);
	int s = shim_stand_in(); /* flag and range checks, then ESPIPE */
	if (s < 0)
		return (int)ret_errno(-ESPIPE);
	int r = NEXT(sync_file_range)(s, off, n, flags);
	shim_stand_in_put(s);
	return r;
}

/* generic_fadvise() on an inode without a backing device: the known advice is accepted
 * and does nothing. Returns the error number itself, as posix_fadvise(3). */
SHIM_EXPORT int posix_fadvise(int fd, off_t off, off_t len, int advice)
{
	if (!shim_is_sock(fd))
		return NEXT(posix_fadvise)(fd, off, len, advice);
	int s = shim_stand_in();
	if (s < 0)
		return len < 0 || advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE ? EINVAL
		                                                                            : 0;
	int r = NEXT(posix_fadvise)(s, off, len, advice);
	shim_stand_in_put(s);
	return r;
}

SHIM_EXPORT int posix_fadvise64(int fd, off64_t off, off64_t len, int advice)
{
	return posix_fadvise(fd, off, len, advice);
}

SHIM_EXPORT ssize_t readahead(int fd, off64_t off, size_t n)
{
	if (!shim_is_sock(fd))
		return NEXT(readahead)(fd, off, n);
	return ret_errno(-EINVAL); /* ksys_readahead(): not a regular file */
}

/* A socket's mmap is its protocol's, and AF_UNIX has none (sock_no_mmap): ENODEV after the
 * generic checks, which the stand-in (no mmap at all) goes through the same way. */
SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & MAP_ANONYMOUS) || !shim_is_sock(fd))
		return NEXT(mmap)(addr, len, prot, flags, fd, off);
	int s = shim_stand_in();
	if (s < 0) {
		ret_errno(-ENODEV);
		return MAP_FAILED;
	}
	void *p = NEXT(mmap)(addr, len, prot, flags, s, off);
	shim_stand_in_put(s);
	if (p != MAP_FAILED) { /* a kernel that maps an eventfd: still no socket mapping */
		munmap(p, len);
		ret_errno(-ENODEV);
		p = MAP_FAILED;
	}
	return p;
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* flock(2): a socket is one open file, so its flock locks never conflict; LOCK_MAND is
 * ignored before anything else (Linux warns once and returns 0). */
SHIM_EXPORT int flock(int fd, int op)
{
	if (!shim_is_sock(fd))
		return NEXT(flock)(fd, op);
	if (op & 32) /* LOCK_MAND */
		return 0;
	op &= ~LOCK_NB;
	if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
		return (int)ret_errno(-EINVAL);
	return 0;
}

/* glibc's lockf() calls its internal fcntl(), which the shim cannot see: the same here
 * through the shim's fcntl() (io/lockf64.c). */
SHIM_EXPORT int lockf(int fd, int cmd, off_t len)
{
	if (!usock_is_fd(fd))
		return NEXT(lockf)(fd, cmd, len);
	struct flock fl = {.l_whence = SEEK_CUR, .l_len = len};
	switch (cmd) {
	case F_TEST:
		fl.l_type = F_RDLCK;
		if (fcntl(fd, F_GETLK, &fl) < 0)
			return -1;
		if (fl.l_type == F_UNLCK || fl.l_pid == getpid())
			return 0;
		return (int)ret_errno(-EACCES);
	case F_ULOCK:
		fl.l_type = F_UNLCK;
		return fcntl(fd, F_SETLK, &fl);
	case F_LOCK:
		fl.l_type = F_WRLCK;
		return fcntl(fd, F_SETLKW, &fl);
	case F_TLOCK:
		fl.l_type = F_WRLCK;
		return fcntl(fd, F_SETLK, &fl);
	}
	return (int)ret_errno(-EINVAL);
}

SHIM_EXPORT int lockf64(int fd, int cmd, off64_t len)
{
	return lockf(fd, cmd, len);
}

SHIM_EXPORT int fchdir(int fd)
{
	if (!shim_is_sock(fd))
		return NEXT(fchdir)(fd);
	return (int)ret_errno(-ENOTDIR);
}

/* glibc's fdopendir() checks the fd with its internal fstat (the placeholder is a directory). */
SHIM_EXPORT DIR *fdopendir(int fd)
{
	if (!shim_is_sock(fd))
		return NEXT(fdopendir)(fd);
	ret_errno(-ENOTDIR);
	return NULL;
}

/* simple_statfs() of sockfs; the fsid is its device, as fstat's st_dev. */
int shim_sock_statfs(int fd, struct statfs *sf)
{
	struct stat st;
	int r = usock_fstat(fd, &st);
	if (r < 0)
		return r;
	struct statfs k = (struct statfs){
	        .f_type = SOCKFS_MAGIC,
	        .f_bsize = 4096,
	        .f_namelen = 255,
	        .f_frsize = 4096,
	        .f_flags = ST_VALID,
	        .f_fsid = {{(int)st.st_dev, 0}},
	};
	return shim_ptr_ok(sf, sizeof(*sf)) && usock_copy_to_user(sf, &k, sizeof(k)) == 0 ? 0
	                                                                                  : -EFAULT;
}

SHIM_EXPORT int fstatfs(int fd, struct statfs *sf)
{
	if (!shim_is_sock(fd))
		return NEXT(fstatfs)(fd, sf);
	return (int)ret_errno(shim_sock_statfs(fd, sf));
}

SHIM_EXPORT int fstatfs64(int fd, struct statfs64 *sf)
{
	return fstatfs(fd, (struct statfs *)sf);
}

/* glibc's statvfs from the statfs (internal_statvfs.c): f_flag drops ST_VALID. */
static int sock_statvfs(int fd, struct statvfs *vf)
{
	struct statfs sf;
	int r = shim_sock_statfs(fd, &sf);
	if (r < 0)
		return r;
	struct statvfs k = (struct statvfs){
	        .f_bsize = (unsigned long)sf.f_bsize,
	        .f_frsize = (unsigned long)sf.f_frsize,
	        .f_fsid = (unsigned)sf.f_fsid.__val[0],
	        .f_flag = (unsigned long)(sf.f_flags ^ ST_VALID),
	        .f_namemax = (unsigned long)sf.f_namelen,
	};
	return shim_ptr_ok(vf, sizeof(*vf)) && usock_copy_to_user(vf, &k, sizeof(k)) == 0 ? 0
	                                                                                  : -EFAULT;
}

SHIM_EXPORT int fstatvfs(int fd, struct statvfs *vf)
{
	if (!shim_is_sock(fd))
		return NEXT(fstatvfs)(fd, vf);
	return (int)ret_errno(sock_statvfs(fd, vf));
}

SHIM_EXPORT int fstatvfs64(int fd, struct statvfs64 *vf)
{
	return fstatvfs(fd, (struct statvfs *)vf);
}

/* Path forms of the two, for a path through the socket's /proc link. */
SHIM_EXPORT int statfs(const char *path, struct statfs *sf)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(statfs)(path, sf);
	return (int)ret_errno(r < 0 ? r : shim_sock_statfs(fd, sf));
}

SHIM_EXPORT int statfs64(const char *path, struct statfs64 *sf)
{
	return statfs(path, (struct statfs *)sf);
}

SHIM_EXPORT int statvfs(const char *path, struct statvfs *vf)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(statvfs)(path, vf);
	return (int)ret_errno(r < 0 ? r : sock_statvfs(fd, vf));
}

SHIM_EXPORT int statvfs64(const char *path, struct statvfs64 *vf)
{
	return statvfs(path, (struct statvfs *)vf);
}

/* glibc's fpathconf() reads fstatfs/fstat internally (the placeholder's); these are its
 * answers for a socket, where sockfs is a filesystem it does not know (sysdeps/unix/sysv/
 * linux/fpathconf.c, posix/fpathconf.c). -1 without errno: no limit. */
static const long sock_pathconf[] = {
        [_PC_LINK_MAX] = 127,
        [_PC_MAX_CANON] = 255,
        [_PC_MAX_INPUT] = 255,
        [_PC_NAME_MAX] = 255,
        [_PC_PATH_MAX] = 4096,
        [_PC_PIPE_BUF] = 4096,
        [_PC_CHOWN_RESTRICTED] = 1,
        [_PC_NO_TRUNC] = 1,
        [_PC_VDISABLE] = 0,
        [_PC_SYNC_IO] = -1,
        [_PC_ASYNC_IO] = -1,
        [_PC_PRIO_IO] = -1,
        [_PC_SOCK_MAXBUF] = -1,
        [_PC_FILESIZEBITS] = 32,
        [_PC_REC_INCR_XFER_SIZE] = -1,
        [_PC_REC_MAX_XFER_SIZE] = -1,
        [_PC_REC_MIN_XFER_SIZE] = 4096,
        [_PC_REC_XFER_ALIGN] = 4096,
        [_PC_ALLOC_SIZE_MIN] = 4096,
        [_PC_SYMLINK_MAX] = -1,
        [_PC_2_SYMLINKS] = 1,
};

SHIM_EXPORT long fpathconf(int fd, int name)
{
	if (!shim_is_sock(fd))
		return NEXT(fpathconf)(fd, name);
	if (name < 0 || (size_t)name >= sizeof(sock_pathconf) / sizeof(sock_pathconf[0]))
		return ret_errno(-EINVAL);
	return sock_pathconf[name];
}

SHIM_EXPORT long pathconf(const char *path, int name)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(pathconf)(path, name);
	return r < 0 ? ret_errno(r) : fpathconf(fd, name);
}
