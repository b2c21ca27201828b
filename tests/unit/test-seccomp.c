/* linux.seccomp: the parser's errors name the JSON path, and the filters it
 * builds really load: each apply test forks a child that loads a profile and
 * reports, through its exit status, what the filtered syscalls did. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

static char tmpdir[] = "/tmp/test-seccomp-XXXXXX";

/* Profiles are written with single quotes for readability. */
static char *J(const char *text)
{
	char *s = xstrdup(text);
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static int parse(const char *text, struct seccomp_config **out, struct berth_err *err)
{
	autofree char *json = J(text);
	autojson json_object *obj = NULL;

	berth_err_clear(err);
	if (json_parse_text(json, strlen(json), "profile", &obj, err) < 0)
		return -1;
	return seccomp_config_parse(obj, "linux.seccomp", out, err);
}

static bool parses(const char *text)
{
	struct seccomp_config *c = NULL;
	struct berth_err err;
	int r = parse(text, &c, &err);

	if (r < 0)
		printf("# unexpected error: %s\n", err.msg);
	seccomp_config_free(c);
	return r == 0;
}

static void check_error(const char *text, const char *want)
{
	struct seccomp_config *c = NULL;
	struct berth_err err;
	int r = parse(text, &c, &err);

	CHECK(r < 0 && strstr(err.msg, want) != NULL, "error \"%s\" (got \"%s\")", want,
	      r < 0 ? err.msg : "success");
	seccomp_config_free(c);
}

static void test_known_lists(void)
{
	const char *const *a = seccomp_known_actions();
	const char *const *o = seccomp_known_operators();
	const char *const *h = seccomp_known_archs();
	const char *const *f = seccomp_known_flags();
	size_t n;

	for (n = 0; a[n] != NULL; n++)
		;
	CHECK(n == 9, "9 actions known (%zu)", n);
	for (n = 0; o[n] != NULL; n++)
		;
	CHECK(n == 7, "7 operators known (%zu)", n);
	for (n = 0; h[n] != NULL; n++)
		;
	CHECK(n >= 19, "at least the spec's 19 architectures known (%zu)", n);
	for (n = 0; f[n] != NULL; n++)
		;
	CHECK(n >= 3, "TSYNC, LOG, SPEC_ALLOW flags known (%zu)", n);
	/* The lists are cached: a second call must give the same answer. */
	CHECK(seccomp_known_actions() == a && a[0] != NULL, "action list stable");
}

static void test_parse_every_name(void)
{
	const char *const *a = seccomp_known_actions();
	const char *const *o = seccomp_known_operators();
	const char *const *h = seccomp_known_archs();

	for (size_t i = 0; a[i] != NULL; i++) {
		autofree char *p = xasprintf(
			"{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/x',"
			"'syscalls':[{'names':['getcwd'],'action':'%s'}]}",
			a[i]);
		CHECK(parses(p), "action %s parses", a[i]);
		autofree char *d = xasprintf("{'defaultAction':'%s'}", a[i]);
		if (strcmp(a[i], "SCMP_ACT_NOTIFY") != 0)
			CHECK(parses(d), "default action %s parses", a[i]);
	}
	for (size_t i = 0; o[i] != NULL; i++) {
		autofree char *p = xasprintf(
			"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
			"'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':7,'valueTwo':7,"
			"'op':'%s'}]}]}",
			o[i]);
		CHECK(parses(p), "operator %s parses", o[i]);
	}
	/* libseccomp mixes only architectures of one byte order in a filter, so
	 * on this host some are refused by the dry run; none may be unknown. */
	for (size_t i = 0; h[i] != NULL; i++) {
		autofree char *p = xasprintf("{'defaultAction':'SCMP_ACT_ALLOW','architectures':"
					     "['%s'],'syscalls':[{'names':['getcwd'],'action':"
					     "'SCMP_ACT_ERRNO'}]}",
					     h[i]);
		struct seccomp_config *c = NULL;
		struct berth_err err;
		int r = parse(p, &c, &err);
		CHECK(r == 0 || strstr(err.msg, "byte order") != NULL, "architecture %s known%s%s",
		      h[i], r < 0 ? ": " : "", r < 0 ? err.msg : "");
		seccomp_config_free(c);
	}
	CHECK(parses("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
		     "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32'],"
		     "'flags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_LOG',"
		     "'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
		     "'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
		     "{'names':['kill'],'action':'SCMP_ACT_TRACE','errnoRet':65535}]}"),
	      "x86 family, all flags, trace data parse");
	CHECK(parses("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[]}"), "empty syscalls");
	CHECK(parses("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		     "'action':'SCMP_ACT_ERRNO','args':[{'index':5,"
		     "'value':18446744073709551615,'op':'SCMP_CMP_EQ'}]}]}"),
	      "index 5 and a full 64-bit value");
}

static void test_parse_errors(void)
{
	check_error("{'syscalls':[]}", "linux.seccomp.defaultAction: required");
	check_error("{'defaultAction':'SCMP_ACT_FOO'}",
		    "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
	check_error("{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/x'}",
		    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','defaultErrnoRet':1}",
		    "linux.seccomp.defaultErrnoRet: not valid with action SCMP_ACT_ALLOW");
	check_error("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}",
		    "linux.seccomp.defaultErrnoRet: -1 out of range");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64',"
		    "'SCMP_ARCH_FOO']}",
		    "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','architectures':'SCMP_ARCH_X86'}",
		    "linux.seccomp.architectures: expected an array");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_FOO']}",
		    "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
	if (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6)
		check_error("{'defaultAction':'SCMP_ACT_ALLOW','flags':["
			    "'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']}",
			    "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is "
			    "not supported by libseccomp");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':7}",
		    "linux.seccomp.listenerPath: expected a string");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':{}}",
		    "linux.seccomp.syscalls: expected an array");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[7]}",
		    "linux.seccomp.syscalls[0]: expected an object");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
		    "'action':'SCMP_ACT_ERRNO'},{'names':['mkdir'],'action':'SCMP_ACT_FOO'}]}",
		    "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd']}]}",
		    "linux.seccomp.syscalls[0].action: required");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
		    "'action':3}]}",
		    "linux.seccomp.syscalls[0].action: expected a string");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_LOG'}]}",
		    "linux.seccomp.syscalls[0].names: required");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],"
		    "'action':'SCMP_ACT_LOG'}]}",
		    "linux.seccomp.syscalls[0].names: must not be empty");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':'getcwd',"
		    "'action':'SCMP_ACT_LOG'}]}",
		    "linux.seccomp.syscalls[0].names: expected an array");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd',1],"
		    "'action':'SCMP_ACT_LOG'}]}",
		    "linux.seccomp.syscalls[0].names[1]: expected a string");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
		    "'action':'SCMP_ACT_KILL','errnoRet':1}]}",
		    "linux.seccomp.syscalls[0].errnoRet: not valid with action SCMP_ACT_KILL");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
		    "'action':'SCMP_ACT_ERRNO','errnoRet':5000}]}",
		    "linux.seccomp.syscalls[0].errnoRet: 5000 out of range [0, 4095]");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
		    "'action':'SCMP_ACT_ERRNO','errnoRet':'1'}]}",
		    "linux.seccomp.syscalls[0].errnoRet: expected an integer");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		    "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'},"
		    "{'index':1,'value':1,'op':'SCMP_CMP_FOO'}]}]}",
		    "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_FOO\"");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		    "'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}",
		    "linux.seccomp.syscalls[0].args[0].index: 6 out of range [0, 5]");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		    "'action':'SCMP_ACT_ERRNO','args':[{'value':1,'op':'SCMP_CMP_EQ'}]}]}",
		    "linux.seccomp.syscalls[0].args[0].index: required");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		    "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}",
		    "linux.seccomp.syscalls[0].args[0].value: required");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		    "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':-1,'op':'SCMP_CMP_EQ'}]}]}",
		    "linux.seccomp.syscalls[0].args[0].value: must not be negative");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		    "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1}]}]}",
		    "linux.seccomp.syscalls[0].args[0].op: required");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
		    "'action':'SCMP_ACT_ERRNO','args':['x']}]}",
		    "linux.seccomp.syscalls[0].args[0]: expected an object");
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
		    "'action':'SCMP_ACT_NOTIFY'}]}",
		    "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
	/* Only libseccomp can tell that these contradict each other; the dry run
	 * at parse time still names the entry. */
	check_error("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
		    "{'names':['umask'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,"
		    "'op':'SCMP_CMP_EQ'}]},"
		    "{'names':['umask'],'action':'SCMP_ACT_KILL','args':[{'index':0,'value':1,"
		    "'op':'SCMP_CMP_EQ'}]}]}",
		    "linux.seccomp.syscalls[1]: add SCMP_ACT_KILL rule for \"umask\"");
}

