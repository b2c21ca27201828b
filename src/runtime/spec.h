/* The OCI runtime configuration (config.json, runtime-spec 1.2) as Berth
 * uses it: parsed once, validated completely before anything is created,
 * so a bad field is reported by its JSON path and nothing is left behind.
 * Sections owned by a subsystem (linux.seccomp, linux.resources) are parsed
 * by that subsystem's own parser, called from spec_parse(). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/netdev.h"
#include "runtime/sched.h"

struct berth_err;
struct seccomp_config;
struct cgroup_resources;

/* The namespace kinds, in the order they are joined (user first, so the
 * others are entered with the rights it grants). */
enum spec_ns_kind {
	SPEC_NS_USER,
	SPEC_NS_PID,
	SPEC_NS_NETWORK,
	SPEC_NS_MOUNT,
	SPEC_NS_IPC,
	SPEC_NS_UTS,
	SPEC_NS_CGROUP,
	SPEC_NS_TIME,
	SPEC_NS_COUNT
};

struct spec_namespace {
	bool present;		/* listed in linux.namespaces */
	char *path;		/* join this one instead of creating; NULL creates */
};

struct spec_idmap {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct spec_mount {
	char *destination;	/* absolute, inside the container */
	char *source;		/* may be NULL (proc, tmpfs, ...) */
	char *type;		/* may be NULL: then "bind" if options say so */
	char **options;		/* raw, as written */
	/* Filled by mount_options_parse() (mounts.h). */
	unsigned long flags;	/* MS_* to set */
	unsigned long clear;	/* MS_* the options explicitly clear (rw, suid...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [|MS_REC] */
	bool bind;		/* bind or rbind */
	bool recursive;		/* rbind */
	char *data;		/* options the kernel takes as a string ("size=65536k,mode=755") */
	/* Recursive attributes ("rro", "rnosuid", ...), MOUNT_ATTR_* bits for
	 * mount_setattr(2) with AT_RECURSIVE; with has_rec_atime, rec_atime
	 * is the atime mode to set (MOUNT_ATTR_NOATIME, ...). */
	uint64_t rec_set, rec_clr;
	bool has_rec_atime;
	uint64_t rec_atime;
	/* "idmap"/"ridmap": an idmapped bind mount. Its mappings (on-disk id
	 * = containerID shows as hostID) are its own, or when it lists none,
	 * the container's user namespace's. */
	bool idmap, idmap_recursive;
	struct spec_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
};

struct spec_rlimit {
	int resource;		/* RLIMIT_* */
	uint64_t soft;
	uint64_t hard;
};

struct spec_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
};

/* Capability sets as bit masks (1ULL << CAP_*). */
struct spec_caps {
	bool present;		/* process.capabilities given at all */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct spec_process {
	bool present;
	bool terminal;
	unsigned short console_height, console_width;
	struct spec_user user;
	char **args;
	char **env;
	char *cwd;
	struct spec_caps caps;
	struct spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
	struct spec_sched sched;	/* scheduler, ioPriority, execCPUAffinity */
};

struct spec_device {
	char *path;		/* absolute, inside the container */
	char type;		/* 'c', 'b', 'u' (== 'c') or 'p' */
	int64_t major, minor;
	bool has_mode;
	mode_t file_mode;	/* permission bits only */
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct spec_hook {
	char *path;
	char **args;		/* may be NULL: then argv = { path } */
	char **env;
	int timeout;		/* seconds; 0 = none */
};

enum spec_hook_kind {
	SPEC_HOOK_PRESTART,
	SPEC_HOOK_CREATE_RUNTIME,
	SPEC_HOOK_CREATE_CONTAINER,
	SPEC_HOOK_START_CONTAINER,
	SPEC_HOOK_POSTSTART,
	SPEC_HOOK_POSTSTOP,
	SPEC_HOOK_COUNT
};

/* "prestart", "createRuntime", ... as config.json spells them. */
const char *spec_hook_kind_name(enum spec_hook_kind kind);

struct spec_hooks {
	struct spec_hook *list;
	size_t n;
};

struct spec_sysctl {
	char *key;
	char *value;
};

struct spec_time_offset {
	int clock;		/* CLOCK_MONOTONIC or CLOCK_BOOTTIME */
	int64_t secs;
	uint32_t nanosecs;
};

struct spec {
	json_object *json;	/* the whole document, kept for annotations and hooks */
	char *bundle;		/* absolute path of the bundle directory */
	char *oci_version;

