/* linux.seccomp of one container from a seccomp profile in docker's format
 * (moby/profiles/seccomp, which containers-common's profile also uses):
 * the rules that apply to this container kept, as docker's daemon keeps
 * them (this machine's architecture, the capabilities the container
 * holds, the running kernel), and written in the runtime spec's format.
 * The profile is a file, or docker's default built in (seccomp-default.c). */
#include "engine/ocispec.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/utsname.h>

#include "engine/ocispec-internal.h"
#include "engine/seccomp-default.h"
#include "runtime/caps.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* The same bound the runtime puts on config.json, which the profile ends in. */
#define OCISPEC_PROFILE_MAX (4u << 20)

/* This machine as Go's GOARCH, which a profile's includes/excludes.arches
 * name, and as the libseccomp token its archMap is keyed by. */
#if defined(__x86_64__)
#define NATIVE_GOARCH    "amd64"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define NATIVE_GOARCH    "arm64"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_AARCH64"
#elif defined(__i386__)
#define NATIVE_GOARCH    "386"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_X86"
#elif defined(__arm__)
#define NATIVE_GOARCH    "arm"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_ARM"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_GOARCH    "ppc64le"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_PPC64LE"
#elif defined(__s390x__)
#define NATIVE_GOARCH    "s390x"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_S390X"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_GOARCH    "riscv64"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_RISCV64"
#elif defined(__loongarch64)
#define NATIVE_GOARCH    "loong64"
#define NATIVE_SCMP_ARCH "SCMP_ARCH_LOONGARCH64"
#else
#define NATIVE_GOARCH    ""
#define NATIVE_SCMP_ARCH ""
#endif

/* A decimal number at *s, advancing *s past it. */
static bool parse_version_part(const char **s, unsigned long *out)
{
	uint64_t v;

	if (num_take_u64(s, 10, INT_MAX, &v) < 0)
		return false;
	*out = (unsigned long)v;
	return true;
}

/* "4.8" (or "4.8.0", "5.10-rc1"): the major and minor numbers. */
static bool parse_kernel_version(const char *s, unsigned long *major, unsigned long *minor)
{
	if (!parse_version_part(&s, major) || *s++ != '.' || !parse_version_part(&s, minor))
		return false;
	return *s == '\0' || *s == '.' || *s == '-';
}

static int kernel_at_least(const char *min, const char *path, bool *ok, struct berth_err *err)
{
	struct utsname u;
	unsigned long want_major, want_minor, major, minor;

	if (!parse_kernel_version(min, &want_major, &want_minor))
		return berth_err_set(err, 0, "%s.minKernel: invalid kernel version \"%s\"", path,
				     min);
	if (uname(&u) < 0)
		return berth_err_set(err, errno, "uname");
	if (!parse_kernel_version(u.release, &major, &minor))
		return berth_err_set(err, 0, "unknown kernel version \"%s\"", u.release);
	*ok = major > want_major || (major == want_major && minor >= want_minor);
	return 0;
}

/* One "includes" or "excludes" object, evaluated for this container. */
struct rule_filter {
	bool has_arches, arch_listed; /* arches given; this machine among them */
	size_t n_caps, n_held;        /* caps given; how many the container has */
	bool has_min_kernel, kernel_ok;
};

static int rule_filter_read(json_object *call, const char *key, const char *path,
			    const struct capset *caps, struct rule_filter *f, struct berth_err *err)
{
	autostrv char **arches = NULL, **cap_names = NULL;
	autofree char *sub = xasprintf("%s.%s", path, key);
	const char *min = NULL;
	json_object *obj = NULL;

	*f = (struct rule_filter){ 0 };
	if (json_get_object(call, key, path, &obj, err) < 0)
		return -1;
	if (obj == NULL)
		return 0;
	if (json_get_strv(obj, "arches", sub, &arches, err) < 0 ||
	    json_get_strv(obj, "caps", sub, &cap_names, err) < 0 ||
	    json_get_string(obj, "minKernel", sub, &min, err) < 0)
		return -1;
	f->has_arches = strv_len(arches) > 0;
	f->arch_listed = strv_contains(arches, NATIVE_GOARCH);
	f->n_caps = strv_len(cap_names);
	for (size_t i = 0; i < f->n_caps; i++)
		if (capset_has(caps, caps_from_name(cap_names[i])))
			f->n_held++;
	if (min != NULL && min[0] != '\0') {
		f->has_min_kernel = true;
		if (kernel_at_least(min, sub, &f->kernel_ok, err) < 0)
			return -1;
	}
	return 0;
}

