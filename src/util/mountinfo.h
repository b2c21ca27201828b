/* /proc/self/mountinfo, parsed: one entry per mount, fields unescaped
 * (the kernel writes space, tab, newline and backslash as \ooo). Lines
 * that do not parse are skipped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct berth_err;

struct mountinfo_entry {
	char *root;	/* of the mount, inside its filesystem */
	char *point;	/* mount point */
	bool shared;	/* optional field "shared:N" */
	char *fstype;
	char *source;
	char *super;	/* superblock options */
};

struct mountinfo {
	struct mountinfo_entry *v;
	size_t n;
};

/* path NULL reads /proc/self/mountinfo. */
int mountinfo_read(const char *path, struct mountinfo *out, struct berth_err *err);
void mountinfo_parse(const char *text, struct mountinfo *out);
void mountinfo_free(struct mountinfo *m);

static inline void cleanup_mountinfop(struct mountinfo *m)
{
	mountinfo_free(m);
}
#define automountinfo __attribute__((cleanup(cleanup_mountinfop)))
