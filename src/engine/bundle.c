/* A container's OCI config and its bundle: the config is built at create
 * and kept in the container's row; each start writes the bundle from it
 * (config.json and the files bind mounted at /etc) to RUN_ROOT/ID. */
#include <errno.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "engine/engine-internal.h"
#include "engine/mount-spec.h"
#include "engine/ocispec-init.h"
#include "engine/ocispec.h"
#include "image/store-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

static int write_text(const char *dir, const char *name, const char *text, mode_t mode,
		      struct berth_err *err)
{
	autofree char *path = xasprintf("%s/%s", dir, name);

	return fs_write_file_replace(path, text, strlen(text), mode, err);
}

int engine_build_spec(struct engine *e, const struct engine_create_opts *o, const char *id,
		      const char *rootfs, json_object *image_config,
		      const struct mount_spec_list *mounts, json_object **args, char **out,
		      struct berth_err *err)
{
	autofree char *dir = engine_run_dir(e, id);
	autofree char *hostname = xstrndup(id, 12);
	autofree char *hostname_file = xasprintf("%s/hostname", dir);
	autofree char *hosts_file = xasprintf("%s/hosts", dir);
	autofree char *resolv_file = xasprintf("%s/resolv.conf", dir);
	autofree char *shm_dir = xasprintf("%s/shm", dir);
	autofree char *cgpath = ocispec_cgroups_path(o->res.cgroup_parent, id);
	autofree char *init = NULL;
	autojson json_object *spec = NULL;
	struct ocispec_opts so = {
		.id = id,
		.rootfs = rootfs,
		.hostname = o->hostname ? o->hostname : hostname,
		.cmd = o->cmd,
		.entrypoint = o->entrypoint,
		.env = o->env,
		.workdir = o->workdir,
		.user = o->user,
		.tty = o->tty,
		.read_only = o->read_only,
		.privileged = o->privileged,
		.cap_add = o->cap_add,
		.cap_drop = o->cap_drop,
		.group_add = o->group_add,
		.no_new_privileges = o->no_new_privileges,
		.network = o->network ? o->network : "none",
		.pid_mode = o->pid_mode,
		.ipc_mode = o->ipc_mode,
		.uts_mode = o->uts_mode,
		.cgroupns_mode = o->cgroupns_mode,
		.sysctls = o->sysctls,
		.cgroups_path = cgpath,
		.labels = o->labels,
		.hostname_file = hostname_file,
		.hosts_file = hosts_file,
		.resolv_file = resolv_file,
		.shm_dir = shm_dir,
		.defer_user = true,
		.mounts = mounts,
		.res = &o->res,
		.shm_size = o->res.shm_size > 0 ? (uint64_t)o->res.shm_size : 0,
		.seccomp_profile =
		    o->seccomp != NULL && strcmp(o->seccomp, "unconfined") != 0 ? o->seccomp : NULL,
		.seccomp_default = o->seccomp == NULL,
	};
	json_object *process = NULL;

