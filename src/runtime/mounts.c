/* Mount options as the runtime spec writes them ("nosuid", "rbind",
 * "rslave", "size=64k") mapped onto mount(2): one table, walked by one
 * function. Later options override earlier ones ("ro,rw" is rw), as
 * mount(8) does. Whatever the table does not know is handed to the
 * filesystem as its data string. */
#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>

#include "runtime/spec.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Older libc headers lack some of these; the values are the kernel's ABI. */
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum opt_kind {
	OPT_SET,         /* flags |= bits */
	OPT_CLEAR,       /* flags &= ~bits, and remember the clear */
	OPT_PROPAGATION, /* propagation = bits */
	OPT_BIND,        /* bind = true; recursive when bits has MS_REC */
	OPT_NOOP,        /* "defaults"; "tmpcopyup" (read by mount_has_tmpcopyup) */
	OPT_RSET,        /* recursive attribute to set (mount_setattr) */
	OPT_RCLEAR,      /* recursive attribute to clear */
	OPT_RATIME,      /* recursive atime mode */
	OPT_IDMAP,       /* idmapped mount; recursive when bits has AT_RECURSIVE */
	OPT_UNSUPPORTED, /* refused with a clear error */
};

struct mount_opt {
	const char *name;
	enum opt_kind kind;
	unsigned long bits;
	const char *why; /* OPT_UNSUPPORTED: what is missing */
};

