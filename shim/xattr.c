/* xattr.c: extended attributes of a socket, by fd or through its /proc link. Linux's
 * sockfs has one attribute, "system.sockprotoname" (the protocol's name, read-only), and a
 * "security." handler for a security module; user.* attributes exist only on files and
 * directories. The checks are fs/xattr.c's (xattr_permission(), xattr_resolve_name()),
 * for a kernel without a security module. Kernel fds and other paths go to libc. */
#include <linux/capability.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "shim.h"

#define NAME_MAX_LEN   255   /* XATTR_NAME_MAX */
#define SIZE_MAX_BYTES 65536 /* XATTR_SIZE_MAX, XATTR_LIST_MAX */

static const char protoname[] = "system.sockprotoname";

/* import_xattr_name(): ERANGE for "" or a name of 256 bytes or more. */
static int name_import(const char *name, char kname[NAME_MAX_LEN + 1])
{
	if (!shim_ptr_ok(name, 1))
		return -EFAULT;
	for (size_t n = 0; n <= NAME_MAX_LEN; n++) { /* strncpy_from_user() */
		if (usock_copy_from_user(&kname[n], name + n, 1) < 0)
			return -EFAULT;
		if (!kname[n])
			return n == 0 ? -ERANGE : 0;
	}
	return -ERANGE;
}

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int capable_sys_admin(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{0}};
	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return (d[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) & 1;
}

/* xattr_permission() on a socket inode: @write for set and remove. */
static int xattr_permission(int fd, const char *name, int write)
{
	if (has_prefix(name, "security.") || has_prefix(name, "system."))
		return 0;
	if (has_prefix(name, "trusted."))
		return capable_sys_admin() ? 0 : write ? -EPERM : -ENODATA;
	if (has_prefix(name, "user."))
		return write ? -EPERM : -ENODATA; /* not a regular file or directory */
	return usock_faccess(fd, write ? W_OK : R_OK, AT_EACCESS);
}

/* The handler lookup (xattr_resolve_name()): 1 for system.sockprotoname, 2 for a
 * "security." name (no module: nothing to get or set), -EINVAL for "security." alone. */
static int xattr_handler(const char *name)
{
	if (strcmp(name, protoname) == 0)
		return 1;
	if (has_prefix(name, "security."))
		return name[9] ? 2 : -EINVAL;
	return -EOPNOTSUPP;
}

/* The socket dentry's name: its protocol's (struct proto .name), here by family and type. */
static const char *proto_name(int fd)
{
	int v[3] = {0}, opt[3] = {SO_DOMAIN, SO_TYPE, SO_PROTOCOL};
	for (int i = 0; i < 3; i++) {
		socklen_t len = sizeof(int);
		usock_getsockopt(fd, SOL_SOCKET, opt[i], &v[i], &len);
	}
	int fam = v[0], type = v[1], proto = v[2], six = fam == AF_INET6;
	if (fam == AF_UNIX)
		return type == SOCK_STREAM ? "UNIX-STREAM" : "UNIX";
	if (fam == AF_PACKET)
		return "PACKET";
	if (fam != AF_INET && !six)
		return "";
	if (type == SOCK_RAW)
		return six ? "RAWv6" : "RAW";
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return six ? "PINGv6" : "PING";
	if (proto == IPPROTO_UDPLITE)
		return six ? "UDPLITEv6" : "UDP-Lite";
	if (proto == IPPROTO_MPTCP)
		return six ? "MPTCPv6" : "MPTCP";
	if (type == SOCK_DGRAM)
		return six ? "UDPv6" : "UDP";
	return six ? "TCPv6" : "TCP";
}

static ssize_t sock_getxattr(int fd, const char *name, void *value, size_t size)
{
	char kname[NAME_MAX_LEN + 1];
	int r = name_import(name, kname);
	if (r == 0)
		r = xattr_permission(fd, kname, 0);
	if (r == 0)
		r = xattr_handler(kname);
	if (r < 0)
		return r;
	if (r == 2)
		return -EOPNOTSUPP;
	const char *v = proto_name(fd);
	size_t len = strlen(v) + 1;
	if (size == 0)
		return (ssize_t)len;
	if (len > size)
		return size >= SIZE_MAX_BYTES ? -E2BIG : -ERANGE;
	if (!shim_ptr_ok(value, len) || usock_copy_to_user(value, v, len) < 0)
		return -EFAULT;
	return (ssize_t)len;
}

