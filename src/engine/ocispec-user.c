/* ocispec_resolve_user: "user[:group]" against the image's /etc/passwd and
 * /etc/group, as docker resolves it (moby/sys/user GetExecUser), with the
 * files read through the root-scoped opener so that no symlink in the
 * image can make us read, and report ids or names from, a host file. */
#include "engine/ocispec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* moby/sys/user accepts ids in [0, 2^31 - 1]. */
#define OCISPEC_ID_MAX 2147483647u
/* /etc/passwd and /etc/group of an image are untrusted; real ones are a few
 * KiB, directory-sized ones a few MiB. */
#define OCISPEC_ETC_MAX (16u << 20)
/* moby/sys/user's ErrNoPasswdEntries and ErrNoGroupEntries, which docker
 * prints and scripts match. */
#define NO_PASSWD_ENTRIES "no matching entries in passwd file"
#define NO_GROUP_ENTRIES  "no matching entries in group file"

/* Decimal digits only, as an id; false for anything else. */
static bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v;

	if (num_parse_u64(s, 10, UINT32_MAX, &v) < 0)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Reads a file of the container's root, resolved inside it: a symlink,
 * however crafted, cannot make us read a host file (/etc/shadow) and leak
 * it through the ids or names we report. O_NONBLOCK so a fifo planted at
 * the name cannot hang us before the S_ISREG check. A missing file is not
 * an error (*out NULL): images without /etc/passwd are common. */
static int etc_read(int rootfd, const char *path, char **out, struct berth_err *err)
{
	struct berth_err open_err = { 0 };
	autoclose int fd = -1;
	struct stat st;

	*out = NULL;
	fd = path_openat_in_root(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &open_err);
	if (fd < 0) {
		if (open_err.code == ENOENT || open_err.code == ENOTDIR)
			return 0;
		return berth_err_set(err, open_err.code, "open %s", path);
	}
	if (fstat(fd, &st) < 0)
		return berth_err_set(err, errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return berth_err_set(err, 0, "%s: not a regular file", path);
	if (fs_read_fd(fd, OCISPEC_ETC_MAX, out, NULL, err) < 0)
		return berth_err_wrap(err, "%s", path);
	return 0;
}

/* Splits one line at ':' in place into at most max fields (the last keeps
 * any further colons). Returns the number of fields. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = line;
	for (char *p = line; *p != '\0' && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* Calls fn on each line of text (modified in place), trimmed of trailing
 * white space; blank lines and comments are skipped. fn returns true to
 * stop. */
static void etc_each_line(char *text, bool (*fn)(char *line, void *ctx), void *ctx)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		while (len > 0 && strchr(" \t\r", line[len - 1]) != NULL)
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (fn(line, ctx))
			return;
	}
}

struct passwd_query {
	const char *name; /* match by name; NULL: by uid */
	uint32_t uid;
	bool found;
	char *match_name, *home;
	uint32_t match_uid, gid;
};

/* name:password:uid:gid:gecos:home:shell; the first match wins. Lines whose
 * ids are not numbers (NIS "+" entries, damage) match nothing. */