static void test_accessors(void)
{
	struct seccomp_config *c = NULL;
	struct berth_err err;

	CHECK(parse("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/l.sock',"
		    "'listenerMetadata':'meta','syscalls':[{'names':['getcwd'],"
		    "'action':'SCMP_ACT_NOTIFY'}]}",
		    &c, &err) == 0,
	      "notify profile parses");
	CHECK(seccomp_config_has_notify(c), "has notify");
	CHECK_STR(seccomp_config_listener_path(c), "/run/l.sock", "listener path");
	CHECK_STR(seccomp_config_listener_metadata(c), "meta", "listener metadata");
	seccomp_config_free(c);
	c = NULL;
	CHECK(parse("{'defaultAction':'SCMP_ACT_ALLOW'}", &c, &err) == 0, "plain profile parses");
	CHECK(!seccomp_config_has_notify(c) && seccomp_config_listener_path(c) == NULL &&
		      seccomp_config_listener_metadata(c) == NULL,
	      "no notify, no listener");
	seccomp_config_free(c);
	c = NULL;
	CHECK(parse("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/x','syscalls':[{"
		    "'names':['no_such_syscall'],'action':'SCMP_ACT_NOTIFY'}]}",
		    &c, &err) == 0 && !seccomp_config_has_notify(c),
	      "notify only for unknown syscalls: no listener to expect");
	seccomp_config_free(c);
	seccomp_config_free(NULL);
}

