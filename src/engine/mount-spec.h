/* What `berth run`/`create` say about mounts, parsed as docker parses it:
 * -v/--volume (host path bind, named volume, anonymous volume, with a mode
 * such as "ro,z"), --mount (docker's CSV of key=value fields) and --tmpfs
 * (path[:options]), plus the image's VOLUME entries. Pure: nothing is
 * created or looked at here but the caller's working directory (a relative
 * "./x" source becomes absolute, as docker's client does) and, for
 * --mount type=bind, whether the source exists. Errors are docker's words
 * ("invalid volume specification: '/x:/y:q'", "invalid mount config for
 * type \"bind\": bind source path does not exist: /x"). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct berth_err;

enum mount_spec_type {
	MOUNT_SPEC_BIND,
	MOUNT_SPEC_VOLUME,
	MOUNT_SPEC_TMPFS,
};

/* Where a mount came from: inspect shows them differently (Binds,
 * Mounts, Tmpfs). */
enum mount_spec_origin {
	MOUNT_FROM_VOLUME_FLAG, /* -v */
	MOUNT_FROM_MOUNT_FLAG,  /* --mount */
	MOUNT_FROM_TMPFS_FLAG,  /* --tmpfs */
	MOUNT_FROM_IMAGE,       /* the image's VOLUME */
};

struct mount_spec {
	enum mount_spec_type type;
	enum mount_spec_origin origin;
	char *raw;         /* as given ("/data" for an image VOLUME) */
	char *source;      /* bind: the host path, absolute and clean; volume: its
			    * name (NULL until named, for an anonymous one) */
	char *destination; /* absolute and clean, never "/" */
	char *mode;        /* -v's third field as given ("ro,z"); "" otherwise */
	bool read_only;
	bool anonymous;     /* a volume without a name of the user's */
	bool no_copy;       /* a volume not filled from the image (nocopy) */
	bool create_source; /* -v bind: a missing source is made a directory */
	bool non_recursive; /* bind-nonrecursive: "bind" rather than "rbind" */
	char *propagation;  /* bind: "rprivate" unless given; NULL otherwise */
	char **volume_opts; /* --mount volume-opt=k=v, for a volume created here */
	char **volume_labels;
	char *tmpfs_data; /* tmpfs: the user's options ("size=64m,mode=1777") */
	char *host_path;  /* volume: its _data directory, once the engine resolved it */
};

struct mount_spec_list {
	struct mount_spec *v;
	size_t n;
};

/* One flag's value each; out is cleared first and left clear on error. */
int mount_spec_parse_volume(const char *raw, struct mount_spec *out, struct berth_err *err);
int mount_spec_parse_mount(const char *raw, struct mount_spec *out, struct berth_err *err);
int mount_spec_parse_tmpfs(const char *raw, struct mount_spec *out, struct berth_err *err);
void mount_spec_clear(struct mount_spec *m);

/* All of a container's flags, in docker's order (-v, then --mount, then
 * --tmpfs), refusing two mounts on one destination ("Duplicate mount point:
 * /x"). Any of the vectors may be NULL. */
int mount_specs_parse(char *const *volumes, char *const *mounts, char *const *tmpfs,
		      struct mount_spec_list *out, struct berth_err *err);
/* Adds an anonymous volume for each of the image config's Volumes ({"/x":
 * {}}) that no mount in the list covers. */
int mount_specs_add_image_volumes(struct mount_spec_list *l, json_object *volumes,
				  struct berth_err *err);
void mount_spec_list_clear(struct mount_spec_list *l);

/* The local driver's rule for names: two or more of [a-zA-Z0-9][a-zA-Z0-9_.-]*,
 * with docker's message ("create NAME: ..." is the caller's to add). */
int mount_spec_check_volume_name(const char *name, struct berth_err *err);

/* The tmpfs options of the OCI mount: docker's defaults (noexec, nosuid,
 * nodev), the read-only flag, then data, a later option replacing an earlier
 * one of its kind (exec after noexec, the last size=). Unknown options are
 * docker's error ("Invalid tmpfs option [\"foo\"]"). Returns a vector. */
int mount_spec_tmpfs_options(const struct mount_spec *m, char ***out, struct berth_err *err);

/* docker's go-units RAMInBytes: "64m", "1.5g", "512k", "100" (binary). */
int mount_spec_parse_ram(const char *s, int64_t *out);
