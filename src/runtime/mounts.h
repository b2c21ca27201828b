/* Mount option tables: the spec's mount "options" strings to MS_* flags,
 * propagation and a kernel data string. Pure logic, unit-tested. */
#pragma once

#include <stdbool.h>

struct berth_err;
struct spec_mount;

/* Fills m->flags, clear, propagation, bind, recursive, data from m->options
 * (and m->type: "bind" is a bind mount). A bind mount also has MS_BIND (and
 * MS_REC for rbind) in m->flags. path names the mount in errors
 * ("mounts[3]"). Unknown options ("size=64k", or ones that merely look like
 * flags, "noatimex") are passed to the kernel as data, as runc does;
 * idmap/ridmap and the recursive rro/rnosuid/... family fail with
 * EOPNOTSUPP. Calling it again on the same mount re-parses from scratch. */
int mount_options_parse(struct spec_mount *m, const char *path, struct berth_err *err);

/* "rslave" -> MS_SLAVE|MS_REC etc.; returns 0 on success, -1 if unknown. */
int mount_propagation_parse(const char *s, unsigned long *out);

/* The "tmpcopyup" option (a tmpfs starts with a copy of what it covers).
 * struct spec_mount has no field for it, so it is read from the options. */
bool mount_has_tmpcopyup(const struct spec_mount *m);

/* Whether the mount's destination names path ("/dev", "//dev/", "dev" and
 * "/dev/." all name /dev). Lexical: symlinks are not looked at. */
bool mount_dest_is(const struct spec_mount *m, const char *path);

/* The files lxcfs emulates, the only mount destinations allowed inside
 * /proc (as runc's checkProcMount); dest is clean and absolute. */
bool mount_proc_file_allowed(const char *dest);