static void test_unknown_syscall_warns(void)
{
	autofree char *log = xasprintf("%s/log", tmpdir);
	autofree char *text = NULL;
	char buf[4096];
	ssize_t n;
	autoclose int fd = -1;

	log_setup(log, false, true);
	CHECK(parses("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd',"
		     "'no_such_syscall'],'action':'SCMP_ACT_ERRNO'}]}"),
	      "unknown syscall name is not an error");
	fd = open(log, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(buf, "level=debug msg=\"linux.seccomp.syscalls[0].names[1]: unknown "
			  "syscall \\\"no_such_syscall\\\" skipped\"") != NULL,
	      "unknown syscall warned about (log: %s)", buf);
}

/* ---- apply: children ---- */

static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Loads the profile in a child, runs body there and returns the child's
 * wait status; the child's exit code is body's result. */
static int run_filtered(const char *text, int (*body)(void))
{
	struct seccomp_config *c = NULL;
	struct berth_err err;
	pid_t pid;
	int status;

	if (parse(text, &c, &err) < 0) {
		printf("# parse: %s\n", err.msg);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		int notify_fd;

		alarm(10);
		/* SIGSYS dumps core by default; keep the tests quiet. */
		setrlimit(RLIMIT_CORE, &no_core);
		if (seccomp_config_apply(c, &notify_fd, &err) < 0) {
			dprintf(STDOUT_FILENO, "# apply: %s\n", err.msg);
			_exit(100);
		}
		_exit(body());
	}
	seccomp_config_free(c);
	status = reap(pid);
	return status;
}

