/* linux.seccomp: the spec's profile is read into a plain description (actions
 * as libseccomp values, syscall numbers resolved, argument conditions) and
 * turned into a libseccomp filter only when it is loaded.
 *
 * Everything libseccomp could refuse is checked while parsing: the parser
 * ends with a dry run that builds the whole filter without loading it, so a
 * contradiction only libseccomp can see (two rules with equal conditions and
 * different actions, a comparison an architecture cannot express) is reported
 * against its JSON path before any process exists. Applying can then fail
 * only because the kernel refuses the load.
 *
 * The filter is compiled to BPF once, while parsing, and loaded with the
 * seccomp(2) system call: building docker's default profile with
 * libseccomp costs more than the rest of a container's start. The BPF is
 * also kept in a cache under the state root (seccomp_cache_dir), named by
 * the sha256 of the profile as parsed, the libseccomp version and the
 * machine, so the next container with the same profile skips libseccomp's
 * build altogether. */
#include "runtime/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <seccomp.h>
#include "runtime/seccomp-internal.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/unixsock.h"
#include "util/xalloc.h"

/* How an action uses errnoRet: ERRNO returns it as errno (the kernel caps
 * errno values at MAX_ERRNO, 4095, and libseccomp refuses larger ones);
 * TRACE hands it to the tracer as 16 bits of message data. */
enum action_ret { RET_NONE, RET_ERRNO, RET_TRACE };

struct action_name {
	const char *name;
	uint32_t value;
	enum action_ret ret;
};

static const struct action_name actions[] = {
	/* The spec's KILL predates KILL_PROCESS and means the thread. */
	{"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, RET_NONE},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, RET_NONE},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, RET_NONE},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP, RET_NONE},
	{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), RET_ERRNO},
	{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), RET_TRACE},
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, RET_NONE},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG, RET_NONE},
	{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, RET_NONE},
};

struct op_name {
	const char *name;
	enum scmp_compare op;
};