static bool passwd_line(char *line, void *ctx)
{
	struct passwd_query *q = ctx;
	char *f[7] = { 0 };
	uint32_t uid, gid;
	size_t n = split_fields(line, f, ARRAY_SIZE(f));

	if (n < 4 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
		return false;
	if (q->name != NULL ? strcmp(f[0], q->name) != 0 : uid != q->uid)
		return false;
	q->found = true;
	q->match_name = xstrdup(f[0]);
	q->match_uid = uid;
	q->gid = gid;
	q->home = xstrdup(n > 5 && f[5][0] != '\0' ? f[5] : "/");
	return true;
}

struct group_query {
	const char *name; /* the group asked for by name, or NULL */
	bool by_gid;      /* ... or by number */
	uint32_t gid;     /* in: the number asked for; out: the match */
	bool found;
	const char *member; /* or: every group listing this user */
	uint32_t *gids;
	size_t n_gids;
};

/* name:password:gid:member,member,... */
static bool group_line(char *line, void *ctx)
{
	struct group_query *q = ctx;
	char *f[4] = { 0 };
	char *save = NULL;
	uint32_t gid;
	size_t n = split_fields(line, f, ARRAY_SIZE(f));

	if (n < 3 || !parse_id(f[2], &gid))
		return false;
	if (q->member == NULL) {
		if (q->by_gid ? gid != q->gid : strcmp(f[0], q->name) != 0)
			return false;
		q->found = true;
		q->gid = gid;
		return true;
	}
	for (char *m = n > 3 ? strtok_r(f[3], ",", &save) : NULL; m != NULL;
	     m = strtok_r(NULL, ",", &save))
		if (strcmp(m, q->member) == 0) {
			q->gids = xreallocarray(q->gids, q->n_gids + 1, sizeof(*q->gids));
			q->gids[q->n_gids++] = gid;
			break;
		}
	return false;
}

static int id_in_range(const char *what, const char *arg, uint32_t id, struct berth_err *err)
{
	if (id > OCISPEC_ID_MAX)
		return berth_err_set(err, 0, "%s %s: ids must be in range 0-%u", what, arg,
				     OCISPEC_ID_MAX);
	return 0;
}

/* moby/sys/user's GetExecUser: the user part is looked up in passwd (a
 * number as a uid, anything else as a name; empty means uid 0); a number
 * not found is still a valid uid, with gid 0 and home "/". An explicit
 * group is looked up the same way and replaces the passwd gid; without one,
 * the user's supplementary groups are every group that lists the matched
 * user's name (docker gives none when the group is explicit). */
static int resolve_user_at(int rootfd, const char *user_arg, const char *group_arg,
			   struct ocispec_user *out, struct berth_err *err)
{
	struct passwd_query pq = { 0 };
	struct group_query gq = { 0 };
	autofree char *passwd = NULL, *group = NULL, *match_name = NULL, *home = NULL;
	uint32_t uid_num = 0, gid_num = 0;
	uint64_t big;
	bool uid_is_num = parse_id(user_arg, &uid_num);
	bool gid_is_num = parse_id(group_arg, &gid_num);

	/* Digits too many for an id are no name either (moby/sys/user looks
	 * 2^64 up as a name, and finds no such user). */
	if (num_parse_u64(user_arg, 10, UINT32_MAX, &big) == -ERANGE)
		return id_in_range("user", user_arg, UINT32_MAX, err);
	if (num_parse_u64(group_arg, 10, UINT32_MAX, &big) == -ERANGE)
		return id_in_range("group", group_arg, UINT32_MAX, err);
	if (etc_read(rootfd, "/etc/passwd", &passwd, err) < 0)
		return -1;
	pq.name = user_arg[0] != '\0' && !uid_is_num ? user_arg : NULL;
	pq.uid = uid_num;
	if (passwd != NULL)
		etc_each_line(passwd, passwd_line, &pq);
	match_name = pq.match_name;
	home = pq.home;
	if (pq.found) {
		out->uid = pq.match_uid;
		out->gid = pq.gid;
	} else if (pq.name != NULL) {
		berth_err_set(err, 0, "unable to find user %s: " NO_PASSWD_ENTRIES, user_arg);
		err->code = ENOENT;
		return -1;
	} else {
		out->uid = uid_num;
		out->gid = 0;
	}
	if (id_in_range("user", user_arg, out->uid, err) < 0)
		return -1;

	if (group_arg[0] != '\0' || match_name != NULL) {
		if (etc_read(rootfd, "/etc/group", &group, err) < 0)
			return -1;
		if (group_arg[0] != '\0') {
			gq.by_gid = gid_is_num;
			gq.gid = gid_num;
			gq.name = group_arg;
		} else {
			gq.member = match_name;
		}
		if (group != NULL)
			etc_each_line(group, group_line, &gq);
	}
	if (group_arg[0] != '\0') {
		if (!gq.found && !gid_is_num) {
			berth_err_set(err, 0, "unable to find group %s: " NO_GROUP_ENTRIES,
				      group_arg);
			err->code = ENOENT;
			return -1;
		}
		out->gid = gq.found ? gq.gid : gid_num;
		if (id_in_range("group", group_arg, out->gid, err) < 0)
			return -1;
	}
	out->additional_gids = gq.gids;
	out->n_additional = gq.n_gids;
	out->home = home != NULL ? steal_ptr(home) : xstrdup("/");
	return 0;
}

int ocispec_resolve_user(const char *rootfs, const char *spec, struct ocispec_user *out,
			 struct berth_err *err)
{
	autofree char *user_arg = xstrdup(spec != NULL ? spec : "");
	autoclose int rootfd = -1;
	char *colon = strchr(user_arg, ':');
	const char *group_arg = "";
	struct ocispec_user u = { 0 };

	if (colon != NULL) {
		*colon = '\0';
		group_arg = colon + 1;
	}
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_err_set(err, errno, "rootfs %s", rootfs);
	if (resolve_user_at(rootfd, user_arg, group_arg, &u, err) < 0) {
		ocispec_user_clear(&u);
		return -1;
	}
	*out = u;
	return 0;
}

/* One --group-add value against the image's group file: the first group
 * named so, or with that number; else the number itself (moby/sys/user's
 * GetAdditionalGroups). */
struct group_add_query {
	const char *arg;
	bool found;
	uint32_t gid;
};

static bool group_add_line(char *line, void *ctx)
{
	struct group_add_query *q = ctx;
	char *f[4] = { 0 };
	uint32_t gid, num;
	size_t n = split_fields(line, f, ARRAY_SIZE(f));

	if (n < 3 || !parse_id(f[2], &gid))
		return false;
	if (strcmp(f[0], q->arg) != 0 && !(parse_id(q->arg, &num) && num == gid))
		return false;
	q->found = true;
	q->gid = gid;
	return true;
}

static bool has_gid(const uint32_t *gids, size_t n, uint32_t gid)
{
	for (size_t i = 0; i < n; i++)
		if (gids[i] == gid)
			return true;
	return false;
}

int ocispec_user_docker_groups(const char *rootfs, char *const *group_add, struct ocispec_user *u,
			       struct berth_err *err)
{
	size_t n_add = strv_len(group_add), n = 0;
	uint32_t *gids = xcalloc(1 + u->n_additional + n_add, sizeof(uint32_t));
	autofree char *group = NULL;
	autoclose int rootfd = -1;
	size_t first_added;

	gids[n++] = u->gid;
	for (size_t i = 0; i < u->n_additional; i++)
		gids[n++] = u->additional_gids[i];
	if (n_add > 0) {
		rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0 || etc_read(rootfd, "/etc/group", &group, err) < 0) {
			free(gids);
			return rootfd < 0 ? berth_err_set(err, errno, "rootfs %s", rootfs) : -1;
		}
	}
	first_added = n;
	for (size_t i = 0; i < n_add; i++) {
		struct group_add_query q = { .arg = group_add[i] };
		uint64_t big;

		if (group != NULL) {
			autofree char *copy = xstrdup(group);

			etc_each_line(copy, group_add_line, &q);
		}
		if (!q.found) {
			if (num_parse_u64(group_add[i], 10, UINT64_MAX, &big) < 0) {
				free(gids);
				berth_err_set(err, 0, "Unable to find group %s: " NO_GROUP_ENTRIES,
					      group_add[i]);
				err->code = ENOENT;
				return -1;
			}
			if (big > OCISPEC_ID_MAX) {
				free(gids);
				return id_in_range("--group-add", group_add[i], UINT32_MAX, err);
			}
			q.gid = (uint32_t)big;
		}
		/* Each once among those added, as moby's set of them. */
		if (!has_gid(gids + first_added, n - first_added, q.gid))
			gids[n++] = q.gid;
	}
	free(u->additional_gids);
	u->additional_gids = gids;
	u->n_additional = n;
	return 0;
}

void ocispec_user_clear(struct ocispec_user *u)
{
	if (u == NULL)
		return;
	free(u->additional_gids);
	free(u->home);
	memset(u, 0, sizeof(*u));
}
