/* The OCI config.json of a container the engine runs: docker's defaults
 * (capabilities, masked and read-only paths, /dev, /dev/shm, mqueue,
 * devpts, sysfs read-only, cgroup namespace) merged with the image config
 * and what the user asked for on the command line. Nothing is created; what
 * is read: the container's /etc/passwd and /etc/group (inside rootfs), the
 * seccomp profile, the caller's environment (for a bare -e NAME) and the
 * engine's own capability bounding set (what --privileged can give). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_err;
struct mount_spec_list;
struct ocispec_resources;

/* What `berth run`/`create` say about one container, already parsed. */
struct ocispec_opts {
	const char *id;             /* the container id (64 hex) */
	const char *rootfs;         /* absolute path of the container's root */
	const char *hostname;       /* default: the first 12 hex of the id */
	char **cmd;                 /* argv after the image; NULL: the image's Cmd */
	const char *entrypoint;     /* --entrypoint: NULL keeps the image's; "" clears it */
	char **env;                 /* -e/--env, "K=V" or "K" (taken from the caller's env) */
	const char *workdir;        /* -w; NULL: the image's WorkingDir, else "/" */
	const char *user;           /* -u user[:group] as given, resolved here against the
				     * image's files (ocispec_resolve_user); NULL or "": the
				     * image's User */
	bool tty;                   /* -t: process.terminal */
	bool read_only;             /* --read-only: root.readonly */
	bool privileged;            /* --privileged: all caps, no masks, no seccomp */
	char **cap_add, **cap_drop; /* "NET_ADMIN" or "CAP_NET_ADMIN", "ALL" */
	char **group_add;           /* --group-add: names or numbers (ocispec_user_docker_groups) */
	bool no_new_privileges;
	const char *network;      /* "host": the host's network namespace; anything else
				   * ("none", NULL): a new one, loopback only until the
				   * engine adds more */
	/* "host": the host's pid, ipc (and its /dev/shm), uts or cgroup
	 * namespace; "container:X" (pid and ipc): X's, its path and X's
	 * /dev/shm filled in at each start (engine_bundle_write); anything
	 * else, a new one */
	const char *pid_mode, *ipc_mode, *uts_mode, *cgroupns_mode;
	/* --ipc shareable: /dev/shm is a bind of this directory, where the
	 * engine mounts the container's tmpfs at each start, so containers
	 * that join its ipc namespace share it (docker's ShmPath) */
	const char *shm_dir;
	/* A user or group the image lacks is not an error: the config gets
	 * uid 0 and the annotation OCISPEC_USER_PENDING (the user as given),
	 * and ocispec_user_apply resolves it at each start (docker's create
	 * takes it, its start refuses it). */
	bool defer_user;
	char **sysctls;           /* --sysctl K=V, checked by ocispec_sysctl_check */
	const char *cgroups_path; /* linux.cgroupsPath */
	char **labels;            /* "k=v": annotations */
	/* Files the engine generated in the container's run directory, bind
	 * mounted at /etc/hostname, /etc/hosts, /etc/resolv.conf; NULL: none. */
	const char *hostname_file, *hosts_file, *resolv_file;
	uint64_t shm_size;           /* bytes; 0: 64 MiB */
	const char *seccomp_profile; /* a JSON file (docker/containers format) or NULL:
				      * seccomp_default says */
	/* -v, --mount, --tmpfs and the image's volumes, resolved (volumes have
	 * their host_path); NULL: none. Added by ocispec-mounts.c. */
	const struct mount_spec_list *mounts;
	/* --memory, --cpus, --ulimit, --device...: linux.resources,
	 * process.rlimits, linux.devices (ocispec-resources.c); NULL: none. */
	const struct ocispec_resources *res;
	/* No seccomp_profile: docker's default profile, built in
	 * (seccomp-default.c), unless privileged. */
	bool seccomp_default;
};

#define OCISPEC_USER_PENDING "io.berth.user-pending"

/* A config built with defer_user whose user was not found: resolves it
 * (and group_add) in rootfs now, sets process.user and HOME, and drops
 * the annotation; "unable to find user X: ..." otherwise. Nothing to do
 * for any other config. */
int ocispec_user_apply(json_object *spec, const char *rootfs, char *const *group_add,
		       struct berth_err *err);

/* Builds the config. image_config is the image's config JSON (the whole
 * document; its "config" object is used). Errors name the bad option
 * ("--cap-add FOO: unknown capability", "no command: the image has no Cmd or
 * Entrypoint and none was given"). */
int ocispec_build(const struct ocispec_opts *o, json_object *image_config, json_object **out,
		  struct berth_err *err);

/* The process args as docker computes them: Entrypoint + Cmd, where
 * --entrypoint replaces the image's Entrypoint and clears its Cmd, and a
 * command given on the command line replaces Cmd. */
int ocispec_args(const struct ocispec_opts *o, json_object *image_config, char ***out,
		 struct berth_err *err);

/* Resolves "user[:group]" against the container's /etc/passwd and
 * /etc/group (read fd-relative inside rootfs, never following a symlink out
 * of it): names or numbers; a numeric uid not in passwd is fine (gid 0);
 * a name not found is an error naming it ("unable to find user NAME: no
 * matching entries in passwd file", docker's words). Also gives the home
 * directory and, when no group was given (docker's rule), the supplementary
 * groups: every group in /etc/group listing the user found in passwd.
 * NULL or "" is root. Implemented in ocispec-user.c. */
struct ocispec_user {
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional;
	char *home; /* "/" when unknown */
};
int ocispec_resolve_user(const char *rootfs, const char *spec, struct ocispec_user *out,
			 struct berth_err *err);
/* --pid, --ipc, --uts, --cgroupns and --sysctl as docker takes them: the
 * modes it knows (container:NAME is not supported yet), a sysctl only of
 * those a namespace of the container's own holds ("sysctl 'K' is not
 * whitelisted"), and none of a namespace shared with the host.
 * Implemented in ocispec-namespaces.c. */
int ocispec_namespaces_check(const struct ocispec_opts *o, struct berth_err *err);

/* docker's process groups (moby's getUser): the user's primary gid first,
 * then the supplementary ones found for it, then --group-add's (a name or
 * number in the image's /etc/group, else a number as given; "Unable to
 * find group NAME"). Replaces u->additional_gids. */
int ocispec_user_docker_groups(const char *rootfs, char *const *group_add, struct ocispec_user *u,
			       struct berth_err *err);
void ocispec_user_clear(struct ocispec_user *u);