static const struct op_name ops[] = {
	{"SCMP_CMP_NE", SCMP_CMP_NE},	  {"SCMP_CMP_LT", SCMP_CMP_LT},
	{"SCMP_CMP_LE", SCMP_CMP_LE},	  {"SCMP_CMP_EQ", SCMP_CMP_EQ},
	{"SCMP_CMP_GE", SCMP_CMP_GE},	  {"SCMP_CMP_GT", SCMP_CMP_GT},
	{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

struct arch_name {
	const char *name;
	uint32_t token;
};

static const struct arch_name archs[] = {
	{"SCMP_ARCH_X86", SCMP_ARCH_X86},
	{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
	{"SCMP_ARCH_X32", SCMP_ARCH_X32},
	{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
	{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
	{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
	{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
	{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
	{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
	{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
	{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
	{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
	{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
	{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
	{"SCMP_ARCH_S390", SCMP_ARCH_S390},
	{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
	{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
	{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
	{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
	{"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
};

/* libseccomp gained WAIT_KILLABLE_RECV (SCMP_FLTATR_CTL_WAITKILL) in 2.6. */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define HAVE_WAITKILL 1
#else
#define HAVE_WAITKILL 0
#endif

struct flag_name {
	const char *name;
	bool supported;
	enum scmp_filter_attr attr;
};

static const struct flag_name flags[] = {
	{"SECCOMP_FILTER_FLAG_TSYNC", true, SCMP_FLTATR_CTL_TSYNC},
	{"SECCOMP_FILTER_FLAG_LOG", true, SCMP_FLTATR_CTL_LOG},
	{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", true, SCMP_FLTATR_CTL_SSB},
#if HAVE_WAITKILL
	{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", true, SCMP_FLTATR_CTL_WAITKILL},
#else
	{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", false, _SCMP_FLTATR_MIN},
#endif
};

/* One entry of linux.seccomp.syscalls. */
struct seccomp_syscall {
	char **names;
	int *nrs; /* parallel to names; __NR_SCMP_ERROR marks a name to skip */
	uint32_t action;
	struct scmp_arg_cmp *args;
	size_t n_args;
	/* libseccomp refuses two comparisons of one argument in a rule, so an
	 * entry that repeats an index is loaded as one rule per condition,
	 * which makes its conditions alternatives (runc reads it the same
	 * way); otherwise all conditions must hold. */
	bool args_or;
};

struct seccomp_config {
	char *path; /* JSON path of the object, for errors at apply time */
	uint32_t default_action;
	size_t *archs; /* indices into archs[] */
	size_t n_archs;
	unsigned flags; /* bit i: flags[i] */
	char *listener_path;
	char *listener_metadata;
	struct seccomp_syscall *syscalls;
	size_t n_syscalls;
	bool notify_declared; /* some entry names SCMP_ACT_NOTIFY */
	bool has_notify;      /* ... for a syscall that is really filtered */
	struct sock_filter *bpf; /* the compiled filter */
	size_t bpf_len;          /* instructions */
};

/* The kernel's flag for each entry of flags[] (same order). */
static const unsigned kernel_flags[] = {
	SECCOMP_FILTER_FLAG_TSYNC,
	SECCOMP_FILTER_FLAG_LOG,
	SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	1U << 5, /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 6.0) */
};
#define FLAG_NEW_LISTENER (1U << 3) /* SECCOMP_FILTER_FLAG_NEW_LISTENER */
#define FLAG_TSYNC_ESRCH  (1U << 4) /* SECCOMP_FILTER_FLAG_TSYNC_ESRCH */

static char *cache_dir;

void seccomp_cache_dir(const char *dir)
{
	free(cache_dir);
	cache_dir = dir != NULL ? xstrdup(dir) : NULL;
}

static const char *const *names_list(const char **cache, const void *table, size_t n,
				     size_t stride)
{
	if (cache[0] == NULL) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			const char *const *name =
				(const char *const *)((const char *)table + i * stride);
			cache[k++] = *name;
		}
		cache[k] = NULL;
	}
	return cache;
}

const char *const *seccomp_known_actions(void)
{
	static const char *cache[ARRAY_SIZE(actions) + 1];
	return names_list(cache, actions, ARRAY_SIZE(actions), sizeof(actions[0]));
}

const char *const *seccomp_known_operators(void)
{
	static const char *cache[ARRAY_SIZE(ops) + 1];
	return names_list(cache, ops, ARRAY_SIZE(ops), sizeof(ops[0]));
}

const char *const *seccomp_known_archs(void)
{
	static const char *cache[ARRAY_SIZE(archs) + 1];
	return names_list(cache, archs, ARRAY_SIZE(archs), sizeof(archs[0]));
}

const char *const *seccomp_known_flags(void)
{
	static const char *cache[ARRAY_SIZE(flags) + 1];
	if (cache[0] == NULL) {
		size_t k = 0;
		for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
			if (flags[i].supported)
				cache[k++] = flags[i].name;
		cache[k] = NULL;
	}
	return cache;
}

static const struct action_name *action_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(actions[i].name, name) == 0)
			return &actions[i];
	return NULL;
}

static const char *action_to_name(uint32_t action)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		uint32_t base = actions[i].ret == RET_NONE ? action : action & 0xffff0000U;
		if (actions[i].value == base)
			return actions[i].name;
	}
	return "unknown action";
}

static void syscall_free(struct seccomp_syscall *s)
{
	strv_free(s->names);
	free(s->nrs);
	free(s->args);
}

void seccomp_config_free(struct seccomp_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_syscalls; i++)
		syscall_free(&c->syscalls[i]);
	free(c->syscalls);
	free(c->archs);
	free(c->listener_path);
	free(c->listener_metadata);
	free(c->path);
	free(c->bpf);
	free(c);
}

static void cleanup_configp(struct seccomp_config **c)
{
	seccomp_config_free(*c);
}
#define autoconfig __attribute__((cleanup(cleanup_configp)))

static void cleanup_filterp(scmp_filter_ctx *ctx)
{
	if (*ctx != NULL)
		seccomp_release(*ctx);
}
#define autofilter __attribute__((cleanup(cleanup_filterp)))

bool seccomp_config_has_notify(const struct seccomp_config *c)
{
	return c != NULL && c->has_notify;
}

const char *seccomp_config_listener_path(const struct seccomp_config *c)
{
	return c != NULL ? c->listener_path : NULL;
}

const char *seccomp_config_listener_metadata(const struct seccomp_config *c)
{
	return c != NULL ? c->listener_metadata : NULL;
}

/* Reads the action named by `key` and, from `ret_key`, its errnoRet. A
 * missing errnoRet means EPERM (runtime-spec config-linux.md); giving one to
 * an action that cannot carry it is an error. */
static int parse_action(json_object *o, const char *path, const char *key, const char *ret_key,
			uint32_t *out, struct berth_err *err)
{
	const char *name = NULL;
	const struct action_name *a;
	int64_t ret = EPERM;
	int r;

	r = json_get_string(o, key, path, &name, err);
	if (r < 0)
		return r;
	if (r == 0)
		return berth_err_set(err, EINVAL, "%s.%s: required", path, key);
	a = action_lookup(name);
	if (a == NULL)
		return berth_err_set(err, EINVAL, "%s.%s: unknown action \"%s\"", path, key, name);

	switch (a->ret) {
	case RET_NONE:
		r = json_get_int64(o, ret_key, path, &ret, err);
		if (r < 0)
			return r;
		if (r > 0)
			return berth_err_set(err, EINVAL, "%s.%s: not valid with action %s", path,
					     ret_key, name);
		*out = a->value;
		return 0;
	case RET_ERRNO:
		r = json_get_int_range(o, ret_key, path, 0, 4095, &ret, err);
		break;
	case RET_TRACE:
		r = json_get_int_range(o, ret_key, path, 0, UINT16_MAX, &ret, err);
		break;
	}
	if (r < 0)
		return r;
	*out = a->value | (uint32_t)ret;
	return 0;
}

static int parse_archs(json_object *o, struct seccomp_config *c, struct berth_err *err)
{
	autostrv char **names = NULL;
	int r = json_get_strv(o, "architectures", c->path, &names, err);

	if (r <= 0)
		return r;
	c->archs = xcalloc(strv_len(names) + 1, sizeof(*c->archs));
	for (size_t i = 0; names[i] != NULL; i++) {
		size_t k = 0;
		while (k < ARRAY_SIZE(archs) && strcmp(archs[k].name, names[i]) != 0)
			k++;
		if (k == ARRAY_SIZE(archs))
			return berth_err_set(err, EINVAL,
					     "%s.architectures[%zu]: unknown architecture \"%s\"",
					     c->path, i, names[i]);
		c->archs[c->n_archs++] = k;
	}
	return 0;
}

static int parse_flags(json_object *o, struct seccomp_config *c, struct berth_err *err)
{
	autostrv char **names = NULL;
	int r = json_get_strv(o, "flags", c->path, &names, err);

	if (r <= 0)
		return r;
	for (size_t i = 0; names[i] != NULL; i++) {
		size_t k = 0;
		while (k < ARRAY_SIZE(flags) && strcmp(flags[k].name, names[i]) != 0)
			k++;
		if (k == ARRAY_SIZE(flags))
			return berth_err_set(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"",
					     c->path, i, names[i]);
		if (!flags[k].supported)
			return berth_err_set(err, ENOTSUP,
					     "%s.flags[%zu]: %s is not supported by libseccomp %u.%u.%u",
					     c->path, i, names[i], seccomp_version()->major,
					     seccomp_version()->minor, seccomp_version()->micro);
		c->flags |= 1U << k;
	}
	return 0;
}

static int parse_arg(json_object *o, const char *path, struct scmp_arg_cmp *out,
		     struct berth_err *err)
{
	const char *op_name = NULL;
	int64_t index;
	uint64_t value, value_two = 0;
	size_t k = 0;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return berth_err_set(err, EINVAL, "%s: expected an object", path);
	/* The kernel hands a filter six syscall arguments (struct seccomp_data). */
	r = json_get_int_range(o, "index", path, 0, 5, &index, err);
	if (r == 0)
		return berth_err_set(err, EINVAL, "%s.index: required", path);
	if (r < 0)
		return r;
	r = json_get_uint64(o, "value", path, &value, err);
	if (r == 0)
		return berth_err_set(err, EINVAL, "%s.value: required", path);
	if (r < 0)
		return r;
	if (json_get_uint64(o, "valueTwo", path, &value_two, err) < 0)
		return -1;
	r = json_get_string(o, "op", path, &op_name, err);
	if (r == 0)
		return berth_err_set(err, EINVAL, "%s.op: required", path);
	if (r < 0)
		return r;
	while (k < ARRAY_SIZE(ops) && strcmp(ops[k].name, op_name) != 0)
		k++;
	if (k == ARRAY_SIZE(ops))
		return berth_err_set(err, EINVAL, "%s.op: unknown operator \"%s\"", path, op_name);

	/* For MASKED_EQ the spec's value is the mask and valueTwo the datum,
	 * the same order as libseccomp's datum_a and datum_b. */
	*out = (struct scmp_arg_cmp){
		.arg = (unsigned)index,
		.op = ops[k].op,
		.datum_a = value,
		.datum_b = value_two,
	};
	return 0;
}

static int parse_args(json_object *o, const char *path, struct seccomp_syscall *s,
		      struct berth_err *err)
{
	json_object *arr = NULL;
	int r = json_get_array(o, "args", path, &arr, err);

	if (r <= 0)
		return r;
	s->n_args = json_object_array_length(arr);
	s->args = xcalloc(s->n_args + 1, sizeof(*s->args));
	for (size_t i = 0; i < s->n_args; i++) {
		autofree char *arg_path = xasprintf("%s.args[%zu]", path, i);
		if (parse_arg(json_object_array_get_idx(arr, i), arg_path, &s->args[i], err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (s->args[j].arg == s->args[i].arg)
				s->args_or = true;
	}
	return 0;
}

static int parse_syscall(json_object *o, const char *path, struct seccomp_syscall *s,
			 struct berth_err *err)
{
	size_t n;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return berth_err_set(err, EINVAL, "%s: expected an object", path);
	r = json_get_strv(o, "names", path, &s->names, err);
	if (r < 0)
		return r;
	if (r == 0)
		return berth_err_set(err, EINVAL, "%s.names: required", path);
	n = strv_len(s->names);
	if (n == 0)
		return berth_err_set(err, EINVAL, "%s.names: must not be empty", path);
	if (parse_action(o, path, "action", "errnoRet", &s->action, err) < 0)
		return -1;
	if (parse_args(o, path, s, err) < 0)
		return -1;

	/* libseccomp keeps one table of every name it knows, numbering a call
	 * absent from the native architecture with a pseudo number that it
	 * translates (or drops) per architecture, so resolving against the
	 * native one only fails for names it has never heard of. Those are
	 * skipped, as runc does, so one profile serves older and newer
	 * kernels; noted at debug level, as runc notes it, in the runtime's
	 * own process, never from inside the container. */
	s->nrs = xcalloc(n, sizeof(*s->nrs));
	for (size_t i = 0; i < n; i++) {
		s->nrs[i] = seccomp_syscall_resolve_name(s->names[i]);
		if (s->nrs[i] == __NR_SCMP_ERROR)
			log_debug("%s.names[%zu]: unknown syscall \"%s\" skipped", path, i,
				  s->names[i]);
	}
	return 0;
}

static int parse_syscalls(json_object *o, struct seccomp_config *c, struct berth_err *err)
{
	json_object *arr = NULL;
	int r = json_get_array(o, "syscalls", c->path, &arr, err);
	size_t n;

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	c->syscalls = xcalloc(n + 1, sizeof(*c->syscalls));
	for (size_t i = 0; i < n; i++) {
		autofree char *path = xasprintf("%s.syscalls[%zu]", c->path, i);
		struct seccomp_syscall *s = &c->syscalls[i];

		c->n_syscalls = i + 1;
		if (parse_syscall(json_object_array_get_idx(arr, i), path, s, err) < 0)
			return -1;
		if (s->action == SCMP_ACT_NOTIFY) {
			c->notify_declared = true;
			/* With every name unknown no notify rule is added, the
			 * kernel creates no listener and there is no fd to send. */
			for (size_t k = 0; s->names[k] != NULL; k++)
				if (s->nrs[k] != __NR_SCMP_ERROR)
					c->has_notify = true;
		}
	}
	return 0;
}

static int parse_listener(json_object *o, struct seccomp_config *c, struct berth_err *err)
{
	const char *s = NULL;
	int r;

	r = json_get_string(o, "listenerPath", c->path, &s, err);
	if (r < 0)
		return r;
	if (r > 0 && s[0] != '\0') {
		if (strlen(s) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
			return berth_err_set(err, ENAMETOOLONG,
					     "%s.listenerPath: longer than a unix socket address",
					     c->path);
		c->listener_path = xstrdup(s);
	}
	s = NULL;
	r = json_get_string(o, "listenerMetadata", c->path, &s, err);
	if (r < 0)
		return r;
	if (r > 0)
		c->listener_metadata = xstrdup(s);

	/* config-linux.md: listenerPath MUST be set when SCMP_ACT_NOTIFY is
	 * used, since nobody else could ever answer the trapped calls. */
	if (c->notify_declared && c->listener_path == NULL)
		return berth_err_set(err, EINVAL,
				     "%s.listenerPath: required when SCMP_ACT_NOTIFY is used",
				     c->path);
	return 0;
}

static int add_syscall_rules(scmp_filter_ctx ctx, const struct seccomp_config *c, size_t i,
			     struct berth_err *err)
{
	const struct seccomp_syscall *s = &c->syscalls[i];

	for (size_t k = 0; s->names[k] != NULL; k++) {
		int r = 0;

		if (s->nrs[k] == __NR_SCMP_ERROR)
			continue;
		/* libseccomp refuses a rule whose action is the default one
		 * (EACCES); leaving it out means the same. */
		if (s->action == c->default_action)
			continue;
		if (s->n_args == 0 || !s->args_or) {
			r = seccomp_rule_add_array(ctx, s->action, s->nrs[k], (unsigned)s->n_args,
						   s->args);
		} else {
			for (size_t a = 0; a < s->n_args && r == 0; a++)
				r = seccomp_rule_add_array(ctx, s->action, s->nrs[k], 1,
							   &s->args[a]);
		}
		if (r < 0)
			return berth_err_set(err, -r, "%s.syscalls[%zu]: add %s rule for \"%s\"",
					     c->path, i, action_to_name(s->action), s->names[k]);
	}
	return 0;
}

/* Builds the filter described by c without loading it. */
static int filter_build(const struct seccomp_config *c, scmp_filter_ctx *out,
			struct berth_err *err)
{
	autofilter scmp_filter_ctx ctx = seccomp_init(c->default_action);
	int r;

	if (ctx == NULL)
		return berth_err_set(err, EINVAL,
				     "%s.defaultAction: %s not supported by this kernel or libseccomp",
				     c->path, action_to_name(c->default_action));
	/* The runtime sets no_new_privs itself (or not, as process.noNewPrivileges
	 * says) before loading; libseccomp must not force it. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return berth_err_set(err, -r, "seccomp: clear no_new_privs attribute");
	/* Report the kernel's own errno from seccomp_load, not ECANCELED. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (r < 0)
		return berth_err_set(err, -r, "seccomp: set raw return code attribute");
	/* A binary tree of syscall numbers instead of a list to walk. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return berth_err_set(err, -r, "seccomp: set the optimization attribute");

	for (size_t i = 0; i < c->n_archs; i++) {
		r = seccomp_arch_add(ctx, archs[c->archs[i]].token);
		/* EEXIST: the native architecture is always present. */
		if (r == -EEXIST)
			continue;
		if (r == -EDOM)
			return berth_err_set(err, EINVAL,
					     "%s.architectures[%zu]: %s cannot share a filter with "
					     "the native architecture (byte order differs)",
					     c->path, i, archs[c->archs[i]].name);
		if (r < 0)
			return berth_err_set(err, -r, "%s.architectures[%zu]: add %s", c->path, i,
					     archs[c->archs[i]].name);
	}
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++) {
		if (!(c->flags & (1U << k)))
			continue;
		r = seccomp_attr_set(ctx, flags[k].attr, 1);
		if (r < 0)
			return berth_err_set(err, -r, "%s.flags: set %s", c->path, flags[k].name);
	}
	for (size_t i = 0; i < c->n_syscalls; i++)
		if (add_syscall_rules(ctx, c, i, err) < 0)
			return -1;
	*out = steal_ptr(ctx);
	return 0;
}

/* The compiled program, as libseccomp would load it. */
static int filter_export(scmp_filter_ctx ctx, struct seccomp_config *c, struct berth_err *err)
{
	autoclose int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	autofree char *text = NULL;
	size_t len = 0;
	int r;

	if (fd < 0)
		return berth_err_set(err, errno, "seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return berth_err_set(err, -r, "%s: compile the filter", c->path);
	if (lseek(fd, 0, SEEK_SET) < 0 || fs_read_fd(fd, 1 << 20, &text, &len, err) < 0)
		return -1;
	if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berth_err_set(err, E2BIG, "%s: the filter has %zu instructions (at most %d)",
				     c->path, len / sizeof(struct sock_filter), BPF_MAXINSNS);
	c->bpf = (struct sock_filter *)steal_ptr(text);
	c->bpf_len = len / sizeof(struct sock_filter);
	return 0;
}

/* Whether a syscall the profile does not name is let through anyway (so
 * a newer one needs no ENOSYS): runc's list, and a default that already
 * is ENOSYS. */
static bool default_permits(uint32_t action)
{
	return action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG ||
	       (action & 0xffff0000u) == SCMP_ACT_TRACE(0) || action == SCMP_ACT_ERRNO(ENOSYS);
}

/* runc's ENOSYS stub (seccomp-enosys.c) for each architecture of the
 * filter, with the highest number the profile names there. x32 shares
 * x86_64's audit architecture and is left to libseccomp's program. */
static int enosys_stub(struct seccomp_config *c, struct berth_err *err)
{
	struct seccomp_enosys_arch *a;
	size_t n = 0;
	int r;

	if (default_permits(c->default_action))
		return 0;
	a = xcalloc(c->n_archs + 1, sizeof(*a));
	for (size_t i = 0; i <= c->n_archs; i++) {
		uint32_t token = i == 0 ? seccomp_arch_native() : archs[c->archs[i - 1]].token;
		uint32_t max = 0;
		bool dup = false;

		for (size_t k = 0; k < n; k++)
			dup = dup || a[k].audit_arch == token;
		if (dup || token == SCMP_ARCH_X32)
			continue;
		for (size_t s = 0; s < c->n_syscalls; s++)
			for (size_t k = 0; c->syscalls[s].names[k] != NULL; k++) {
				int nr = seccomp_syscall_resolve_name_arch(token,
									   c->syscalls[s].names[k]);

				if (nr > 0 && (uint32_t)nr > max)
					max = (uint32_t)nr;
			}
		/* a profile naming nothing there: nothing is "newer" */
		if (max > 0)
			a[n++] = (struct seccomp_enosys_arch){ .audit_arch = token, .max_nr = max };
	}
	r = seccomp_enosys_prepend(&c->bpf, &c->bpf_len, a, n, err);
	free(a);
	return r < 0 ? berth_err_wrap(err, "%s", c->path) : 0;
}

/* DIR/HEX.bpf for the profile obj; NULL without a cache. */
static char *cache_path(json_object *obj)
{
	const struct scmp_version *v = seccomp_version();
	struct digest_ctx d;
	struct utsname u;
	char id[DIGEST_STR_LEN + 1], head[128];
	const char *text;

	if (cache_dir == NULL || v == NULL || uname(&u) < 0)
		return NULL;
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	snprintf(head, sizeof(head), "berth-seccomp-3 %u.%u.%u %s", v->major, v->minor, v->micro,
		 u.machine);
	digest_init(&d);
	digest_update(&d, head, strlen(head) + 1);
	digest_update(&d, text, strlen(text));
	digest_final(&d, id);
	digest_free(&d);
	return xasprintf("%s/%s.bpf", cache_dir, digest_hex(id));
}

/* 0 when the cache had the program; -1 (not an error) when not. */
static int cache_read(struct seccomp_config *c, json_object *obj)
{
	autofree char *path = cache_path(obj);
	autofree char *text = NULL;
	struct berth_err ignored;
	size_t len = 0;

	if (path == NULL || fs_read_file(path, BPF_MAXINSNS * sizeof(struct sock_filter), &text,
					 &len, &ignored) < 0)
		return -1;
	if (len == 0 || len % sizeof(struct sock_filter) != 0)
		return -1;
	c->bpf = (struct sock_filter *)steal_ptr(text);
	c->bpf_len = len / sizeof(struct sock_filter);
	return 0;
}

/* Best effort: a cache that cannot be written is only slower. */
static void cache_write(const struct seccomp_config *c, json_object *obj)
{
	autofree char *path = cache_path(obj);
	struct berth_err ignored;

	if (path == NULL || fs_mkdir_p(cache_dir, 0700, &ignored) < 0)
		return;
	fs_write_file_atomic(path, (const char *)c->bpf, c->bpf_len * sizeof(struct sock_filter), 0600,
			     &ignored);
}

int seccomp_config_parse(json_object *obj, const char *path, struct seccomp_config **out,
			 struct berth_err *err)
{
	autoconfig struct seccomp_config *c = xzalloc(sizeof(*c));
	autofilter scmp_filter_ctx ctx = NULL;
	int r;

	c->path = xstrdup(path != NULL ? path : "linux.seccomp");
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return berth_err_set(err, EINVAL, "%s: expected an object", c->path);

	if (parse_action(obj, c->path, "defaultAction", "defaultErrnoRet", &c->default_action,
			 err) < 0)
		return -1;
	/* A notifying default would trap the runtime's own calls between the
	 * load and execve, before anyone holds the listener fd. */
	if (c->default_action == SCMP_ACT_NOTIFY)
		return berth_err_set(err, EINVAL,
				     "%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default action",
				     c->path);
	r = parse_archs(obj, c, err);
	if (r == 0)
		r = parse_flags(obj, c, err);
	if (r == 0)
		r = parse_syscalls(obj, c, err);
	if (r == 0)
		r = parse_listener(obj, c, err);
	if (r < 0)
		return -1;

	if (cache_read(c, obj) < 0) {
		if (filter_build(c, &ctx, err) < 0 || filter_export(ctx, c, err) < 0 ||
		    enosys_stub(c, err) < 0)
			return -1;
		cache_write(c, obj);
	}
	*out = steal_ptr(c);
	return 0;
}

int seccomp_config_apply(const struct seccomp_config *c, int *notify_fd, struct berth_err *err)
{
	struct sock_fprog prog = { .len = (unsigned short)c->bpf_len, .filter = c->bpf };
	unsigned kflags = 0;
	long r;

	*notify_fd = -1;
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++)
		if (c->flags & (1U << k))
			kflags |= kernel_flags[k];
	if (c->has_notify) {
		kflags |= FLAG_NEW_LISTENER;
		/* With TSYNC a listener needs ESRCH for a failed sync (as
		 * libseccomp asks for it). */
		if (kflags & SECCOMP_FILTER_FLAG_TSYNC)
			kflags |= FLAG_TSYNC_ESRCH;
	}
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kflags, &prog);
	if (r < 0)
		return berth_err_set(err, errno, "load seccomp filter");
	if (c->has_notify)
		*notify_fd = (int)r;
	return 0;
}

int seccomp_notify_send(const char *listener_path, int notify_fd, const char *state_json,
			struct berth_err *err)
{
	autoclose int sock = -1;
	size_t len = state_json != NULL ? strlen(state_json) : 0;
	size_t sent;
	ssize_t n;

	/* A stream socket carries ancillary data only alongside real bytes. */
	if (len == 0)
		return berth_err_set(err, EINVAL, "seccomp listener %s: empty state",
				     listener_path);
	sock = unixsock_connect(listener_path);
	if (sock < 0)
		return berth_err_set(err, errno, "connect to seccomp listener %s", listener_path);
	n = unixsock_send_fd(sock, state_json, len, notify_fd);
	if (n < 0)
		return berth_err_set(err, errno, "send to seccomp listener %s", listener_path);
	/* The fd went with the first bytes; a long state may need more. */
	for (sent = (size_t)n; sent < len; sent += (size_t)n) {
		n = send(sock, state_json + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			return berth_err_set(err, errno, "send to seccomp listener %s",
					     listener_path);
	}
	return 0;
}