/* setxattr_copy() checks flags, name and size first; then nothing can be set: the one
 * attribute is read-only and no security module takes "security." names. */
static int sock_setxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	char kname[NAME_MAX_LEN + 1];
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	int r = name_import(name, kname);
	if (r < 0)
		return r;
	if (size > SIZE_MAX_BYTES)
		return -E2BIG;
	if (!shim_ptr_ok(value, size))
		return -EFAULT;
	r = xattr_permission(fd, kname, 1);
	if (r == 0)
		r = xattr_handler(kname);
	return r < 0 ? r : -EOPNOTSUPP;
}

/* sockfs_listxattr(): the one name. */
static ssize_t sock_listxattr(int fd, char *list, size_t size)
{
	if (size == 0)
		return sizeof(protoname);
	if (size < sizeof(protoname))
		return -ERANGE;
	if (!shim_ptr_ok(list, sizeof(protoname)) ||
	    usock_copy_to_user(list, protoname, sizeof(protoname)) < 0)
		return -EFAULT;
	return sizeof(protoname);
}

/* Removing goes to the handler's set: none for the protocol name, and sockfs's "security."
 * one says EAGAIN (it leaves the attribute to a security module). */
static int sock_removexattr(int fd, const char *name)
{
	char kname[NAME_MAX_LEN + 1];
	int r = name_import(name, kname);
	if (r == 0)
		r = xattr_permission(fd, kname, 1);
	if (r == 0)
		r = xattr_handler(kname);
	return r < 0 ? r : r == 2 ? -EAGAIN : -EOPNOTSUPP;
}

SHIM_EXPORT ssize_t fgetxattr(int fd, const char *name, void *value, size_t size)
{
	if (!shim_is_sock(fd))
		return NEXT(fgetxattr)(fd, name, value, size);
	return ret_errno(sock_getxattr(fd, name, value, size));
}

SHIM_EXPORT int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	if (!shim_is_sock(fd))
		return NEXT(fsetxattr)(fd, name, value, size, flags);
	return (int)ret_errno(sock_setxattr(fd, name, value, size, flags));
}

SHIM_EXPORT ssize_t flistxattr(int fd, char *list, size_t size)
{
	if (!shim_is_sock(fd))
		return NEXT(flistxattr)(fd, list, size);
	return ret_errno(sock_listxattr(fd, list, size));
}

SHIM_EXPORT int fremovexattr(int fd, const char *name)
{
	if (!shim_is_sock(fd))
		return NEXT(fremovexattr)(fd, name);
	return (int)ret_errno(sock_removexattr(fd, name));
}

/* Through the socket's link (followed), the socket's attributes; below it, ENOTDIR. */
SHIM_EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(getxattr)(path, name, value, size);
	return ret_errno(r < 0 ? r : sock_getxattr(fd, name, value, size));
}

SHIM_EXPORT int setxattr(const char *path, const char *name, const void *value, size_t size,
                         int flags)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(setxattr)(path, name, value, size, flags);
	return (int)ret_errno(r < 0 ? r : sock_setxattr(fd, name, value, size, flags));
}

SHIM_EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(listxattr)(path, list, size);
	return ret_errno(r < 0 ? r : sock_listxattr(fd, list, size));
}

SHIM_EXPORT int removexattr(const char *path, const char *name)
{
	int fd, r = shim_path_sock(path, &fd);
	if (r == 0)
		return NEXT(removexattr)(path, name);
	return (int)ret_errno(r < 0 ? r : sock_removexattr(fd, name));
}

/* The l* forms act on the link itself, which the kernel answers for. */
SHIM_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	int fd, r = shim_path_sock(path, &fd);
	return r < 0 ? ret_errno(r) : NEXT(lgetxattr)(path, name, value, size);
}

SHIM_EXPORT int lsetxattr(const char *path, const char *name, const void *value, size_t size,
                          int flags)
{
	int fd, r = shim_path_sock(path, &fd);
	return r < 0 ? (int)ret_errno(r) : NEXT(lsetxattr)(path, name, value, size, flags);
}

SHIM_EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	int fd, r = shim_path_sock(path, &fd);
	return r < 0 ? ret_errno(r) : NEXT(llistxattr)(path, list, size);
}

SHIM_EXPORT int lremovexattr(const char *path, const char *name)
{
	int fd, r = shim_path_sock(path, &fd);
	return r < 0 ? (int)ret_errno(r) : NEXT(lremovexattr)(path, name);
}