/* moby/profiles/seccomp: a rule is left out when any exclude matches (this
 * arch listed, any listed cap held, the kernel at least minKernel), and
 * kept only when every include holds (this arch listed, every listed cap
 * held, the kernel at least minKernel). Caps are the bounding set. */
static int rule_applies(json_object *call, const char *path, const struct capset *caps,
			bool *applies, struct berth_err *err)
{
	struct rule_filter ex, in;

	if (rule_filter_read(call, "excludes", path, caps, &ex, err) < 0 ||
	    rule_filter_read(call, "includes", path, caps, &in, err) < 0)
		return -1;
	*applies = !(ex.arch_listed || ex.n_held > 0 || (ex.has_min_kernel && ex.kernel_ok)) &&
		   !(in.has_arches && !in.arch_listed) && in.n_held == in.n_caps &&
		   !(in.has_min_kernel && !in.kernel_ok);
	return 0;
}

/* errnoRet means something to these actions only; runc ignores it on the
 * others, the runtime's parser refuses it there. */
static bool action_takes_ret(const char *action)
{
	return strcmp(action, "SCMP_ACT_ERRNO") == 0 || strcmp(action, "SCMP_ACT_TRACE") == 0;
}

static int convert_syscall(json_object *call, const char *path, const struct capset *caps,
			   json_object *out, struct berth_err *err)
{
	autostrv char **names = NULL;
	const char *name = NULL, *action = NULL;
	json_object *args = NULL, *s;
	int64_t ret;
	bool applies;
	int r;

	if (!json_object_is_type(call, json_type_object))
		return berth_err_set(err, 0, "%s: expected an object", path);
	if (json_get_string(call, "name", path, &name, err) < 0 ||
	    json_get_strv(call, "names", path, &names, err) < 0 ||
	    json_get_array(call, "args", path, &args, err) < 0)
		return -1;
	if (name != NULL && strv_len(names) > 0)
		return berth_err_set(err, 0, "%s: both name and names are given", path);
	if (name != NULL)
		strv_push(&names, name);
	r = json_get_string(call, "action", path, &action, err);
	if (r <= 0)
		return r < 0 ? r : berth_err_set(err, 0, "%s.action: required", path);
	if (rule_applies(call, path, caps, &applies, err) < 0)
		return -1;
	if (!applies || strv_len(names) == 0)
		return 0;

	s = json_object_new_object();
	json_object_array_add(out, s);
	json_object_object_add(s, "names", json_strv(names));
	json_object_object_add(s, "action", json_object_new_string(action));
	r = json_get_int64(call, "errnoRet", path, &ret, err);
	if (r < 0)
		return r;
	if (r > 0 && action_takes_ret(action))
		json_object_object_add(s, "errnoRet", json_object_new_int64(ret));
	/* The argument conditions are the spec's own format; the runtime's
	 * parser checks them. */
	if (args != NULL && json_object_array_length(args) > 0)
		json_object_object_add(s, "args", json_object_get(args));
	return 0;
}

/* architectures as given, or from archMap the entry of this machine with
 * its sub-architectures (x86_64's x86 and x32). Neither: libseccomp's
 * native one. */
