/* A container's mounts at create: the flags parsed (mount-spec.c), the
 * image's VOLUMEs added, anonymous volumes named; then the volumes
 * created and filled from the image (docker's copy-up), bind sources of
 * -v made; and on failure all of that undone. Also what inspect shows of
 * them (Mounts, Binds, Tmpfs, Volumes) and the removal of a container's
 * anonymous volumes. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "engine/mount-spec.h"

struct berth_err;
struct engine_create_opts;
struct store;

struct engine_mounts {
	struct mount_spec_list list;
	char **made_volumes; /* volumes this create made: undone on failure */
	char **made_dirs;    /* bind sources it made, deepest last */
};

/* Parses o's flags and adds the image's volumes (image_config: the whole
 * image config document); anonymous volumes get their names and every
 * volume its host path. Nothing is created. */
int engine_mounts_plan(struct store *s, const struct engine_create_opts *o,
		       json_object *image_config, struct engine_mounts *m, struct berth_err *err);
/* Adds docker's Mounts, Binds, Tmpfs, Volumes and HostMounts (the
 * --mount values as HostConfig.Mounts has them) to the recorded config. */
void engine_mounts_record(const struct engine_mounts *m, json_object *config);
/* Creates what the mounts need, rootfs being the container's root (the
 * image content volumes are filled from). */
int engine_mounts_prepare(struct store *s, struct engine_mounts *m, const char *rootfs,
			  struct berth_err *err);
/* Removes what prepare made (call after the container's row is gone, so
 * the volumes are no longer in use). */
/* Before a start: mounts again the volumes with options (-o type=tmpfs...)
 * the container uses, which a reboot unmounted; volumes without options
 * need nothing. */
int engine_mounts_remount(struct store *s, json_object *config, struct berth_err *err);
/* When container id no longer runs (created, stopped, removed): unmounts
 * the volumes with options it uses that no other running container uses
 * (volume_release). Best effort. */
void engine_mounts_release(struct store *s, const char *id, json_object *config);
void engine_mounts_undo(struct store *s, struct engine_mounts *m);
void engine_mounts_clear(struct engine_mounts *m);

/* Removes the anonymous volumes that the recorded Mounts of container id
 * name and no other container uses (just before its row goes, so that a
 * container seen gone has its volumes gone too). */
int engine_mounts_remove_anonymous(struct store *s, const char *id, json_object *config,
				   struct berth_err *err);
