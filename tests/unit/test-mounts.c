/* The mount option table (runtime/mounts.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>

#include "runtime/mounts.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/err.h"
#include "util/strv.h"

#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

/* Parses a comma-separated list as the options array of a mount. */
static int parse(const char *type, const char *csv, struct spec_mount *m, struct berth_err *err)
{
	char *copy = strdup(csv), *save = NULL;

	*m = (struct spec_mount){ .type = type ? strdup(type) : NULL };
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		strv_push(&m->options, t);
	free(copy);
	return mount_options_parse(m, "mounts[0]", err);
}

static void clear(struct spec_mount *m)
{
	strv_free(m->options);
	free(m->data);
	free(m->type);
}

struct flag_case {
	const char *opts;
	unsigned long flags;
	unsigned long clear;
};

static const struct flag_case flag_cases[] = {
	{ "defaults", 0, 0 },
	{ "ro", MS_RDONLY, 0 },
	{ "rw", 0, MS_RDONLY },
	{ "ro,rw", 0, MS_RDONLY },
	{ "rw,ro", MS_RDONLY, 0 },
	{ "nosuid", MS_NOSUID, 0 },
	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },
	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },
	{ "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 },
	{ "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "remount", MS_REMOUNT, 0 },
	{ "mand", MS_MANDLOCK, 0 },
	{ "nomand", 0, MS_MANDLOCK },
	{ "noatime", MS_NOATIME, 0 },
	{ "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 },
	{ "diratime", 0, MS_NODIRATIME },
	{ "relatime", MS_RELATIME, 0 },
	{ "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME },
	{ "lazytime", MS_LAZYTIME, 0 },
	{ "nolazytime", 0, MS_LAZYTIME },
	{ "silent", MS_SILENT, 0 },
	{ "loud", 0, MS_SILENT },
	{ "nosuid,noexec,nodev", MS_NOSUID | MS_NOEXEC | MS_NODEV, 0 },
	{ "nosuid,strictatime,rw", MS_NOSUID | MS_STRICTATIME, MS_RDONLY },
	{ "bind", MS_BIND, 0 },
	{ "rbind", MS_BIND | MS_REC, 0 },
	{ "rbind,ro", MS_BIND | MS_REC | MS_RDONLY, 0 },
	{ "tmpcopyup", 0, 0 },
};

static void check_flags(void)
{
	for (size_t i = 0; i < sizeof(flag_cases) / sizeof(flag_cases[0]); i++) {
		const struct flag_case *c = &flag_cases[i];
		struct berth_err err = { 0 };
		struct spec_mount m;
		int r = parse(NULL, c->opts, &m, &err);
		CHECK(r == 0 && m.flags == c->flags && m.clear == c->clear && m.data == NULL,
		      "\"%s\": flags %#lx clear %#lx (got %#lx %#lx%s%s)", c->opts, c->flags,
		      c->clear, m.flags, m.clear, m.data ? " data " : "", m.data ? m.data : "");
		clear(&m);
	}
}

struct prop_case {
	const char *name;
	unsigned long want;
};

static const struct prop_case prop_cases[] = {
	{ "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static void check_propagation(void)
{
	for (size_t i = 0; i < sizeof(prop_cases) / sizeof(prop_cases[0]); i++) {
		const struct prop_case *c = &prop_cases[i];
		unsigned long got = 0;
		CHECK(mount_propagation_parse(c->name, &got) == 0 && got == c->want,
		      "propagation \"%s\" = %#lx", c->name, c->want);

		struct berth_err err = { 0 };
		struct spec_mount m;
		char opts[64];
		snprintf(opts, sizeof(opts), "rbind,%s,ro", c->name);
		int r = parse(NULL, opts, &m, &err);
		CHECK(r == 0 && m.propagation == c->want && m.bind && m.recursive &&
			  m.flags == (MS_BIND | MS_REC | MS_RDONLY),
		      "option \"%s\" goes to propagation, not flags", c->name);
		clear(&m);
	}
	unsigned long got = 42;
	CHECK(mount_propagation_parse("rslavex", &got) == -1 && got == 42,
	      "unknown propagation refused");
	CHECK(mount_propagation_parse("ro", &got) == -1, "a flag is not a propagation");
	CHECK(mount_propagation_parse(NULL, &got) == -1, "NULL propagation refused");

	struct berth_err err = { 0 };
	struct spec_mount m;
	parse(NULL, "shared,private", &m, &err);
	CHECK(m.propagation == MS_PRIVATE, "last propagation option wins");
	clear(&m);
}

static void check_data(void)
{
	struct berth_err err = { 0 };
	struct spec_mount m;

	int r = parse("tmpfs", "nosuid,strictatime,mode=755,size=65536k,nr_inodes=1k", &m, &err);
	CHECK(r == 0 && m.flags == (MS_NOSUID | MS_STRICTATIME), "tmpfs flags");
	CHECK_STR(m.data, "mode=755,size=65536k,nr_inodes=1k", "tmpfs data joined in order");
	clear(&m);

	r = parse("devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5", &m, &err);
	CHECK_STR(m.data, "newinstance,ptmxmode=0666,mode=0620,gid=5", "devpts data");
	clear(&m);

	r = parse(NULL, "noatimex,ro", &m, &err);
	CHECK(r == 0 && m.flags == MS_RDONLY, "flag-like unknown option is not a flag");
	CHECK_STR(m.data, "noatimex", "flag-like unknown option becomes data");
	clear(&m);

	r = parse(NULL, "", &m, &err);
	CHECK(r == 0 && m.flags == 0 && m.data == NULL, "no options");
	clear(&m);

	/* Re-parsing starts over rather than appending. */
	r = parse("tmpfs", "size=1k", &m, &err);
	r = mount_options_parse(&m, "mounts[0]", &err);
	CHECK_STR(m.data, "size=1k", "parsing twice does not duplicate data");
	clear(&m);
}

static void check_bind_and_copyup(void)
{
	struct berth_err err = { 0 };
	struct spec_mount m;

	parse("bind", "ro", &m, &err);
	CHECK(m.bind && !m.recursive && (m.flags & MS_BIND), "type \"bind\" is a bind mount");
	clear(&m);

	parse("none", "rbind,bind", &m, &err);
	CHECK(m.bind && m.recursive, "rbind then bind stays recursive");
	clear(&m);

	parse("tmpfs", "tmpcopyup,size=1k", &m, &err);
	CHECK(mount_has_tmpcopyup(&m) && !m.bind, "tmpcopyup recorded");
	CHECK_STR(m.data, "size=1k", "tmpcopyup is not data");
	clear(&m);

	parse("tmpfs", "size=1k", &m, &err);
	CHECK(!mount_has_tmpcopyup(&m), "no tmpcopyup");
	clear(&m);
}

static void check_idmap(void)
{
	struct berth_err err = { 0 };
	struct spec_mount m;

	CHECK(parse(NULL, "rbind,idmap", &m, &err) == 0 && m.idmap && !m.idmap_recursive &&
		      m.data == NULL,
	      "idmap");
	clear(&m);
	CHECK(parse(NULL, "bind,ridmap", &m, &err) == 0 && m.idmap && m.idmap_recursive,
	      "ridmap is recursive");
	clear(&m);
	CHECK(parse(NULL, "rbind", &m, &err) == 0 && !m.idmap, "no idmap by default");
	clear(&m);
}

static void check_recursive(void)
{
	struct berth_err err = { 0 };
	struct spec_mount m;

	CHECK(parse(NULL, "rbind,rro,rnosuid,rnodev,rnoexec,rnosymfollow,rnodiratime", &m, &err) == 0,
	      "recursive attributes parse: %s", err.msg);
	CHECK(m.rec_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_NODIRATIME) &&
		      m.rec_clr == 0 && !m.has_rec_atime,
	      "set bits");
	CHECK(m.data == NULL && (m.flags & MS_RDONLY) == 0, "neither data nor a plain flag");
	clear(&m);
	CHECK(parse(NULL, "rbind,rro,rrw,rsuid", &m, &err) == 0 && m.rec_set == 0 &&
		      m.rec_clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID),
	      "the last of rro/rrw wins, clears are recorded");
	clear(&m);
	CHECK(parse(NULL, "rbind,rnoatime", &m, &err) == 0 && m.has_rec_atime &&
		      m.rec_atime == MOUNT_ATTR_NOATIME,
	      "rnoatime");
	clear(&m);
	CHECK(parse(NULL, "rbind,rnoatime,rstrictatime", &m, &err) == 0 && m.has_rec_atime &&
		      m.rec_atime == MOUNT_ATTR_STRICTATIME,
	      "one atime mode, the last");
	clear(&m);
}

static void check_dest_is(void)
{
	static const struct {
		const char *dest, *path;
		bool want;
	} cases[] = {
		{ "/dev", "/dev", true },         { "//dev/", "/dev", true },
		{ "dev", "/dev", true },          { "/dev/.", "/dev", true },
		{ "/./dev//", "/dev", true },     { "/dev/pts", "/dev", false },
		{ "/devices", "/dev", false },    { "/de", "/dev", false },
		{ "/dev/../dev", "/dev", false }, { "/", "/", true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec_mount m = { .destination = (char *)cases[i].dest };
		CHECK(mount_dest_is(&m, cases[i].path) == cases[i].want, "\"%s\" %s \"%s\"",
		      cases[i].dest, cases[i].want ? "is" : "is not", cases[i].path);
	}
	struct spec_mount none = { 0 };
	CHECK(!mount_dest_is(&none, "/"), "no destination is nothing");
}

int main(void)
{
	check_dest_is();
	check_flags();
	check_propagation();
	check_data();
	check_bind_and_copyup();
	check_idmap();
	check_recursive();
	return TEST_DONE();
}