static bool exited(int status, int code)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static bool killed_by(int status, int sig)
{
	return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static bool fails_with(long r, int e)
{
	return r == -1 && errno == e;
}

static int body_errno38(void)
{
	char buf[256];

	if (!fails_with(syscall(SYS_getcwd, buf, sizeof(buf)), 38))
		return 1;
	if (!fails_with(syscall(SYS_mkdir, "/nonexistent-dir/x", 0700), 38))
		return 2;
	if (syscall(SYS_getpid) != getpid())
		return 3;
	return 0;
}

static int body_eperm(void)
{
	return fails_with(syscall(SYS_getppid), EPERM) ? 0 : 1;
}

static int body_personality(void)
{
	long cur = syscall(SYS_personality, 0xffffffffUL);

	if (!fails_with(cur, EDOM))
		return 1;
	/* Any other value is not matched: set the usual persona. */
	if (syscall(SYS_personality, (unsigned long)PER_LINUX) < 0)
		return 2;
	return 0;
}

static int body_getcwd_raw(void)
{
	char buf[256];

	syscall(SYS_getcwd, buf, sizeof(buf));
	return 0; /* reached only when the filter did not kill */
}

static volatile sig_atomic_t got_sigsys;

static void on_sigsys(int sig)
{
	got_sigsys = sig;
}

static int body_trap(void)
{
	struct sigaction sa = {.sa_handler = on_sigsys};

	sigaction(SIGSYS, &sa, NULL);
	body_getcwd_raw();
	return got_sigsys == SIGSYS ? 0 : 1;
}

static int body_allowed(void)
{
	char buf[256];

	return syscall(SYS_getcwd, buf, sizeof(buf)) > 0 ? 0 : 1;
}

static int body_trace(void)
{
	char buf[256];

	/* With no tracer attached, SECCOMP_RET_TRACE fails the call with
	 * ENOSYS (seccomp(2)). */
	return fails_with(syscall(SYS_getcwd, buf, sizeof(buf)), ENOSYS) ? 0 : 1;
}

/* getpriority(which, who): harmless to call with any arguments. */
static int body_or(void)
{
	if (!fails_with(syscall(SYS_getpriority, PRIO_PROCESS, 0), EDOM))
		return 1;
	if (!fails_with(syscall(SYS_getpriority, PRIO_PGRP, 0), EDOM))
		return 2;
	if (syscall(SYS_getpriority, PRIO_USER, 0) < 0)
		return 3;
	return 0;
}

static int body_and(void)
{
	if (!fails_with(syscall(SYS_getpriority, PRIO_PROCESS, 0), EDOM))
		return 1;
	if (syscall(SYS_getpriority, PRIO_PROCESS, getpid()) < 0)
		return 2;
	if (syscall(SYS_getpriority, PRIO_PGRP, 0) < 0)
		return 3;
	return 0;
}

/* umask returns the old mask and cannot fail, so -1 means filtered. */
static int body_masked(void)
{
	if (!fails_with(syscall(SYS_umask, 0777), EDOM))
		return 1;
	if (!fails_with(syscall(SYS_umask, 0007), EDOM))
		return 2;
	if (syscall(SYS_umask, 0022) < 0)
		return 3;
	return 0;
}

static int body_ops(void)
{
	/* arg0 GT 0700 -> EDOM; arg0 LT 2 -> ERANGE; arg1 of getpriority NE 0. */
	if (!fails_with(syscall(SYS_umask, 0701), EDOM))
		return 1;
	if (!fails_with(syscall(SYS_umask, 1), ERANGE))
		return 2;
	if (syscall(SYS_umask, 0700) < 0 || syscall(SYS_umask, 2) < 0)
		return 3;
	if (!fails_with(syscall(SYS_getpriority, PRIO_PROCESS, getpid()), ENOTTY))
		return 4;
	if (syscall(SYS_getpriority, PRIO_PROCESS, 0) < 0)
		return 5;
	return 0;
}

static int body_default_errno(void)
{
	if (!fails_with(syscall(SYS_getppid), EOPNOTSUPP))
		return 1;
	if (syscall(SYS_getpid) != getpid())
		return 2;
	return 0;
}

/* The compiled-filter cache: the first parse writes DIR/HEX.bpf, the next
 * one with the same profile reads it (the filter then behaves the same),
 * a different profile gets a file of its own, and a broken file is built
 * again rather than loaded. */
static void test_cache(void)
{
	const char *errno38 = "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd',"
			      "'mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}";
	autofree char *dir = xasprintf("%s/cache", tmpdir);
	autofree char *cmd = NULL;
	char first[512] = "";
	FILE *ls;
	int st, n = 0;

	seccomp_cache_dir(dir);
	st = run_filtered(errno38, body_errno38);
	CHECK(exited(st, 0), "built and cached: the filter works (status %#x)", st);
	cmd = xasprintf("ls %s", dir);
	ls = popen(cmd, "r");
	while (ls != NULL && fgets(first, sizeof(first), ls) != NULL)
		n++;
	if (ls != NULL)
		pclose(ls);
	CHECK(n == 1 && strlen(first) == 64 + 4 + 1, "one cache file named by a digest: %s", first);
	st = run_filtered(errno38, body_errno38);
	CHECK(exited(st, 0), "read from the cache: the filter works (status %#x)", st);
	first[strcspn(first, "\n")] = '\0';
	{
		autofree char *path = xasprintf("%s/%s", dir, first);
		struct stat sb;
		int fd = open(path, O_WRONLY | O_TRUNC);

		CHECK(fd >= 0 && write(fd, "garbage", 7) == 7, "cache file broken on purpose");
		if (fd >= 0)
			close(fd);
		st = run_filtered(errno38, body_errno38);
		CHECK(exited(st, 0), "a broken cache file is rebuilt, not loaded (status %#x)", st);
		CHECK(stat(path, &sb) == 0 && sb.st_size > 7 && sb.st_size % 8 == 0,
		      "and rewritten (%lld bytes)", (long long)sb.st_size);
	}
	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getppid'],"
			  "'action':'SCMP_ACT_ERRNO'}]}",
			  body_eperm);
	CHECK(exited(st, 0), "another profile (status %#x)", st);
	ls = popen(cmd, "r");
	n = 0;
	while (ls != NULL && fgets(first, sizeof(first), ls) != NULL)
		n++;
	if (ls != NULL)
		pclose(ls);
	CHECK(n == 2, "another profile, another cache file (%d files)", n);
	seccomp_cache_dir(NULL);
	free(cmd);
	cmd = xasprintf("rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cache removed");
}

