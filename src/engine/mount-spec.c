/* -v, --mount and --tmpfs as docker reads them. The rules and messages are
 * docker's: the -v grammar and modes of moby's volume/mounts linux parser
 * (and the docker client, which makes a "./x" source absolute), the
 * --mount CSV fields of the client's opts/mount.go, the checks of the
 * daemon's validateMountConfig and the tmpfs option merging of
 * moby/sys/mount. */
#include "engine/mount-spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/num.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DEFAULT_PROPAGATION "rprivate"

/* ---- paths ---- */

/* docker's client: a source starting with "." is relative to the caller's
 * working directory (filepath.Abs). */
static char *path_abs(const char *p)
{
	autofree char *cwd = getcwd(NULL, 0);
	autofree char *joined = NULL;

	if (cwd == NULL)
		return xstrdup(p);
	joined = xasprintf("%s/%s", cwd, p);
	return path_clean(joined);
}

/* linuxValidateNotRoot and linuxValidateAbsolute. */
static int check_target(const char *t, struct berth_err *err)
{
	if (strcmp(t, "/") == 0)
		return berth_err_set(err, 0, "invalid specification: destination can't be '/'");
	if (t[0] != '/')
		return berth_err_set(err, 0, "invalid mount path: '%s' mount path must be absolute",
				     t);
	return 0;
}

/* ---- names ---- */

int mount_spec_check_volume_name(const char *name, struct berth_err *err)
{
	size_t n = strlen(name);

	if (n == 1)
		return berth_err_set(err, 0,
				     "volume name is too short, names should be at least two "
				     "alphanumeric characters");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (alnum || (i > 0 && (c == '_' || c == '.' || c == '-')))
			continue;
		return berth_err_set(
		    err, 0,
		    "\"%s\" includes invalid characters for a local volume name, "
		    "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
		    "to pass a host directory, use absolute path",
		    name);
	}
	if (n == 0)
		return berth_err_set(err, 0, "volume name must not be empty");
	return 0;
}

/* ---- sizes ---- */

int mount_spec_parse_ram(const char *s, int64_t *out)
{
	return num_parse_size(s, out) < 0 ? -1 : 0;
}

/* ---- -v modes ---- */

enum mode_family { MODE_RW, MODE_LABEL, MODE_PROPAGATION, MODE_COPY, MODE_CONSISTENCY, MODE_N };

static const struct {
	const char *name;
	enum mode_family family;
} volume_modes[] = {
	{ "rw", MODE_RW },
	{ "ro", MODE_RW },
	/* SELinux relabelling: accepted, nothing to do without SELinux. */
	{ "z", MODE_LABEL },
	{ "Z", MODE_LABEL },
	{ "private", MODE_PROPAGATION },
	{ "rprivate", MODE_PROPAGATION },
	{ "shared", MODE_PROPAGATION },
	{ "rshared", MODE_PROPAGATION },
	{ "slave", MODE_PROPAGATION },
	{ "rslave", MODE_PROPAGATION },
	{ "nocopy", MODE_COPY },
	/* Docker Desktop's file sharing hints: accepted, meaningless here. */
	{ "consistent", MODE_CONSISTENCY },
	{ "cached", MODE_CONSISTENCY },
	{ "delegated", MODE_CONSISTENCY },
};

struct volume_mode {
	bool valid, read_only, no_copy;
	const char *propagation; /* points into volume_modes */
};

/* linuxValidMountMode: known words, at most one of each family. */
static struct volume_mode mode_parse(const char *mode)
{
	struct volume_mode m = { .valid = true };
	int count[MODE_N] = { 0 };
	autofree char *copy = xstrdup(mode);
	char *save = NULL;