	if (o->init && ocispec_init_find(&init, err) < 0)
		return -1;
	if (ocispec_build(&so, image_config, &spec, err) < 0)
		return -1;
	if (json_object_object_get_ex(spec, "process", &process))
		json_object_object_get_ex(process, "args", args);
	if (*args != NULL)
		json_object_get(*args);
	/* After taking args: Path and Args stay the user's command. */
	if (init != NULL && ocispec_init_apply(spec, init, err) < 0)
		return -1;
	*out = xstrdup(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

int engine_container_spec(struct engine *e, const char *id, char **out, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if (store_prepare(e->store, "SELECT spec FROM containers WHERE id = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_sql_err(e->store, "read container config", err);
	return 0;
}

/* The spec's own /etc files (sources RUN_ROOT/ID/{hostname,hosts,
 * resolv.conf}) moved to the run directory of now, dir: the run root may
 * have moved since create. A user's bind mount elsewhere is left alone. */
static int rebase_etc_files(const char *text, const char *id, const char *dir, char **out,
			    struct berth_err *err)
{
	static const char *const names[] = { "hostname", "hosts", "resolv.conf", "shm" };
	autojson json_object *spec = NULL;
	json_object *mounts = NULL;
	size_t idlen = strlen(id);

	if (json_parse_text(text, strlen(text), "config", &spec, err) < 0)
		return -1;
	if (json_object_object_get_ex(spec, "mounts", &mounts) &&
	    json_object_is_type(mounts, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(mounts); i++) {
			json_object *m = json_object_array_get_idx(mounts, i), *src = NULL;
			const char *path, *base;

			if (!json_object_object_get_ex(m, "source", &src) ||
			    (path = json_object_get_string(src)) == NULL ||
			    (base = strrchr(path, '/')) == NULL || (size_t)(base - path) < idlen + 1 ||
			    base[-(ptrdiff_t)idlen - 1] != '/' ||
			    strncmp(base - idlen, id, idlen) != 0)
				continue;
			for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
				if (strcmp(base + 1, names[k]) == 0) {
					char *moved = xasprintf("%s/%s", dir, names[k]);

					json_object_object_add(m, "source",
							       json_object_new_string(moved));
					free(moved);
					break;
				}
			}
		}
	}
	*out = xstrdup(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

void engine_run_dir_remove(const char *dir)
{
	autofree char *shm = xasprintf("%s/shm", dir);
	struct berth_err ignored;

	/* --ipc shareable's tmpfs first: rm -rf stays on its filesystem */
	umount2(shm, MNT_DETACH);
	fs_rm_rf(dir, &ignored);
}

/* --ipc shareable: a fresh tmpfs at RUN_DIR/shm for this run (docker's
 * ShmPath), bound at /dev/shm by the config and by joiners'. */
static int mount_shm(const struct engine_container *c, const char *dir, struct berth_err *err)
{
	autofree char *shm = xasprintf("%s/shm", dir);
	autofree char *opts = NULL;
	int64_t size = 0;
	struct berth_err ignored;

	json_get_int64(c->config, "ShmSize", NULL, &size, &ignored);
	opts = xasprintf("mode=1777,size=%lld", (long long)(size > 0 ? size : 64LL << 20));
	umount2(shm, MNT_DETACH);
	if (mkdir(shm, 0700) < 0 && errno != EEXIST)
		return berth_err_set(err, errno, "mkdir %s", shm);
	if (mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return berth_err_set(err, errno, "mount the shareable /dev/shm at %s", shm);
	return 0;
}

/* The running container X of a --pid or --ipc container:X mode, in
 * docker 20.10's words when it is not. */
static int donor(struct engine *e, const char *mode, struct engine_container *out,
		 struct berth_err *err)
{
	if (engine_lookup(e, mode + 10, out, err) < 0)
		return -1;
	if (out->state != ENGINE_RUNNING || out->pid <= 0) {
		berth_err_set(err, 0, "container %s is not running", out->id);
		engine_container_clear(out);
		return -1;
	}
	return 0;
}

static void ns_path(json_object *spec, const char *type, pid_t pid)
{
	json_object *linux_obj = NULL, *nss = NULL;

	if (!json_object_object_get_ex(spec, "linux", &linux_obj) ||
	    !json_object_object_get_ex(linux_obj, "namespaces", &nss))
		return;
	for (size_t i = 0; i < json_object_array_length(nss); i++) {
		json_object *ns = json_object_array_get_idx(nss, i), *t = NULL;
		char path[64];

		if (!json_object_object_get_ex(ns, "type", &t) ||
		    strcmp(json_object_get_string(t), type) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
		json_object_object_add(ns, "path", json_object_new_string(path));
	}
}

/* What a start settles in the stored config: a user the image lacked at
 * create (resolved in the container's files of now, docker's start
 * refusing it still); --pid container:X and --ipc container:X, the
 * namespaces of X's run of now and X's /dev/shm (docker's: X must be
 * shareable, or the host's). *out NULL: nothing changed. */
static int settle_spec(struct engine *e, const struct engine_container *c, const char *text,
		       char **out, struct berth_err *err)
{
	const char *pid_mode = NULL, *ipc_mode = NULL;
	autojson json_object *spec = NULL;
	struct berth_err ignored;
	bool user = strstr(text, OCISPEC_USER_PENDING) != NULL;

	*out = NULL;
	json_get_string(c->config, "PidMode", NULL, &pid_mode, &ignored);
	json_get_string(c->config, "IpcMode", NULL, &ipc_mode, &ignored);
	if ((pid_mode == NULL || strncmp(pid_mode, "container:", 10) != 0) &&
	    (ipc_mode == NULL || strncmp(ipc_mode, "container:", 10) != 0) && !user)
		return 0;
	if (json_parse_text(text, strlen(text), "config", &spec, err) < 0)
		return -1;
	if (user) {
		struct store_snapshot sn = { 0 };
		autostrv char **group_add = NULL;
		int r;

		json_get_strv(c->config, "GroupAdd", NULL, &group_add, &ignored);
		if (store_snapshot_get(e->store, c->id, &sn, err) < 0)
			return -1;
		r = ocispec_user_apply(spec, sn.mountpoint, group_add, err);
		store_snapshot_clear(&sn);
		if (r < 0)
			return -1;
	}
	if (pid_mode != NULL && strncmp(pid_mode, "container:", 10) == 0) {
		struct engine_container d = { 0 };

		if (donor(e, pid_mode, &d, err) < 0)
			return -1;
		ns_path(spec, "pid", d.pid);
		engine_container_clear(&d);
	}
	if (ipc_mode != NULL && strncmp(ipc_mode, "container:", 10) == 0) {
		struct engine_container d = { 0 };
		const char *mode = NULL;
		json_object *mounts = NULL;
		autofree char *shm = NULL;

		if (donor(e, ipc_mode, &d, err) < 0)
			return -1;
		json_get_string(d.config, "IpcMode", NULL, &mode, &ignored);
		if (mode == NULL || (strcmp(mode, "shareable") != 0 && strcmp(mode, "host") != 0)) {
			engine_container_clear(&d);
			return berth_err_set(err, 0, "non-shareable IPC (hint: use IpcMode:shareable "
						     "for the donor container)");
		}
		if (strcmp(mode, "host") == 0) {
			shm = xstrdup("/dev/shm");
			ns_path(spec, "ipc", 1);
		} else {
			autofree char *dir = engine_run_dir(e, d.id);

			shm = xasprintf("%s/shm", dir);
			ns_path(spec, "ipc", d.pid);
		}
		engine_container_clear(&d);
		if (json_object_object_get_ex(spec, "mounts", &mounts))
			for (size_t i = 0; i < json_object_array_length(mounts); i++) {
				json_object *m = json_object_array_get_idx(mounts, i), *dst = NULL;

				if (json_object_object_get_ex(m, "destination", &dst) &&
				    strcmp(json_object_get_string(dst), "/dev/shm") == 0)
					json_object_object_add(m, "source",
							       json_object_new_string(shm));
			}
	}
	*out = xstrdup(json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

int engine_bundle_write(struct engine *e, const struct engine_container *c, char **bundle,
			struct berth_err *err)
{
	autofree char *spec = NULL;
	autofree char *dir = engine_run_dir(e, c->id);
	autofree char *want = NULL;
	autofree char *rebased = NULL;
	autofree char *joined = NULL;
	autofree char *resolv = NULL;
	autofree char *hosts = NULL;
	autofree char *hostname_line = NULL;
	const char *network = NULL, *hostname = NULL, *text;
	char short_id[13];
	struct berth_err ignored;

	if (engine_container_spec(e, c->id, &spec, err) < 0)
		return -1;
	if (spec == NULL) {
		/* made by an older berth: its bundle is on disk */
		*bundle = engine_container_dir(e, c->id);
		return 0;
	}
	snprintf(short_id, sizeof(short_id), "%.12s", c->id);
	text = spec;
	want = xasprintf("\"source\":\"%s/hosts\"", dir);
	if (strstr(spec, want) == NULL) {
		if (rebase_etc_files(spec, c->id, dir, &rebased, err) < 0)
			return -1;
		text = rebased;
	}
	/* (before anything is made: a start refused leaves nothing) */
	if (settle_spec(e, c, text, &joined, err) < 0)
		return -1;
	if (joined != NULL)
		text = joined;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return berth_err_set(err, errno, "mkdir %s", dir);
	{
		const char *ipc = NULL;

		if (json_get_string(c->config, "IpcMode", NULL, &ipc, &ignored) == 1 &&
		    strcmp(ipc, "shareable") == 0 && mount_shm(c, dir, err) < 0)
			return -1;
	}
	/* The files docker generates at each start: the hostname (-h, else
	 * the short id, as the config says), and with the host's network the
	 * host's resolver (with none, no nameserver at all: there is nothing
	 * to reach). */
	json_get_string(c->config, "Hostname", NULL, &hostname, &ignored);
	if (hostname == NULL || hostname[0] == '\0')
		hostname = short_id;
	json_get_string(c->config, "NetworkMode", NULL, &network, &ignored);
	if (network == NULL || strcmp(network, "host") != 0 ||
	    fs_read_file("/etc/resolv.conf", 1 << 16, &resolv, NULL, &ignored) < 0)
		resolv = xstrdup("");
	hosts = xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			  "127.0.1.1\t%s\n",
			  hostname);
	hostname_line = xasprintf("%s\n", hostname);
	/* The three /etc files are bind-mounted, and read by the container's
	 * users: 0644. The config holds the environment: 0600. */
	if (write_text(dir, "hostname", hostname_line, 0644, err) < 0 ||
	    write_text(dir, "hosts", hosts, 0644, err) < 0 ||
	    write_text(dir, "resolv.conf", resolv, 0644, err) < 0 ||
	    write_text(dir, "config.json", text, 0600, err) < 0 ||
	    engine_journal_prepare(e, c, dir, err) < 0)
		return -1;
	*bundle = steal_ptr(dir);
	return 0;
}