static int convert_archs(json_object *prof, json_object *out, struct berth_err *err)
{
	autostrv char **given = NULL;
	json_object *map = NULL, *archs = json_object_new_array();

	json_object_object_add(out, "architectures", archs);
	if (json_get_strv(prof, "architectures", NULL, &given, err) < 0 ||
	    json_get_array(prof, "archMap", NULL, &map, err) < 0)
		return -1;
	if (strv_len(given) > 0 && map != NULL && json_object_array_length(map) > 0)
		return berth_err_set(err, 0, "both architectures and archMap are given");
	for (size_t i = 0; given != NULL && given[i] != NULL; i++)
		json_object_array_add(archs, json_object_new_string(given[i]));
	for (size_t i = 0; map != NULL && i < json_object_array_length(map); i++) {
		json_object *e = json_object_array_get_idx(map, i);
		autofree char *path = xasprintf("archMap[%zu]", i);
		autostrv char **subs = NULL;
		const char *arch = NULL;
		if (!json_object_is_type(e, json_type_object))
			return berth_err_set(err, 0, "%s: expected an object", path);
		if (json_get_string(e, "architecture", path, &arch, err) < 0 ||
		    json_get_strv(e, "subArchitectures", path, &subs, err) < 0)
			return -1;
		if (arch == NULL || strcmp(arch, NATIVE_SCMP_ARCH) != 0)
			continue;
		json_object_array_add(archs, json_object_new_string(arch));
		for (size_t k = 0; subs != NULL && subs[k] != NULL; k++)
			json_object_array_add(archs, json_object_new_string(subs[k]));
	}
	if (json_object_array_length(archs) == 0)
		json_object_object_del(out, "architectures");
	return 0;
}

/* Keys the spec shares with the profile format, copied when present. */
static int copy_string_key(json_object *from, const char *key, json_object *to,
			   struct berth_err *err)
{
	const char *v = NULL;
	int r = json_get_string(from, key, NULL, &v, err);

	if (r > 0)
		json_object_object_add(to, key, json_object_new_string(v));
	return r < 0 ? -1 : 0;
}

static int convert_profile(json_object *prof, const struct capset *caps, json_object *out,
			   struct berth_err *err)
{
	const char *def = NULL;
	json_object *calls = NULL, *flags = NULL, *list;
	int64_t ret;
	int r;

	if (!json_object_is_type(prof, json_type_object))
		return berth_err_set(err, 0, "expected an object");
	r = json_get_string(prof, "defaultAction", NULL, &def, err);
	if (r <= 0)
		return r < 0 ? r : berth_err_set(err, 0, "defaultAction: required");
	json_object_object_add(out, "defaultAction", json_object_new_string(def));
	r = json_get_int64(prof, "defaultErrnoRet", NULL, &ret, err);
	if (r < 0)
		return r;
	if (r > 0 && action_takes_ret(def))
		json_object_object_add(out, "defaultErrnoRet", json_object_new_int64(ret));
	if (convert_archs(prof, out, err) < 0 ||
	    copy_string_key(prof, "listenerPath", out, err) < 0 ||
	    copy_string_key(prof, "listenerMetadata", out, err) < 0 ||
	    json_get_array(prof, "flags", NULL, &flags, err) < 0 ||
	    json_get_array(prof, "syscalls", NULL, &calls, err) < 0)
		return -1;
	if (flags != NULL)
		json_object_object_add(out, "flags", json_object_get(flags));
	list = json_object_new_array();
	json_object_object_add(out, "syscalls", list);
	for (size_t i = 0; calls != NULL && i < json_object_array_length(calls); i++) {
		autofree char *path = xasprintf("syscalls[%zu]", i);
		if (convert_syscall(json_object_array_get_idx(calls, i), path, caps, list, err) < 0)
			return -1;
	}
	return 0;
}

int ocispec_seccomp_build(const char *file, const struct capset *caps, json_object **out,
			  struct berth_err *err)
{
	autofree char *text = NULL;
	autojson json_object *prof = NULL, *s = NULL;
	size_t len;

	if (fs_read_file(file, OCISPEC_PROFILE_MAX, &text, &len, err) < 0 ||
	    json_parse_text(text, len, file, &prof, err) < 0)
		return berth_err_wrap(err, "seccomp profile");
	s = json_object_new_object();
	if (convert_profile(prof, caps, s, err) < 0)
		return berth_err_wrap(err, "seccomp profile %s", file);
	*out = steal_ptr(s);
	return 0;
}

/* docker's default profile, converted as a file would be. */
int ocispec_seccomp_build_default(const struct capset *caps, json_object **out,
				  struct berth_err *err)
{
	autojson json_object *prof = seccomp_default_profile(), *s = json_object_new_object();

	if (convert_profile(prof, caps, s, err) < 0)
		return berth_err_wrap(err, "default seccomp profile");
	*out = steal_ptr(s);
	return 0;
}