	if (mode[0] == '\0')
		return m;
	for (char *w = copy;; w = NULL) {
		char *word = strtok_r(w, ",", &save);
		size_t i;

		if (word == NULL)
			break;
		for (i = 0; i < ARRAY_SIZE(volume_modes); i++)
			if (strcmp(word, volume_modes[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(volume_modes) || ++count[volume_modes[i].family] > 1) {
			m.valid = false;
			return m;
		}
		if (strcmp(word, "ro") == 0)
			m.read_only = true;
		if (volume_modes[i].family == MODE_PROPAGATION)
			m.propagation = volume_modes[i].name;
		if (volume_modes[i].family == MODE_COPY)
			m.no_copy = true;
	}
	/* strtok_r skips empty words, Go's Split does not: "ro," is invalid. */
	if (mode[strlen(mode) - 1] == ',' || mode[0] == ',' || strstr(mode, ",,") != NULL)
		m.valid = false;
	return m;
}

static bool propagation_valid(const char *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(volume_modes); i++)
		if (volume_modes[i].family == MODE_PROPAGATION &&
		    strcmp(volume_modes[i].name, p) == 0)
			return true;
	return false;
}

void mount_spec_clear(struct mount_spec *m)
{
	free(m->raw);
	free(m->source);
	free(m->destination);
	free(m->mode);
	free(m->propagation);
	strv_free(m->volume_opts);
	strv_free(m->volume_labels);
	free(m->tmpfs_data);
	free(m->host_path);
	memset(m, 0, sizeof(*m));
}

static const char *type_name(enum mount_spec_type t)
{
	switch (t) {
	case MOUNT_SPEC_BIND:
		return "bind";
	case MOUNT_SPEC_VOLUME:
		return "volume";
	case MOUNT_SPEC_TMPFS:
		return "tmpfs";
	}
	return "";
}

/* What the daemon checks of every mount (validateMountConfigImpl), with
 * its "invalid mount config for type" prefix. has_bind_opts etc.: which
 * option groups were given. */
struct given_groups {
	bool bind, volume, tmpfs;
};

static int mount_config_err(struct berth_err *err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int mount_config_err(struct berth_err *err, const char *type, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return berth_err_set(err, 0, "invalid mount config for type \"%s\": %s", type, msg);
}

static int validate(const struct mount_spec *m, const char *type, const struct given_groups *g,
		    bool check_source_exists, struct berth_err *err)
{
	struct stat st;

	if (m->destination == NULL || m->destination[0] == '\0')
		return mount_config_err(err, type, "field Target must not be empty");
	if (check_target(m->destination, err) < 0)
		return berth_err_wrap(err, "invalid mount config for type \"%s\"", type);
	if (strcmp(type, "bind") == 0) {
		if (m->source == NULL || m->source[0] == '\0')
			return mount_config_err(err, type, "field Source must not be empty");
		if (m->propagation != NULL && !propagation_valid(m->propagation))
			return mount_config_err(err, type, "invalid propagation mode: %s",
						m->propagation);
		if (g->volume)
			return mount_config_err(err, type,
						"field VolumeOptions must not be specified");
		if (g->tmpfs)
			return mount_config_err(err, type,
						"field TmpfsOptions must not be specified");
		if (m->source[0] != '/')
			return mount_config_err(
			    err, type, "invalid mount path: '%s' mount path must be absolute",
			    m->source);
		if (check_source_exists && stat(m->source, &st) < 0) {
			if (errno == ENOENT) {
				/* ENOENT: the host's state, not the flag's form
				 * (docker's daemon, not its client, says it). */
				mount_config_err(err, type, "bind source path does not exist: %s",
						 m->source);
				err->code = ENOENT;
				return -1;
			}
			return berth_err_set(err, errno, "invalid mount config for type \"%s\": %s",
					     type, m->source);
		}
	} else if (strcmp(type, "volume") == 0) {
		if (g->bind)
			return mount_config_err(err, type,
						"field BindOptions must not be specified");
		if (g->tmpfs)
			return mount_config_err(err, type,
						"field TmpfsOptions must not be specified");
		if (m->read_only && m->anonymous)
			return mount_config_err(err, type,
						"must not set ReadOnly mode when using anonymous "
						"volumes");
	} else if (strcmp(type, "tmpfs") == 0) {
		if (g->bind)
			return mount_config_err(err, type,
						"field BindOptions must not be specified");
		if (g->volume)
			return mount_config_err(err, type,
						"field VolumeOptions must not be specified");
		if (m->source != NULL && m->source[0] != '\0')
			return mount_config_err(err, type, "field Source must not be specified");
	} else {
		return mount_config_err(err, type, "mount type unknown");
	}
	return 0;
}

/* ---- -v ---- */

static int volume_spec_err(const char *raw, struct berth_err *err)
{
	return berth_err_set(err, 0, "invalid volume specification: '%s'", raw);
}

/* ParseMountRaw: [SOURCE:]TARGET[:MODE]. */
static int parse_volume(const char *raw, struct mount_spec *m, struct berth_err *err)
{
	autofree char *copy = xstrdup(raw);
	char *field[3] = { NULL, NULL, NULL };
	struct volume_mode mode;
	struct given_groups g = { 0 };
	size_t n = 0;
	const char *target;

	for (const char *c = raw; *c != '\0'; c++)
		if (*c == ':' && ++n > 2)
			return volume_spec_err(raw, err);
	n = 0;
	field[n++] = copy;
	for (char *c = copy; *c != '\0'; c++)
		if (*c == ':') {
			*c = '\0';
			field[n++] = c + 1;
		}
	if (field[0][0] == '\0')
		return volume_spec_err(raw, err);
	if (n == 1) {
		target = field[0];
	} else {
		if (n == 2 && mode_parse(field[1]).valid)
			return volume_spec_err(raw, err); /* "/foo:rw": a volume has no mode */
		m->source = xstrdup(field[0]);
		target = field[1];
	}
	m->mode = xstrdup(n == 3 ? field[2] : "");
	mode = mode_parse(m->mode);
	if (!mode.valid)
		return berth_err_set(err, 0, "invalid mode: %s", m->mode);
	m->type = m->source != NULL && m->source[0] == '/' ? MOUNT_SPEC_BIND : MOUNT_SPEC_VOLUME;
	m->anonymous = m->source == NULL;
	m->read_only = mode.read_only;
	m->no_copy = mode.no_copy;
	g.volume = mode.no_copy;
	g.bind = mode.propagation != NULL;
	if (m->type == MOUNT_SPEC_BIND) {
		char *clean = path_clean(m->source);

		free(m->source);
		m->source = clean;
		m->propagation = xstrdup(mode.propagation ?: DEFAULT_PROPAGATION);
		m->create_source = true;
	}
	m->destination = target[0] == '/' ? path_clean(target) : xstrdup(target);
	if (validate(m, type_name(m->type), &g, false, err) < 0)
		return berth_err_wrap(err, "invalid volume specification: '%s'", raw);
	if (m->type == MOUNT_SPEC_VOLUME && !m->anonymous &&
	    mount_spec_check_volume_name(m->source, err) < 0)
		return berth_err_wrap(err, "create %s", m->source);
	return 0;
}

int mount_spec_parse_volume(const char *raw, struct mount_spec *out, struct berth_err *err)
{
	autofree char *abs = NULL;
	const char *colon = strchr(raw, ':');

	memset(out, 0, sizeof(*out));
	out->origin = MOUNT_FROM_VOLUME_FLAG;
	/* docker's client makes a relative host path ("./data:/x") absolute
	 * before the daemon sees it; Binds records the absolute form. */
	if (raw[0] == '.' && colon != NULL) {
		autofree char *host = xstrndup(raw, (size_t)(colon - raw));
		autofree char *full = path_abs(host);

		abs = xasprintf("%s%s", full, colon);
		raw = abs;
	}
	out->raw = xstrdup(raw);
	if (parse_volume(raw, out, err) < 0) {
		mount_spec_clear(out);
		return -1;
	}
	return 0;
}

/* ---- --mount ---- */

/* Go's encoding/csv, one record: fields split at commas, a field may be
 * double-quoted (with "" for a quote inside). */
static int csv_split(const char *s, char ***out, struct berth_err *err)
{
	autostrv char **fields = NULL;
	const char *p = s;

	for (;;) {
		char *f = xmalloc(strlen(p) + 1);
		size_t len = 0;

		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0') {
					free(f);
					return berth_err_set(
					    err, 0,
					    "parse error on line 1, column %zu: "
					    "extraneous or missing \" in quoted-field",
					    (size_t)(p - s) + 1);
				}
				if (*p == '"' && p[1] == '"') {
					f[len++] = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					f[len++] = *p++;
				}
			}
			if (*p != ',' && *p != '\0') {
				free(f);
				return berth_err_set(
				    err, 0,
				    "parse error on line 1, column %zu: extraneous "
				    "or missing \" in quoted-field",
				    (size_t)(p - s) + 1);
			}
		} else {
			while (*p != ',' && *p != '\0') {
				if (*p == '"') {
					free(f);
					return berth_err_set(err, 0,
							     "parse error on line 1, column %zu: "
							     "bare \" in non-quoted-field",
							     (size_t)(p - s) + 1);
				}
				f[len++] = *p++;
			}
		}
		f[len] = '\0';
		strv_push_take(&fields, f);
		if (*p == '\0')
			break;
		p++;
	}
	*out = steal_ptr(fields);
	return 0;
}

