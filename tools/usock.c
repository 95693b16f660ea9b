/* usock.c: the `usock` command. `usock run` starts an unmodified program with
 * libusock_preload.so in LD_PRELOAD (see shim/shim.h), so the socket families it names are
 * served by usock instead of the kernel. Later commands (ss, sysctl, pcap) go here too. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef USOCK_BUILD_PRELOAD
#define USOCK_BUILD_PRELOAD "" /* the shim in the build tree (CMake sets it) */
#endif
#ifndef USOCK_PRELOAD_FROM_BINDIR
#define USOCK_PRELOAD_FROM_BINDIR "../lib/libusock_preload.so" /* installed layout */
#endif
#ifndef USOCK_SAN_RUNTIME
#define USOCK_SAN_RUNTIME "" /* sanitizer runtime the shim was linked with, if any */
#endif

#define EXIT_USAGE    2
#define EXIT_CANNOT   126 /* as env(1): found but could not be run */
#define EXIT_NOTFOUND 127

static const char usage_text[] =
        "usage: usock run [--families LIST] [--host NAME] [--stats] [--] PROGRAM [ARG...]\n"
        "       usock --help\n"
        "\n"
        "usock is the Linux socket layer in user space. `usock run` runs PROGRAM, unmodified,\n"
        "with libusock_preload.so preloaded: its sockets of the families usock serves are\n"
        "usock sockets; other sockets and all other fds stay with the kernel.\n"
        "\n"
        "options of run:\n"
        "  --families LIST  comma-separated families to serve: unix, inet, inet6, packet\n"
        "                   (sets USOCK_FAMILIES; when absent, USOCK_FAMILIES or \"unix\")\n"
        "  --host NAME      run PROGRAM on the usock host NAME, shared with every other\n"
        "                   program run with the same NAME, as the processes of one Linux\n"
        "                   machine share its network: a socket one binds (pathname or\n"
        "                   abstract AF_UNIX name) is reachable from the others. NAME: 1-48\n"
        "                   of A-Z a-z 0-9 . _ - (sets USOCK_HOST_NAME). Without --host each\n"
        "                   run is a host of its own, shared only with the processes PROGRAM\n"
        "                   forks and execs.\n"
        "  --stats          at exit, print on stderr (every process PROGRAM runs, too)\n"
        "                   \"usock: served N sockets (unix N, inet N, inet6 N, packet N)\"\n"
        "                   (sets USOCK_STATS=1)\n"
        "  --               end of options; needed only if PROGRAM starts with '-'\n"
        "\n"
        "environment: LD_PRELOAD gets the shim first (after the sanitizer runtime in a\n"
        "sanitizer build, with ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 unless\n"
        "ASAN_OPTIONS is set); an existing LD_PRELOAD is kept after it.\n"
        "\n"
        "exit status: PROGRAM's; 2 for a usage error; 126 if PROGRAM cannot be run;\n"
        "127 if it is not found.\n";

__attribute__((format(printf, 1, 2), noreturn)) static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("usock: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'usock --help'.\n", stderr);
	va_end(ap);
	exit(EXIT_USAGE);
}

/* Checks a --families list: known names only, at least one. */
static void families_check(const char *list)
{
	static const char *const names[] = {"unix", "inet", "inet6", "packet"};
	if (!*list)
		usage_error("run: --families needs at least one of unix, inet, inet6, packet");
	while (*list) {
		size_t n = strcspn(list, ","), i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && strncmp(names[i], list, n) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			usage_error("run: unknown family '%.*s' (known: unix, inet, inet6, packet)",
			            (int)(n < 64 ? n : 64), list);
		}
		list += n + (list[n] == ',');
	}
}