static const struct mount_opt mount_opts[] = {
	{ "defaults", OPT_NOOP, 0, NULL },
	{ "ro", OPT_SET, MS_RDONLY, NULL },
	{ "rw", OPT_CLEAR, MS_RDONLY, NULL },
	{ "nosuid", OPT_SET, MS_NOSUID, NULL },
	{ "suid", OPT_CLEAR, MS_NOSUID, NULL },
	{ "nodev", OPT_SET, MS_NODEV, NULL },
	{ "dev", OPT_CLEAR, MS_NODEV, NULL },
	{ "noexec", OPT_SET, MS_NOEXEC, NULL },
	{ "exec", OPT_CLEAR, MS_NOEXEC, NULL },
	{ "sync", OPT_SET, MS_SYNCHRONOUS, NULL },
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS, NULL },
	{ "dirsync", OPT_SET, MS_DIRSYNC, NULL },
	{ "remount", OPT_SET, MS_REMOUNT, NULL },
	{ "mand", OPT_SET, MS_MANDLOCK, NULL },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK, NULL },
	{ "noatime", OPT_SET, MS_NOATIME, NULL },
	{ "atime", OPT_CLEAR, MS_NOATIME, NULL },
	{ "nodiratime", OPT_SET, MS_NODIRATIME, NULL },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME, NULL },
	{ "relatime", OPT_SET, MS_RELATIME, NULL },
	{ "norelatime", OPT_CLEAR, MS_RELATIME, NULL },
	{ "strictatime", OPT_SET, MS_STRICTATIME, NULL },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME, NULL },
	{ "lazytime", OPT_SET, MS_LAZYTIME, NULL },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME, NULL },
	{ "nosymfollow", OPT_SET, MS_NOSYMFOLLOW, NULL },
	{ "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW, NULL },
	{ "silent", OPT_SET, MS_SILENT, NULL },
	{ "loud", OPT_CLEAR, MS_SILENT, NULL },
	{ "bind", OPT_BIND, MS_BIND, NULL },
	{ "rbind", OPT_BIND, MS_BIND | MS_REC, NULL },
	{ "private", OPT_PROPAGATION, MS_PRIVATE, NULL },
	{ "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC, NULL },
	{ "shared", OPT_PROPAGATION, MS_SHARED, NULL },
	{ "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC, NULL },
	{ "slave", OPT_PROPAGATION, MS_SLAVE, NULL },
	{ "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC, NULL },
	{ "unbindable", OPT_PROPAGATION, MS_UNBINDABLE, NULL },
	{ "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC, NULL },
	{ "tmpcopyup", OPT_NOOP, 0, NULL },
	{ "idmap", OPT_IDMAP, 0, NULL },
	{ "ridmap", OPT_IDMAP, AT_RECURSIVE, NULL },
	/* Recursive attributes, applied with mount_setattr(2) and
	 * AT_RECURSIVE to the mount and everything below it. */
	{ "rro", OPT_RSET, MOUNT_ATTR_RDONLY, NULL },
	{ "rrw", OPT_RCLEAR, MOUNT_ATTR_RDONLY, NULL },
	{ "rnosuid", OPT_RSET, MOUNT_ATTR_NOSUID, NULL },
	{ "rsuid", OPT_RCLEAR, MOUNT_ATTR_NOSUID, NULL },
	{ "rnodev", OPT_RSET, MOUNT_ATTR_NODEV, NULL },
	{ "rdev", OPT_RCLEAR, MOUNT_ATTR_NODEV, NULL },
	{ "rnoexec", OPT_RSET, MOUNT_ATTR_NOEXEC, NULL },
	{ "rexec", OPT_RCLEAR, MOUNT_ATTR_NOEXEC, NULL },
	{ "rnodiratime", OPT_RSET, MOUNT_ATTR_NODIRATIME, NULL },
	{ "rdiratime", OPT_RCLEAR, MOUNT_ATTR_NODIRATIME, NULL },
	{ "rnosymfollow", OPT_RSET, MOUNT_ATTR_NOSYMFOLLOW, NULL },
	{ "rsymfollow", OPT_RCLEAR, MOUNT_ATTR_NOSYMFOLLOW, NULL },
	/* atime is one mode, not a set of bits: the last option wins, and
	 * clearing noatime or strictatime falls back to the default relatime. */
	{ "rnoatime", OPT_RATIME, MOUNT_ATTR_NOATIME, NULL },
	{ "ratime", OPT_RATIME, MOUNT_ATTR_RELATIME, NULL },
	{ "rrelatime", OPT_RATIME, MOUNT_ATTR_RELATIME, NULL },
	{ "rnorelatime", OPT_RATIME, MOUNT_ATTR_STRICTATIME, NULL },
	{ "rstrictatime", OPT_RATIME, MOUNT_ATTR_STRICTATIME, NULL },
	{ "rnostrictatime", OPT_RATIME, MOUNT_ATTR_RELATIME, NULL },
};

static const struct mount_opt *mount_opt_find(const char *name)
{
	for (size_t i = 0; i < sizeof(mount_opts) / sizeof(mount_opts[0]); i++)
		if (strcmp(mount_opts[i].name, name) == 0)
			return &mount_opts[i];
	return NULL;
}

static void data_append(char **data, const char *opt)
{
	char *old = *data;

	*data = old ? xasprintf("%s,%s", old, opt) : xstrdup(opt);
	free(old);
}

int mount_options_parse(struct spec_mount *m, const char *path, struct berth_err *err)
{
	free(m->data);
	m->data = NULL;
	m->flags = m->clear = m->propagation = 0;
	m->bind = m->recursive = false;
	m->rec_set = m->rec_clr = m->rec_atime = 0;
	m->has_rec_atime = false;
	m->idmap = m->idmap_recursive = false;

	for (size_t i = 0; m->options != NULL && m->options[i] != NULL; i++) {
		const char *o = m->options[i];
		const struct mount_opt *opt = mount_opt_find(o);

		if (*o == '\0')
			continue;
		if (opt == NULL) {
			data_append(&m->data, o);
			continue;
		}
		switch (opt->kind) {
		case OPT_SET:
			m->flags |= opt->bits;
			m->clear &= ~opt->bits;
			break;
		case OPT_CLEAR:
			m->flags &= ~opt->bits;
			m->clear |= opt->bits;
			break;
		case OPT_PROPAGATION:
			m->propagation = opt->bits;
			break;
		case OPT_BIND:
			m->bind = true;
			m->recursive = m->recursive || (opt->bits & MS_REC);
			break;
		case OPT_RSET:
			m->rec_set |= opt->bits;
			m->rec_clr &= ~(uint64_t)opt->bits;
			break;
		case OPT_RCLEAR:
			m->rec_clr |= opt->bits;
			m->rec_set &= ~(uint64_t)opt->bits;
			break;
		case OPT_IDMAP:
			m->idmap = true;
			m->idmap_recursive = m->idmap_recursive || opt->bits != 0;
			break;
		case OPT_RATIME:
			m->has_rec_atime = true;
			m->rec_atime = opt->bits;
			break;
		case OPT_NOOP:
			break;
		case OPT_UNSUPPORTED:
			m->flags = m->clear = m->propagation = 0;
			free(m->data);
			m->data = NULL;
			return berth_err_set(err, EOPNOTSUPP, "%s.options[%zu] \"%s\": %s", path, i,
					     o, opt->why);
		}
	}
	/* "type": "bind" is how runc and docker spell a bind mount too. */
	if (m->type != NULL && strcmp(m->type, "bind") == 0)
		m->bind = true;
	if (m->bind)
		m->flags |= MS_BIND | (m->recursive ? MS_REC : 0);
	return 0;
}

int mount_propagation_parse(const char *s, unsigned long *out)
{
	const struct mount_opt *opt = s ? mount_opt_find(s) : NULL;

	if (opt == NULL || opt->kind != OPT_PROPAGATION)
		return -1;
	*out = opt->bits;
	return 0;
}

bool mount_has_tmpcopyup(const struct spec_mount *m)
{
	return m->options != NULL && strv_contains(m->options, "tmpcopyup");
}

/* Advances *p past separators and "." components and returns the length
 * of the next component (0 at the end). */
static size_t next_component(const char **p)
{
	for (;;) {
		while (**p == '/')
			(*p)++;
		if ((*p)[0] == '.' && ((*p)[1] == '/' || (*p)[1] == '\0')) {
			(*p)++;
			continue;
		}
		return strcspn(*p, "/");
	}
}

bool mount_dest_is(const struct spec_mount *m, const char *path)
{
	const char *a = m->destination, *b = path;

	if (a == NULL)
		return false;
	for (;;) {
		size_t la = next_component(&a), lb = next_component(&b);
		if (la != lb || strncmp(a, b, la) != 0)
			return false;
		if (la == 0)
			return true;
		a += la;
		b += lb;
	}
}

bool mount_proc_file_allowed(const char *dest)
{
	static const char *const files[] = {
		"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
		"/proc/swaps",	 "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
		"/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(dest, files[i]) == 0)
			return true;
	return false;
}
