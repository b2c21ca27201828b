/* A container's filesystem from outside: docker's cp, diff, export and
 * commit. The container's root is its snapshot (ROOT/snapshots/ID/merged),
 * running or not; a stopped container's overlay that is not mounted (after
 * a reboot) is mounted for the call and unmounted after it.
 *
 * Every path inside the container is resolved in its root
 * (util/path.h, RESOLVE_IN_ROOT): an absolute symlink planted in the
 * container names a file of the container, never one of the host. Copying
 * in extracts through layer_apply, which creates every entry relative to a
 * directory fd with O_NOFOLLOW, so a symlink met below the destination is
 * refused rather than followed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/digest.h"

struct berth_err;
struct engine;

struct engine_cp_opts {
	/* -a: keep the source's owners; out of a container, also its setuid
	 * and setgid bits, file capabilities and device nodes */
	bool archive;
	bool follow; /* -L: follow a symlink named as the source */
	/* Out of a container without -a: counts the device nodes left out
	 * (may be NULL). */
	size_t *skipped_devices;
};

/* `cp CONTAINER:SRC DEST`: DEST is a host path, or "-" for a tar stream on
 * out_fd. Without -a, nothing that would give privileges on the host
 * leaves the container: no setuid or setgid bit, no security.capability
 * xattr, no device node (the tar stream too).
 *
 * A file (not a directory) goes to DEST by util/output.h's rules: a new or
 * regular DEST gets the copy made aside and renamed in (whole or not at
 * all); a FIFO or a character device gets the file's bytes and stays what
 * it is; a symlink is followed; a symlink to nothing is refused. A
 * directory's entries replace what the host had below DEST, as tar does,
 * never writing through a symlink. */
int engine_cp_from(struct engine *e, const char *what, const char *src, const char *dest,
		   int out_fd, const struct engine_cp_opts *o, struct berth_err *err);
/* `cp SRC CONTAINER:DEST`: SRC is a host path, or "-" for a tar stream
 * read from in_fd (DEST must then be a directory). */
int engine_cp_to(struct engine *e, const char *what, const char *src, int in_fd, const char *dest,
		 const struct engine_cp_opts *o, struct berth_err *err);

/* One line of `diff`: kind 'A', 'C' or 'D', and an absolute path. */
struct engine_change {
	char kind;
	char *path;
};
void engine_changes_free(struct engine_change *v, size_t n);
/* The container's changes against its image, sorted by path. */
int engine_diff(struct engine *e, const char *what, struct engine_change **out, size_t *n,
		struct berth_err *err);

/* A tar of the container's whole root filesystem to out_fd. */
int engine_export(struct engine *e, const char *what, int out_fd, struct berth_err *err);

struct engine_commit_opts {
	const char *author;   /* -a */
	const char *message;  /* -m */
	char *const *changes; /* --change: Dockerfile instructions */
	const char *tag;      /* REPO[:TAG], or NULL */
	bool pause;           /* pause a running container while its changes are read */
};
/* A new image: the container image's layers plus one layer of the
 * container's changes; id gets "sha256:..." */
int engine_commit(struct engine *e, const char *what, const struct engine_commit_opts *o,
		  char id[DIGEST_STR_LEN + 1], struct berth_err *err);