static void test_apply(void)
{
	int st;

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd',"
			  "'mkdir','no_such_syscall'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}",
			  body_errno38);
	CHECK(exited(st, 0), "getcwd/mkdir fail with errno 38 (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getppid'],"
			  "'action':'SCMP_ACT_ERRNO'}]}",
			  body_eperm);
	CHECK(exited(st, 0), "ERRNO without errnoRet is EPERM (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
			  "['personality'],'action':'SCMP_ACT_ERRNO','errnoRet':33,'args':["
			  "{'index':0,'value':4294967295,'op':'SCMP_CMP_EQ'}]}]}",
			  body_personality);
	CHECK(exited(st, 0), "personality arg0 EQ matches only that value (status %#x)", st);

	const char *kills[] = {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL"};
	for (size_t i = 0; i < ARRAY_SIZE(kills); i++) {
		autofree char *p = xasprintf("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':"
					     "[{'names':['getcwd'],'action':'%s'}]}",
					     kills[i]);
		st = run_filtered(p, body_getcwd_raw);
		CHECK(killed_by(st, SIGSYS), "%s kills with SIGSYS (status %#x)", kills[i], st);
	}

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
			  "'action':'SCMP_ACT_TRAP'}]}",
			  body_trap);
	CHECK(exited(st, 0), "TRAP delivers a catchable SIGSYS (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
			  "'action':'SCMP_ACT_LOG'}]}",
			  body_allowed);
	CHECK(exited(st, 0), "LOG lets the call through (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],"
			  "'action':'SCMP_ACT_TRACE','errnoRet':7}]}",
			  body_trace);
	CHECK(exited(st, 0), "TRACE without tracer gives ENOSYS (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
			  "['getpriority'],'action':'SCMP_ACT_ERRNO','errnoRet':33,'args':["
			  "{'index':0,'value':0,'op':'SCMP_CMP_EQ'},"
			  "{'index':0,'value':1,'op':'SCMP_CMP_EQ'}]}]}",
			  body_or);
	CHECK(exited(st, 0), "conditions on one index are alternatives (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':"
			  "['getpriority'],'action':'SCMP_ACT_ERRNO','errnoRet':33,'args':["
			  "{'index':0,'value':0,'op':'SCMP_CMP_EQ'},"
			  "{'index':1,'value':0,'op':'SCMP_CMP_EQ'}]}]}",
			  body_and);
	CHECK(exited(st, 0), "conditions on different indices must all hold (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
			  "'action':'SCMP_ACT_ERRNO','errnoRet':33,'args':["
			  "{'index':0,'value':7,'valueTwo':7,'op':'SCMP_CMP_MASKED_EQ'}]}]}",
			  body_masked);
	CHECK(exited(st, 0), "MASKED_EQ: value is the mask, valueTwo the datum (status %#x)",
	      st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
			  "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':33,'args':["
			  "{'index':0,'value':448,'op':'SCMP_CMP_GT'}]},"
			  "{'names':['umask'],'action':'SCMP_ACT_ERRNO','errnoRet':34,'args':["
			  "{'index':0,'value':2,'op':'SCMP_CMP_LT'}]},"
			  "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO','errnoRet':25,"
			  "'args':[{'index':1,'value':0,'op':'SCMP_CMP_NE'}]}]}",
			  body_ops);
	CHECK(exited(st, 0), "GT, LT and NE compare as written (status %#x)", st);

	st = run_filtered("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':95,"
			  "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32'],"
			  "'flags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_LOG',"
			  "'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
			  "'syscalls':[{'names':['getpid','exit','exit_group','brk','munmap',"
			  "'madvise','mmap','write','rt_sigreturn','rt_sigprocmask','futex',"
			  "'rt_sigaction','sigaltstack'],"
			  "'action':'SCMP_ACT_ALLOW'},{'names':['getppid'],'action':'SCMP_ACT_ERRNO',"
			  "'errnoRet':95}]}",
			  body_default_errno);
	CHECK(exited(st, 0),
	      "default ERRNO with defaultErrnoRet, allow list, x86 arches, all flags, rule "
	      "equal to the default skipped (status %#x)",
	      st);
}

