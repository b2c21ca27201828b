/* Files a user names for a command's output: `save -o`, `export -o`, a
 * file `cp` writes out of a container, `--cidfile`, `--pid-file`.
 *
 * Writing to a temporary name and renaming it over the target keeps a
 * reader from ever seeing half a file, but rename(2) replaces whatever the
 * name held: `save -o /dev/null` would put a regular file where the host's
 * /dev/null was (docker/cli#1514), and a FIFO a reader waits on would be
 * gone. So what is there decides:
 *   - nothing: the file is written under a temporary name in the same
 *     directory and moved in without replacing anything
 *     (RENAME_NOREPLACE), so something made there meanwhile is kept;
 *   - a regular file: written under a temporary name and renamed over it,
 *     after checking the name still holds the file seen at the start; the
 *     new file keeps the old one's permission bits (not set-id ones);
 *   - a FIFO or a character device (/dev/null, a terminal, the pipe behind
 *     /dev/stdout): written into, never replaced;
 *   - a symlink is followed, by open(2), so the kernel's protected_symlinks
 *     rule applies, and what it points at is treated as above: a regular
 *     file is replaced under its own name (the link stays a link), a FIFO
 *     is written into. A symlink to nothing is refused: no file is created
 *     through a link;
 *   - a directory, a block device or a socket is refused with a message
 *     saying what it is (an archive written over a disk is never what was
 *     meant; `> /dev/sdX` still does that).
 * A regular file reached through /proc/self/fd whose name is gone (deleted,
 * a memfd) is written in place, as it cannot be replaced by name. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct berth_err;

enum output_kind {
	OUTPUT_NEW,     /* nothing there: made aside, then moved in without replacing */
	OUTPUT_REPLACE, /* a regular file: replaced by a rename */
	OUTPUT_INTO,    /* a FIFO, a character device, a nameless file: written into */
};

/* What a name refers to, resolved once. */
struct output_target {
	enum output_kind kind;
	char *path; /* as the user gave it, for messages */
	int fd;     /* INTO: open for writing; else -1 */
	int dirfd;  /* NEW, REPLACE: the directory holding the name; else -1 */
	char *dir;  /* its absolute path (no symlinks), for path-based writers */
	char *name; /* the name in it */
	dev_t dev;  /* REPLACE: the file that may be replaced */
	ino_t ino;
	mode_t mode; /* REPLACE: its permission bits */
};

/* Only a new file: anything at the name, a dangling symlink included, is
 * EEXIST (docker's --cidfile). */
#define OUTPUT_NEW_ONLY 0x1u

/* Resolves path as described above; t is cleared first. */
int output_target_open(struct output_target *t, const char *path, unsigned flags,
		       struct berth_err *err);
/* NEW and REPLACE: moves from (a name in from_dirfd, on the target's
 * filesystem) to the target. NEW never replaces what appeared meanwhile
 * (EEXIST); REPLACE only replaces the file seen by output_target_open.
 * INTO: nothing to do. */
int output_target_commit(const struct output_target *t, int from_dirfd, const char *from,
			 struct berth_err *err);
void output_target_clear(struct output_target *t);

/* A stream of bytes to a named output. */
struct output_file {
	struct output_target t;
	int fd;    /* write here */
	char *tmp; /* NEW, REPLACE: the temporary name in t.dirfd */
};

/* For an output_file that may be cleared before it is opened. */
#define OUTPUT_FILE_INIT                                                                           \
	{                                                                                          \
		.t = { .fd = -1, .dirfd = -1 }, .fd = -1                                           \
	}

/* Opens the output; a new file gets mode (less the umask). */
int output_file_open(struct output_file *f, const char *path, mode_t mode, unsigned flags,
		     struct berth_err *err);
/* Puts the written file in place (fsynced first when durable). */
int output_file_commit(struct output_file *f, bool durable, struct berth_err *err);
/* Closes; a temporary file not committed is removed. Accepts an f that
 * output_file_open failed on, OUTPUT_FILE_INIT, or one cleared already. */
void output_file_clear(struct output_file *f);

/* An output_file cleared when it goes out of scope (initialise it with
 * OUTPUT_FILE_INIT). */
#define autooutput __attribute__((cleanup(output_file_clear)))

/* Writes all of buf to an output; 0, or -1 with err naming the output. */
int output_file_write(struct output_file *f, const void *buf, size_t len, struct berth_err *err);