/* strconv.ParseBool */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* "k=v" into a vector of "k=v", replacing an earlier k; an empty key is
 * ignored (setValueOnMap). */
static void kv_set(char ***v, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	if (klen == 0)
		return;
	for (size_t i = 0; *v != NULL && (*v)[i] != NULL; i++)
		if (strncmp((*v)[i], kv, klen) == 0 && (*v)[i][klen] == '=') {
			free((*v)[i]);
			(*v)[i] = kv[klen] == '=' ? xstrdup(kv) : xasprintf("%s=", kv);
			return;
		}
	strv_push_take(v, kv[klen] == '=' ? xstrdup(kv) : xasprintf("%s=", kv));
}

struct mount_fields {
	char *type;
	int64_t tmpfs_size;
	unsigned long tmpfs_mode;
	struct given_groups g;
};

/* One key=value (or bare flag) of --mount. Messages are the client's. */
static int mount_field(const char *field, struct mount_spec *m, struct mount_fields *f,
		       struct berth_err *err)
{
	const char *eq = strchr(field, '=');
	autofree char *key = xstrndup(field, eq != NULL ? (size_t)(eq - field) : strlen(field));
	const char *val = eq != NULL ? eq + 1 : NULL;
	bool b;

	for (char *c = key; *c != '\0'; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	if (val == NULL) {
		if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0)
			m->read_only = true;
		else if (strcmp(key, "volume-nocopy") == 0)
			m->no_copy = f->g.volume = true;
		else if (strcmp(key, "bind-nonrecursive") == 0)
			m->non_recursive = f->g.bind = true;
		else
			return berth_err_set(err, 0, "invalid field '%s' must be a key=value pair",
					     field);
		return 0;
	}
	if (strcmp(key, "type") == 0) {
		free(f->type);
		f->type = xstrdup(val);
		for (char *c = f->type; *c != '\0'; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	} else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
		free(m->source);
		m->source = strncmp(val, "./", 2) == 0 || strcmp(val, ".") == 0 ? path_abs(val)
										: xstrdup(val);
	} else if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 ||
		   strcmp(key, "destination") == 0) {
		free(m->destination);
		m->destination = xstrdup(val);
	} else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
		if (parse_bool(val, &m->read_only) < 0)
			return berth_err_set(err, 0, "invalid value for %s: %s", key, val);
	} else if (strcmp(key, "consistency") == 0) {
		/* Docker Desktop's; nothing to do. */
	} else if (strcmp(key, "bind-propagation") == 0) {
		free(m->propagation);
		m->propagation = xstrdup(val);
		for (char *c = m->propagation; *c != '\0'; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		f->g.bind = true;
	} else if (strcmp(key, "bind-nonrecursive") == 0) {
		if (parse_bool(val, &m->non_recursive) < 0)
			return berth_err_set(err, 0, "invalid value for %s: %s", key, val);
		f->g.bind = true;
	} else if (strcmp(key, "volume-driver") == 0) {
		if (strcmp(val, "local") != 0)
			return berth_err_set(
			    err, 0, "volume-driver %s: only the local driver is supported", val);
		f->g.volume = true;
	} else if (strcmp(key, "volume-label") == 0) {
		kv_set(&m->volume_labels, val);
		f->g.volume = true;
	} else if (strcmp(key, "volume-opt") == 0) {
		kv_set(&m->volume_opts, val);
		f->g.volume = true;
	} else if (strcmp(key, "volume-nocopy") == 0) {
		if (parse_bool(val, &b) < 0)
			return berth_err_set(err, 0, "invalid value for volume-nocopy: %s", val);
		m->no_copy = b;
		f->g.volume = true;
	} else if (strcmp(key, "tmpfs-size") == 0) {
		if (mount_spec_parse_ram(val, &f->tmpfs_size) < 0)
			return berth_err_set(err, 0, "invalid value for %s: %s", key, val);
		f->g.tmpfs = true;
	} else if (strcmp(key, "tmpfs-mode") == 0) {
		uint64_t mode;

		/* docker: strconv.ParseUint(val, 8, 32) */
		if (num_parse_u64(val, 8, UINT32_MAX, &mode) < 0)
			return berth_err_set(err, 0, "invalid value for %s: %s", key, val);
		f->tmpfs_mode = (unsigned long)mode;
		f->g.tmpfs = true;
	} else {
		return berth_err_set(err, 0, "unexpected key '%s' in '%s'", key, field);
	}
	return 0;
}