	char *root_path;	/* absolute (resolved against the bundle) */
	bool root_readonly;

	struct spec_process process;
	char *hostname;
	char *domainname;

	struct spec_mount *mounts;
	size_t n_mounts;

	struct spec_hooks hooks[SPEC_HOOK_COUNT];

	/* annotations stay in json ("annotations" object) */

	/* linux */
	struct spec_namespace ns[SPEC_NS_COUNT];
	struct spec_idmap *uid_mappings;
	size_t n_uid_mappings;
	struct spec_idmap *gid_mappings;
	size_t n_gid_mappings;
	struct spec_device *devices;
	size_t n_devices;
	char *cgroups_path;	/* may be NULL */
	struct cgroup_resources *resources; /* never NULL after spec_parse: has_devices
					     * is always set so the default device
					     * policy applies */
	struct spec_sysctl *sysctl;
	size_t n_sysctl;
	struct seccomp_config *seccomp; /* may be NULL */
	/* linux.seccomp of a stored config (spec_parse_stored), not parsed
	 * until spec_seccomp_ready: only exec needs it again, and parsing a
	 * large profile is most of a stored config's parse. */
	json_object *seccomp_json;
	unsigned long rootfs_propagation; /* MS_* (0 = default: rslave... see rootfs.c) */
	char **masked_paths;
	char **readonly_paths;
	char *mount_label;
	bool has_personality;
	unsigned long personality; /* PER_LINUX or PER_LINUX32 */
	struct spec_time_offset time_offsets[2];
	size_t n_time_offsets;
	bool intel_rdt;		/* present: reported unsupported at validation */
	struct spec_mempolicy memory_policy;
	struct spec_netdev *net_devices;	/* linux.netDevices */
	size_t n_net_devices;
};

/* config.json (and a process.json) is untrusted input; real ones are a few
 * KiB, seccomp-heavy ones a few hundred. */
#define SPEC_CONFIG_MAX (4u << 20)
/* The largest uid or gid: (uid_t)-1 means "leave unchanged" to
 * setresuid(), so it is not an id (nor, for exec --user, a way to keep
 * root). */
#define SPEC_ID_MAX (UINT32_MAX - 1)

/* Reads BUNDLE/config.json and parses it. bundle may be relative. */
/* Parses linux.seccomp when spec_parse_stored deferred it. */
int spec_seccomp_ready(struct spec *s, struct berth_err *err);
int spec_load(const char *bundle, struct spec **out, struct berth_err *err);

/* Parses a document already in memory (unit tests, `update -r`). bundle is
 * used to resolve a relative root.path. The spec takes its own reference on
 * doc (the caller keeps and releases its own). Errors name the JSON path. */
int spec_parse(json_object *doc, const char *bundle, struct spec **out, struct berth_err *err);
/* The same for a config saved at create and read again (start, kill,
 * delete, poststop hooks): every check is made except those against the
 * host filesystem (rootfs exists, hook binaries executable, namespace paths
 * exist), which may have changed since and must not block delete. */
int spec_parse_stored(json_object *doc, const char *bundle, struct spec **out,
		      struct berth_err *err);

/* Parses a "process" object alone (exec --process FILE). */
int spec_process_parse(json_object *obj, const char *path, struct spec_process *out,
		       struct berth_err *err);
void spec_process_clear(struct spec_process *p);

void spec_free(struct spec *s);

/* Where a bind mount's source is: as written when absolute, else relative
 * to the bundle (runtime-spec). Caller frees. */
char *spec_mount_source(const struct spec *s, const struct spec_mount *m);

/* Looks up an rlimit name ("RLIMIT_NOFILE") in the table; -1 if unknown. */
int spec_rlimit_from_name(const char *name);
/* The reverse: "RLIMIT_NOFILE" for RLIMIT_NOFILE. */
const char *spec_rlimit_name(int resource);

/* The default configuration `spec` writes (runc's defaults: sh, terminal,
 * standard mounts, masked paths); rootless adds a user namespace mapped to
 * the caller and drops what needs real root. */
json_object *spec_default(bool rootless);

/* Annotations as a json object (never NULL: an empty object when absent).
 * Borrowed from s->json. */
json_object *spec_annotations(const struct spec *s);
