/* --memory, --cpus, --ulimit, --device, --security-opt, --init and the
 * other resource flags of `run` and `create`: the syntax of each value is
 * checked here, with docker's flag errors; what needs the host (device
 * nodes, available cpus, swap accounting) is checked by the engine at
 * create (engine/ocispec-resources.c). */
#include "cli/create-resources.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/units.h"
#include "engine/engine.h"
#include "engine/ocispec-resources.h"
#include "util/err.h"
#include "util/num.h"

#define NANO 1000000000LL

/* A size flag: docker's MemBytes (no negative values) or, for the swap,
 * MemSwapBytes (-1: unlimited). */
struct size_flag {
	const char *flag;
	size_t cli, res; /* offsets in create_resources_cli and ocispec_resources */
	bool unlimited;
};

static const struct size_flag size_flags[] = {
	{ "-m, --memory", offsetof(struct create_resources_cli, memory),
	  offsetof(struct ocispec_resources, memory), false },
	{ "--memory-swap", offsetof(struct create_resources_cli, memory_swap),
	  offsetof(struct ocispec_resources, memory_swap), true },
	{ "--memory-reservation", offsetof(struct create_resources_cli, memory_reservation),
	  offsetof(struct ocispec_resources, memory_reservation), false },
	{ "--shm-size", offsetof(struct create_resources_cli, shm_size),
	  offsetof(struct ocispec_resources, shm_size), false },
};

static int parse_sizes(const struct create_resources_cli *c, struct ocispec_resources *r,
		       struct berth_err *err)
{
	for (size_t i = 0; i < sizeof(size_flags) / sizeof(size_flags[0]); i++) {
		const struct size_flag *f = &size_flags[i];
		const char *s = *(const char *const *)((const char *)c + f->cli);
		int64_t v;

		if (s == NULL)
			continue;
		if (cli_parse_size(s, &v) < 0 || (v < 0 && !f->unlimited))
			return berth_err_set(
			    err, 0,
			    "invalid argument \"%s\" for \"%s\" flag: invalid size: "
			    "'%s'",
			    s, f->flag, s);
		*(int64_t *)((char *)r + f->res) = v;
	}
	return 0;
}

/* A whole int64 in [min, INT64_MAX], as Go's strconv.ParseInt reads it;
 * below min is docker's `below` error. */
static int parse_int_flag(const char *s, const char *flag, int64_t min, const char *below,
			  int64_t *out, struct berth_err *err)
{
	int64_t v;
	int r;

	if (s == NULL)
		return 0;
	r = num_parse_i64(s, 10, INT64_MIN, INT64_MAX, &v);
	if (r < 0)
		return berth_err_set(err, 0,
				     "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: "
				     "parsing \"%s\": %s",
				     s, flag, s, num_strerror(r));
	if (v < min)
		return berth_err_set(err, 0, "invalid argument \"%s\" for \"%s\" flag: %s", s, flag,
				     below);
	*out = v;
	return 0;
}

/* Digits at *p into *v (stopping at max_digits when given), advancing *p;
 * false on overflow. *n gets how many there were. */
static bool take_digits(const char **p, long long *v, int *n)
{
	*v = 0;
	*n = 0;
	while (**p >= '0' && **p <= '9') {
		if (*v > (LLONG_MAX - 9) / 10)
			return false;
		*v = *v * 10 + (**p - '0');
		(*p)++;
		(*n)++;
	}
	return true;
}

int create_parse_cpus(const char *s, long long *nano, struct berth_err *err)
{
	const char *p = s;
	long long whole = 0, frac = 0, den;
	int nw = 0, nf = 0, nd;
	bool neg = *p == '-';

	if (neg || *p == '+')
		p++;
	if (!take_digits(&p, &whole, &nw))
		goto bad;
	if (*p == '/') {
		/* A fraction: whole/den. */
		p++;
		if (nw == 0 || !take_digits(&p, &den, &nd) || nd == 0 || *p != '\0' || den == 0 ||
		    whole > LLONG_MAX / NANO)
			goto bad;
		if ((whole * NANO) % den != 0)
			goto precise;
		*nano = (neg ? -1 : 1) * (whole * NANO / den);
		return 0;
	}
	if (*p == '.') {
		p++;
		if (!take_digits(&p, &frac, &nf))
			goto bad;
	}
	if (*p != '\0' || nw + nf == 0 || whole > LLONG_MAX / NANO - 1)
		goto bad;
	/* 1.50000000000 is not "too precise": trailing zeros do not count. */
	while (nf > 9 && frac % 10 == 0) {
		frac /= 10;
		nf--;
	}
	if (nf > 9)
		goto precise;
	while (nf < 9) {
		frac *= 10;
		nf++;
	}
	*nano = (neg ? -1 : 1) * (whole * NANO + frac);
	return 0;
bad:
	return berth_err_set(err, 0,
			     "invalid argument \"%s\" for \"--cpus\" flag: failed to parse %s as a "
			     "rational number",
			     s, s);
precise:
	return berth_err_set(err, 0,
			     "invalid argument \"%s\" for \"--cpus\" flag: value is too "
			     "precise",
			     s);
}

/* Each --ulimit and --device value's syntax, with docker's flag error. */
static int check_list(char **v, const char *flag,
		      int (*check)(const char *s, struct berth_err *err), struct berth_err *err)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		struct berth_err e = { 0 };

		if (check(v[i], &e) < 0)
			return berth_err_set(err, 0, "invalid argument \"%s\" for \"%s\" flag: %s",
					     v[i], flag, e.msg);
	}
	return 0;
}

static int check_ulimit(const char *s, struct berth_err *err)
{
	struct ocispec_ulimit u;

	return ocispec_ulimit_parse(s, &u, err);
}