/* ConvertTmpfsOptions: mode in octal, size with the largest unit that
 * divides it. */
static char *tmpfs_data(const struct mount_fields *f)
{
	char *data = xstrdup("");

	if (f->tmpfs_mode != 0) {
		char *d = xasprintf("mode=%lo", f->tmpfs_mode);

		free(data);
		data = d;
	}
	if (f->tmpfs_size != 0) {
		static const struct {
			char suffix;
			int64_t div;
		} units[] = { { 'g', INT64_C(1) << 30 }, { 'm', 1 << 20 }, { 'k', 1 << 10 } };
		int64_t size = f->tmpfs_size;
		char suffix[2] = { 0 };
		char *d;

		for (size_t i = 0; i < ARRAY_SIZE(units); i++)
			if (size % units[i].div == 0) {
				size /= units[i].div;
				suffix[0] = units[i].suffix;
				break;
			}
		d = xasprintf("%s%ssize=%lld%s", data, data[0] ? "," : "", (long long)size, suffix);
		free(data);
		data = d;
	}
	return data;
}

static int parse_mount(const char *raw, struct mount_spec *m, struct berth_err *err)
{
	autostrv char **fields = NULL;
	struct mount_fields f = { .type = xstrdup("volume") };
	int r = -1;

	if (csv_split(raw, &fields, err) < 0)
		goto flag_err;
	for (size_t i = 0; fields[i] != NULL; i++)
		if (mount_field(fields[i], m, &f, err) < 0)
			goto flag_err;
	if (f.type[0] == '\0') {
		berth_err_set(err, 0, "type is required");
		goto flag_err;
	}
	if (m->destination == NULL || m->destination[0] == '\0') {
		berth_err_set(err, 0, "target is required");
		goto flag_err;
	}
	if (f.g.volume && strcmp(f.type, "volume") != 0) {
		berth_err_set(err, 0, "cannot mix 'volume-*' options with mount type '%s'", f.type);
		goto flag_err;
	}
	if (f.g.bind && strcmp(f.type, "bind") != 0) {
		berth_err_set(err, 0, "cannot mix 'bind-*' options with mount type '%s'", f.type);
		goto flag_err;
	}
	if (f.g.tmpfs && strcmp(f.type, "tmpfs") != 0) {
		berth_err_set(err, 0, "cannot mix 'tmpfs-*' options with mount type '%s'", f.type);
		goto flag_err;
	}
	/* What the daemon checks, on what the client accepted. */
	m->mode = xstrdup("");
	if (strcmp(f.type, "volume") == 0) {
		m->type = MOUNT_SPEC_VOLUME;
		if (m->source != NULL && m->source[0] == '\0') {
			free(m->source);
			m->source = NULL;
		}
		m->anonymous = m->source == NULL;
	} else if (strcmp(f.type, "bind") == 0) {
		m->type = MOUNT_SPEC_BIND;
	} else if (strcmp(f.type, "tmpfs") == 0) {
		m->type = MOUNT_SPEC_TMPFS;
	}
	if (validate(m, f.type, &f.g, true, err) < 0)
		goto out;
	if (m->type == MOUNT_SPEC_BIND) {
		char *clean = path_clean(m->source);

		free(m->source);
		m->source = clean;
		if (m->propagation == NULL)
			m->propagation = xstrdup(DEFAULT_PROPAGATION);
	} else if (m->type == MOUNT_SPEC_TMPFS) {
		autostrv char **opts = NULL;

		m->tmpfs_data = tmpfs_data(&f);
		if (mount_spec_tmpfs_options(m, &opts, err) < 0)
			goto out;
	} else if (!m->anonymous) {
		if (mount_spec_check_volume_name(m->source, err) < 0) {
			berth_err_wrap(err, "create %s", m->source);
			goto out;
		}
	}
	{
		char *clean = path_clean(m->destination);

		free(m->destination);
		m->destination = clean;
	}
	r = 0;
	goto out;
flag_err:
	berth_err_wrap(err, "invalid argument \"%s\" for \"--mount\" flag", raw);
out:
	free(f.type);
	return r;
}

