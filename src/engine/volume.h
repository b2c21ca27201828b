/* Volumes, as docker's local driver keeps them: a directory each,
 * ROOT/volumes/NAME/_data, and a row each in the store's database (name,
 * driver, labels, options, creation time, whether it is anonymous). Which
 * containers use a volume is not counted but computed from the containers'
 * recorded Mounts (the config column), as the image store computes what
 * uses a layer: nothing to keep in step, nothing to leak.
 *
 * Volumes with options (-o type=tmpfs,device=tmpfs,o=size=64m, or
 * type=none,o=bind,device=/path) are mounted on their _data directory when
 * a container first needs them, and unmounted when removed. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_err;
struct store;

#define VOLUME_DRIVER          "local"
#define VOLUME_NAME_LEN        64 /* an anonymous volume's: 64 hex */
#define VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

struct volume {
	char *name;
	char *driver;         /* "local" */
	json_object *labels;  /* {"k": "v"} */
	json_object *options; /* {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"} */
	int64_t created_ns;
	bool anonymous;
	char *mountpoint; /* ROOT/volumes/NAME/_data */
};
void volume_clear(struct volume *v);
void volumes_free(struct volume *v, size_t n);

/* ROOT/volumes/NAME/_data */
char *volume_path(struct store *s, const char *name);
/* 64 random hex digits: an anonymous volume's name. */
int volume_random_name(char out[VOLUME_NAME_LEN + 1], struct berth_err *err);

/* Creates a volume; an existing one of that name is fine (*created false,
 * its labels and options untouched), as docker's `volume create` and -v
 * find it. labels and opts are "k=v"; opts keys are the local driver's
 * (type, device, o). Errors are docker's ("create NAME: ..."). */
int volume_create(struct store *s, const char *name, char *const *labels, char *const *opts,
		  bool anonymous, bool *created, struct berth_err *err);
/* "get NAME: no such volume" (ENOENT). */
int volume_get(struct store *s, const char *name, struct volume *out, struct berth_err *err);
/* Ordered by name. */
int volume_list(struct store *s, struct volume **out, size_t *n, struct berth_err *err);
/* The ids of the containers whose recorded mounts name the volume, oldest
 * first; *ids NULL when none. */
int volume_users(struct store *s, const char *name, char ***ids, struct berth_err *err);
/* Removes a volume no container uses ("remove NAME: volume is in use -
 * [ID, ...]", EBUSY). force: a missing volume is no error. */
int volume_remove(struct store *s, const char *name, bool force, struct berth_err *err);
/* The same, not counting the container except_id (one being removed) as a
 * user. */
int volume_remove_except(struct store *s, const char *name, const char *except_id, bool force,
			 struct berth_err *err);
/* The apparent size of the files under _data (docker's directory.Size),
 * 0 when unreadable. */
uint64_t volume_size(struct store *s, const char *name);
/* Mounts a volume that has options on its _data, unless already mounted. */
int volume_mount(struct store *s, const struct volume *v, struct berth_err *err);
/* Unmounts such a volume when no container but except_id is running with
 * it: docker's local driver keeps one mounted while it is in use only, so
 * a tmpfs volume's files go with its last running user. */
int volume_release(struct store *s, const struct volume *v, const char *except_id,
		   struct berth_err *err);