static int check_device(const char *s, struct berth_err *err)
{
	struct ocispec_device_spec d;

	if (ocispec_device_parse(s, &d, err) < 0)
		return -1;
	ocispec_device_spec_clear(&d);
	return 0;
}

int create_resources_parse(const struct create_resources_cli *c, struct engine_create_opts *o,
			   struct berth_err *err)
{
	struct ocispec_resources *r = &o->res;
	long long nano = 0;

	memset(r, 0, sizeof(*r));
	if (parse_sizes(c, r, err) < 0 ||
	    /* docker: "shares: invalid argument" (getCPUResources) */
	    parse_int_flag(c->cpu_shares, "-c, --cpu-shares", 0, "shares: invalid argument",
			   &r->cpu_shares, err) < 0 ||
	    /* any negative is unlimited, as docker's */
	    parse_int_flag(c->pids_limit, "--pids-limit", INT64_MIN, NULL, &r->pids_limit, err) <
		0 ||
	    (c->cpus != NULL && create_parse_cpus(c->cpus, &nano, err) < 0) ||
	    check_list(c->ulimits, "--ulimit", check_ulimit, err) < 0 ||
	    check_list(c->devices, "--device", check_device, err) < 0)
		return -1;
	r->nano_cpus = nano;
	r->cpuset_cpus = c->cpuset_cpus;
	r->cpuset_mems = c->cpuset_mems;
	r->ulimits = c->ulimits;
	r->devices = c->devices;
	r->cgroup_parent = c->cgroup_parent;
	o->init = c->init;
	return 0;
}

/* "key=value" or docker's older "key:value"; NULL value when neither. */
static const char *opt_value(const char *opt, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(opt, key, n) == 0 && (opt[n] == '=' || opt[n] == ':'))
		return opt + n + 1;
	return NULL;
}

static int seccomp_opt(const char *v, struct engine_create_opts *o, struct berth_err *err)
{
	if (strcmp(v, "unconfined") == 0) {
		o->seccomp = "unconfined";
		return 0;
	}
	if (strcmp(v, "builtin") == 0) {
		o->seccomp = NULL;
		return 0;
	}
	if (v[0] == '\0' || access(v, R_OK) < 0)
		return berth_err_set(err, v[0] == '\0' ? ENOENT : errno,
				     "opening seccomp profile (%s) failed", v);
	o->seccomp = v;
	return 0;
}

int create_security_opts(char **opts, struct engine_create_opts *o, struct berth_err *err)
{
	for (size_t i = 0; opts != NULL && opts[i] != NULL; i++) {
		const char *opt = opts[i], *v;

		if (strcmp(opt, "no-new-privileges") == 0) {
			o->no_new_privileges = true;
		} else if ((v = opt_value(opt, "no-new-privileges")) != NULL) {
			if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
				return berth_err_set(err, 0, "invalid --security-opt 2: \"%s\"",
						     opt);
			o->no_new_privileges = strcmp(v, "true") == 0;
		} else if ((v = opt_value(opt, "seccomp")) != NULL) {
			if (seccomp_opt(v, o, err) < 0)
				return -1;
		} else if (((v = opt_value(opt, "apparmor")) != NULL &&
			    strcmp(v, "unconfined") == 0) ||
			   ((v = opt_value(opt, "label")) != NULL && strcmp(v, "disable") == 0)) {
			/* Nothing to turn off: Berth applies no AppArmor profile
			 * and no SELinux label. */
		} else if (strchr(opt, '=') == NULL && strchr(opt, ':') == NULL) {
			return berth_err_set(err, 0, "Invalid --security-opt: \"%s\"", opt);
		} else {
			return berth_err_set(err, 0, "--security-opt %s: not supported", opt);
		}
	}
	o->security_opts = opts;
	return 0;
}

/* --restart no|always|unless-stopped|on-failure[:N], with docker's words
 * for a bad one (opts.ParseRestartPolicy, then the daemon's checks). */
int create_parse_restart(const char *spec, bool rm, const char **policy, int *max,
			 struct berth_err *err)
{
	const char *colon;
	size_t name_len;
	int64_t n = 0;
	int r;

	if (spec == NULL || strcmp(spec, "no") == 0 || spec[0] == '\0') {
		if (spec != NULL)
			*policy = "no";
		return 0;
	}
	if (rm)
		return berth_err_set(err, 0, "Conflicting options: --restart and --rm");
	colon = strchr(spec, ':');
	name_len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (colon != NULL) {
		r = num_parse_i64(colon + 1, 10, INT64_MIN, INT_MAX, &n);
		if (r < 0)
			return berth_err_set(
			    err, 0,
			    "invalid argument \"%s\" for \"--restart\" flag: invalid "
			    "restart policy format: maximum retry count must be an "
			    "integer",
			    spec);
		if (n < 0)
			return berth_err_set(
			    err, 0,
			    "invalid argument \"%s\" for \"--restart\" flag: invalid "
			    "restart policy: maximum retry count cannot be negative",
			    spec);
	}
	if (name_len == strlen("on-failure") && strncmp(spec, "on-failure", name_len) == 0) {
		*policy = "on-failure";
		*max = (int)n;
		return 0;
	}
	if (colon != NULL)
		return berth_err_set(err, 0,
				     "invalid restart policy %s: maximum retry count can only be "
				     "used with 'on-failure'",
				     spec);
	if (strcmp(spec, "always") == 0 || strcmp(spec, "unless-stopped") == 0) {
		*policy = spec;
		return 0;
	}
	return berth_err_set(err, 0,
			     "invalid restart policy: unknown policy '%s'; use one of "
			     "'no', 'always', 'on-failure', or 'unless-stopped'",
			     spec);
}