int mount_spec_parse_mount(const char *raw, struct mount_spec *out, struct berth_err *err)
{
	memset(out, 0, sizeof(*out));
	out->origin = MOUNT_FROM_MOUNT_FLAG;
	out->raw = xstrdup(raw);
	if (parse_mount(raw, out, err) < 0) {
		mount_spec_clear(out);
		return -1;
	}
	return 0;
}

/* ---- --tmpfs ---- */

int mount_spec_parse_tmpfs(const char *raw, struct mount_spec *out, struct berth_err *err)
{
	const char *colon = strchr(raw, ':');
	autostrv char **opts = NULL;

	memset(out, 0, sizeof(*out));
	out->origin = MOUNT_FROM_TMPFS_FLAG;
	out->type = MOUNT_SPEC_TMPFS;
	out->raw = xstrdup(raw);
	out->mode = xstrdup("");
	out->destination = colon != NULL ? xstrndup(raw, (size_t)(colon - raw)) : xstrdup(raw);
	out->tmpfs_data = xstrdup(colon != NULL ? colon + 1 : "");
	if (check_target(out->destination, err) < 0 ||
	    mount_spec_tmpfs_options(out, &opts, err) < 0) {
		mount_spec_clear(out);
		return -1;
	}
	{
		char *clean = path_clean(out->destination);

		free(out->destination);
		out->destination = clean;
	}
	return 0;
}