/* ---- notify ---- */

static int listen_at(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 10000) == 1;
}

/* Accepts one connection and reads the state and the passed fd. */
static int receive_fd(int lfd, char *buf, size_t size, int *fd_out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = size - 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	autoclose int conn = -1;
	ssize_t n;

	*fd_out = -1;
	if (!wait_readable(lfd))
		return -1;
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0 || !wait_readable(conn))
		return -1;
	n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(fd_out, CMSG_DATA(cmsg), sizeof(int));
	return 0;
}

static void test_notify_send(void)
{
	autofree char *path = xasprintf("%s/send.sock", tmpdir);
	autoclose int lfd = listen_at(path);
	struct berth_err err;
	struct stat a, b;
	char buf[256];
	int pipefd[2], got = -1;

	CHECK(lfd >= 0, "listening socket at %s", path);
	if (lfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return;
	/* The connection queues in the backlog and the small message fits
	 * the socket buffer, so one process can be both ends. */
	CHECK(seccomp_notify_send(path, pipefd[0], "{\"ociVersion\":\"1.2.0\"}", &err) == 0,
	      "seccomp_notify_send succeeds");
	CHECK(receive_fd(lfd, buf, sizeof(buf), &got) == 0, "state and fd received");
	CHECK_STR(buf, "{\"ociVersion\":\"1.2.0\"}", "state text");
	CHECK(got >= 0 && fstat(got, &a) == 0 && fstat(pipefd[0], &b) == 0 &&
		      a.st_ino == b.st_ino && a.st_dev == b.st_dev,
	      "the passed fd is the same file");
	if (got >= 0)
		close(got);
	close(pipefd[0]);
	close(pipefd[1]);

	autofree char *missing = xasprintf("%s/missing.sock", tmpdir);
	CHECK(seccomp_notify_send(missing, 0, "{}", &err) < 0 &&
		      strstr(err.msg, "missing.sock") != NULL && err.code == ENOENT,
	      "connect failure names the path (%s)", err.msg);
	unlink(path);
}

static void test_notify_roundtrip(void)
{
	autofree char *path = xasprintf("%s/notify.sock", tmpdir);
	autofree char *text =
		xasprintf("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'%s',"
			  "'syscalls':[{'names':['getppid'],'action':'SCMP_ACT_NOTIFY'}]}",
			  path);
	autoclose int lfd = listen_at(path);
	struct seccomp_config *c = NULL;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct berth_err err;
	char state[256];
	pid_t child_pid = -1;
	int nfd = -1, status;
	bool ok = false;

	if (seccomp_api_get() < 5) {
		printf("# skip notify round trip: libseccomp API level %u < 5 (kernel lacks "
		       "the user notification listener)\n",
		       seccomp_api_get());
		return;
	}
	CHECK(lfd >= 0, "listening socket for notify");
	CHECK(parse(text, &c, &err) == 0, "notify profile parses");
	if (lfd < 0 || c == NULL)
		goto out;
	fflush(stdout);
	/* The child loads the filter, hands the listener over as the runtime
	 * does, then makes the call that only the parent can answer. */
	child_pid = fork();
	if (child_pid == 0) {
		int fd;

		alarm(10);
		if (seccomp_config_apply(c, &fd, &err) < 0) {
			dprintf(STDOUT_FILENO, "# apply: %s\n", err.msg);
			_exit(100);
		}
		if (fd < 0)
			_exit(101);
		if (seccomp_notify_send(path, fd, "{\"pid\":1}", &err) < 0) {
			dprintf(STDOUT_FILENO, "# send: %s\n", err.msg);
			_exit(102);
		}
		close(fd);
		_exit(syscall(SYS_getppid) == 4242 ? 0 : 1);
	}

	CHECK(receive_fd(lfd, state, sizeof(state), &nfd) == 0 && nfd >= 0,
	      "listener fd arrives over the socket");
	CHECK_STR(state, "{\"pid\":1}", "state sent with the fd");
	if (nfd < 0 || seccomp_notify_alloc(&req, &resp) < 0)
		goto out;
	if (!wait_readable(nfd) || seccomp_notify_receive(nfd, req) < 0)
		goto out;
	CHECK(req->pid == (uint32_t)child_pid && req->data.nr == SYS_getppid,
	      "notification for the child's getppid (pid %u nr %d)", req->pid, req->data.nr);
	resp->id = req->id;
	resp->val = 4242;
	resp->error = 0;
	resp->flags = 0;
	ok = seccomp_notify_respond(nfd, resp) == 0;
	CHECK(ok, "response accepted");
out:
	if (child_pid > 0) {
		if (!ok)
			kill(child_pid, SIGKILL);
		status = reap(child_pid);
		CHECK(ok && exited(status, 0), "child saw the answer 4242 (status %#x)", status);
	}
	if (nfd >= 0)
		close(nfd);
	seccomp_notify_free(req, resp);
	seccomp_config_free(c);
	unlink(path);
}

int main(void)
{
	autofree char *log = NULL;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_known_lists();
	test_parse_every_name();
	test_parse_errors();
	test_accessors();
	test_unknown_syscall_warns();
	test_apply();
	test_cache();
	test_notify_send();
	test_notify_roundtrip();

	log = xasprintf("%s/log", tmpdir);
	unlink(log);
	rmdir(tmpdir);
	return TEST_DONE();
}
