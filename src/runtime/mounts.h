/* Mount option tables: the spec's mount "options" strings to MS_* flags,
 * propagation and a kernel data string. Pure logic, unit-tested. */
#pragma once

struct berth_err;
struct spec_mount;

/* Fills m->flags, clear, propagation, bind, recursive, data from m->options.
 * path names the mount in errors ("mounts[3]"). Unknown options that look
 * like flags ("noatimex") are passed to the kernel as data, as runc does. */
int mount_options_parse(struct spec_mount *m, const char *path, struct berth_err *err);

/* "rslave" -> MS_SLAVE|MS_REC etc.; returns 0 on success, -1 if unknown. */
int mount_propagation_parse(const char *s, unsigned long *out);