/* ---- tmpfs options ---- */

/* The mount flags a tmpfs may take: a word and the flag it sets or clears;
 * words of one flag replace each other, as do the propagation words. An
 * allowlist, walked for every tmpfs (--tmpfs, --mount type=tmpfs) before
 * anything is made: moby/sys/mount's table also has bind, rbind and
 * remount, with which the runtime would bind a path relative to the
 * bundle (a tmpfs's source is "tmpfs") or remount whatever is mounted at
 * the destination (the read-only /sys, say) with this mount's flags. */
static const struct {
	const char *name, *family;
} tmpfs_flags[] = {
	{ "ro", "rdonly" },
	{ "rw", "rdonly" },
	{ "suid", "nosuid" },
	{ "nosuid", "nosuid" },
	{ "dev", "nodev" },
	{ "nodev", "nodev" },
	{ "exec", "noexec" },
	{ "noexec", "noexec" },
	{ "sync", "sync" },
	{ "async", "sync" },
	{ "dirsync", "dirsync" },
	{ "mand", "mand" },
	{ "nomand", "mand" },
	{ "atime", "noatime" },
	{ "noatime", "noatime" },
	{ "diratime", "nodiratime" },
	{ "nodiratime", "nodiratime" },
	{ "relatime", "relatime" },
	{ "norelatime", "relatime" },
	{ "strictatime", "strictatime" },
	{ "nostrictatime", "strictatime" },
	{ "unbindable", "propagation" },
	{ "runbindable", "propagation" },
	{ "private", "propagation" },
	{ "rprivate", "propagation" },
	{ "shared", "propagation" },
	{ "rshared", "propagation" },
	{ "slave", "propagation" },
	{ "rslave", "propagation" },
};

/* The tmpfs data options docker lets through. */
static const char *const tmpfs_data_keys[] = { "size",      "mode",      "uid", "gid",
					       "nr_inodes", "nr_blocks", "mpol" };

/* The family of an option ("noexec" for exec, "size" for size=1m), or NULL
 * when the option is not one docker takes. */
static char *tmpfs_family(const char *opt)
{
	size_t klen = strcspn(opt, "=");

	for (size_t i = 0; i < ARRAY_SIZE(tmpfs_flags); i++)
		if (strcmp(opt, tmpfs_flags[i].name) == 0)
			return xstrdup(tmpfs_flags[i].family);
	if (opt[klen] != '=')
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(tmpfs_data_keys); i++)
		if (strlen(tmpfs_data_keys[i]) == klen &&
		    strncmp(opt, tmpfs_data_keys[i], klen) == 0)
			return xasprintf("%s=", tmpfs_data_keys[i]);
	return NULL;
}

/* Go's %q of strings.SplitN(opt, "=", 2). */
static int tmpfs_option_err(const char *opt, struct berth_err *err)
{
	const char *eq = strchr(opt, '=');

	if (eq == NULL)
		return berth_err_set(err, 0, "invalid tmpfs option [\"%s\"]", opt);
	return berth_err_set(err, 0, "invalid tmpfs option [\"%.*s\" \"%s\"]", (int)(eq - opt), opt,
			     eq + 1);
}