/* The absolute path of the shim: installed beside our bin dir, else the build tree's. */
static int preload_find(char *out)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(cand, sizeof(cand), "%s/%s", exe, USOCK_PRELOAD_FROM_BINDIR);
		if (access(cand, R_OK) == 0 && realpath(cand, out))
			return 0;
	}
	if (USOCK_BUILD_PRELOAD[0] && access(USOCK_BUILD_PRELOAD, R_OK) == 0 &&
	    realpath(USOCK_BUILD_PRELOAD, out))
		return 0;
	fprintf(stderr, "usock: run: cannot find libusock_preload.so (looked in %s/%s and %s)\n",
	        n > 0 ? exe : "?", USOCK_PRELOAD_FROM_BINDIR, USOCK_BUILD_PRELOAD);
	return -1;
}

/* LD_PRELOAD = [sanitizer runtime:]shim[:what was there]. */
static int env_preload(const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(USOCK_SAN_RUNTIME) + strlen(shim) + (old ? strlen(old) : 0) + 3;
	char *v = malloc(len);
	if (!v)
		return -1;
	snprintf(v, len, "%s%s%s%s%s", USOCK_SAN_RUNTIME, USOCK_SAN_RUNTIME[0] ? ":" : "", shim,
	         old && *old ? ":" : "", old && *old ? old : "");
	int r = setenv("LD_PRELOAD", v, 1);
	free(v);
	return r;
}

/* The program is exec'd in this process: its pid is the one whose line always counts. */
static int stats_pid_setenv(void)
{
	char pid[24];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return setenv("USOCK_STATS_PID", pid, 1);
}

/* A host name: 1-48 of A-Z a-z 0-9 . _ - (it names a file under /dev/shm). */
static void host_name_check(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 48 ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") != n ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		usage_error("run: --host NAME: 1-48 characters of A-Z a-z 0-9 . _ - (got '%.64s')",
		            name);
}

static int env_setup(const char *families, const char *host, int stats)
{
	char shim[PATH_MAX];
	if (preload_find(shim) < 0)
		return -1;
	/* A program started here is a host of its own (or joins --host), whatever usock
	 * program may have started this command. */
	unsetenv("USOCK_HOST");
	unsetenv("USOCK_HOST_NAME");
	if (env_preload(shim) < 0 || (families && setenv("USOCK_FAMILIES", families, 1) < 0) ||
	    (host && setenv("USOCK_HOST_NAME", host, 1) < 0) ||
	    (stats && setenv("USOCK_STATS", "1", 1) < 0) || (stats && stats_pid_setenv() < 0)) {
		perror("usock: run: setenv");
		return -1;
	}
	/* An uninstrumented program with the ASan runtime preloaded: leak reports would be
	 * the program's, and ASan would object to not being linked first. */
	if (USOCK_SAN_RUNTIME[0] && !getenv("ASAN_OPTIONS") &&
	    setenv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0", 1) < 0) {
		perror("usock: run: setenv");
		return -1;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	const char *families = NULL, *host = NULL;
	int stats = 0, i;
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--families") == 0) {
			if (++i == argc)
				usage_error("run: --families needs a LIST");
			families = argv[i];
		} else if (strncmp(a, "--families=", 11) == 0) {
			families = a + 11;
		} else if (strcmp(a, "--host") == 0) {
			if (++i == argc)
				usage_error("run: --host needs a NAME");
			host = argv[i];
		} else if (strncmp(a, "--host=", 7) == 0) {
			host = a + 7;
		} else if (strcmp(a, "--stats") == 0) {
			stats = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			usage_error("run: unknown option '%s'", a);
		}
	}
	if (families)
		families_check(families);
	if (host)
		host_name_check(host);
	if (i == argc)
		usage_error("run: missing PROGRAM to run");
	if (env_setup(families, host, stats) < 0)
		return EXIT_USAGE;
	execvp(argv[i], &argv[i]);
	int e = errno;
	fprintf(stderr, "usock: run: %s: %s\n", argv[i], strerror(e));
	return e == ENOENT || e == ENOTDIR ? EXIT_NOTFOUND : EXIT_CANNOT;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage_error("missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	usage_error("unknown command '%s'", argv[1]);
}