int mount_spec_tmpfs_options(const struct mount_spec *m, char ***out, struct berth_err *err)
{
	autostrv char **all = NULL, **families = NULL, **kept = NULL;
	size_t n;

	strv_push(&all, "noexec");
	strv_push(&all, "nosuid");
	strv_push(&all, "nodev");
	strv_push(&all, DEFAULT_PROPAGATION);
	if (m->read_only)
		strv_push(&all, "ro");
	if (m->tmpfs_data != NULL && m->tmpfs_data[0] != '\0') {
		autofree char *copy = xstrdup(m->tmpfs_data);
		char *save = NULL;

		for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
			strv_push(&all, w);
	}
	/* MergeTmpfsOptions: from the last, keep the first of each family. */
	n = strv_len(all);
	for (size_t i = n; i-- > 0;) {
		autofree char *family = NULL;

		if (strcmp(all[i], "defaults") == 0)
			continue;
		family = tmpfs_family(all[i]);
		if (family == NULL)
			return tmpfs_option_err(all[i], err);
		if (strv_contains(families, family))
			continue;
		strv_push(&families, family);
		strv_push(&kept, all[i]);
	}
	/* kept is in reverse. */
	n = strv_len(kept);
	for (size_t i = 0; i < n / 2; i++) {
		char *t = kept[i];

		kept[i] = kept[n - 1 - i];
		kept[n - 1 - i] = t;
	}
	if (kept == NULL)
		kept = xzalloc(sizeof(char *));
	*out = steal_ptr(kept);
	return 0;
}

/* ---- lists ---- */

static void list_push(struct mount_spec_list *l, struct mount_spec *m)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = *m;
	memset(m, 0, sizeof(*m));
}

static bool list_has_destination(const struct mount_spec_list *l, const char *dest)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].destination, dest) == 0)
			return true;
	return false;
}

void mount_spec_list_clear(struct mount_spec_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		mount_spec_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

typedef int (*parse_fn)(const char *raw, struct mount_spec *out, struct berth_err *err);

static int parse_all(struct mount_spec_list *l, char *const *raws, parse_fn parse,
		     struct berth_err *err)
{
	for (size_t i = 0; raws != NULL && raws[i] != NULL; i++) {
		struct mount_spec m;

		if (parse(raws[i], &m, err) < 0)
			return -1;
		if (list_has_destination(l, m.destination)) {
			berth_err_set(err, 0, "Duplicate mount point: %s", m.destination);
			mount_spec_clear(&m);
			return -1;
		}
		list_push(l, &m);
	}
	return 0;
}

int mount_specs_parse(char *const *volumes, char *const *mounts, char *const *tmpfs,
		      struct mount_spec_list *out, struct berth_err *err)
{
	struct mount_spec_list l = { 0 };

	if (parse_all(&l, volumes, mount_spec_parse_volume, err) < 0 ||
	    parse_all(&l, mounts, mount_spec_parse_mount, err) < 0 ||
	    parse_all(&l, tmpfs, mount_spec_parse_tmpfs, err) < 0) {
		mount_spec_list_clear(&l);
		return -1;
	}
	*out = l;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int mount_specs_add_image_volumes(struct mount_spec_list *l, json_object *volumes,
				  struct berth_err *err)
{
	autostrv char **dests = NULL;

	if (volumes == NULL || json_object_is_type(volumes, json_type_null))
		return 0;
	if (!json_object_is_type(volumes, json_type_object))
		return berth_err_set(err, 0, "image config: Volumes: expected an object");
	json_object_object_foreach(volumes, key, val)
	{
		(void)val;
		strv_push(&dests, key);
	}
	if (dests == NULL)
		return 0;
	/* A JSON object has no order; sorted, containers of one image agree. */
	qsort(dests, strv_len(dests), sizeof(*dests), cmp_str);
	for (size_t i = 0; dests[i] != NULL; i++) {
		struct mount_spec m = {
			.type = MOUNT_SPEC_VOLUME,
			.origin = MOUNT_FROM_IMAGE,
			.anonymous = true,
		};

		if (dests[i][0] != '/')
			return berth_err_set(
			    err, 0,
			    "image config: Volumes: invalid mount path: '%s' mount "
			    "path must be absolute",
			    dests[i]);
		m.destination = path_clean(dests[i]);
		if (strcmp(m.destination, "/") == 0 || list_has_destination(l, m.destination)) {
			free(m.destination);
			continue;
		}
		m.raw = xstrdup(dests[i]);
		m.mode = xstrdup("");
		list_push(l, &m);
	}
	return 0;
}
