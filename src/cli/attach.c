/* start, restart and attach: the commands that start containers or
 * connect the caller's terminal to them (run shares cli_attach_start). */
#include "cli/attach.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine.h"
#include "engine/attach.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/quote.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define ENGINE_ERR 125

/* Relays until the container exits or the user detaches: its exit
 * status, 0 after a detach, -1 with err. */
static int cli_attach_relay(struct engine *e, const char *id, int sock,
			    const struct engine_attach_opts *o, struct berth_err *err)
{
	int code = 0;
	bool detached = false;

	if (engine_attach_relay(e, id, sock, o, &code, &detached, err) < 0) {
		/* The monitor went away without a word: the store knows. */
		if (err->code != ECONNRESET)
			return -1;
		berth_err_clear(err);
		if (engine_wait(e, id, &code, err) < 0)
			return -1;
	}
	return detached ? 0 : code;
}

int cli_attach_start(struct engine *e, const char *id, const struct engine_attach_opts *o,
		     bool start, bool *start_failed, struct berth_err *err)
{
	autoclose int mine = -1;
	int theirs = -1, r;

	if (start_failed != NULL)
		*start_failed = false;
	if (start) {
		/* Not started, as much as a failed start: `run --rm` removes
		 * the container it made. */
		if (engine_attach_pair(o, &mine, &theirs, err) < 0) {
			if (start_failed != NULL)
				*start_failed = true;
			return -1;
		}
		fflush(stdout);
		r = engine_start(e, id, theirs, err);
		close(theirs);
		if (r < 0) {
			if (start_failed != NULL)
				*start_failed = true;
			return -1;
		}
	} else if (engine_attach_connect(e, id, o, &mine, err) < 0) {
		return -1;
	}
	return cli_attach_relay(e, id, mine, o, err);
}

int cli_attach_opts(const struct engine_container *c, bool want_stdin, const char *detach_keys,
		    bool sig_proxy, struct engine_attach_opts *o, struct berth_err *err)
{
	bool tty = false, open_stdin = false, auto_remove = false;

	engine_attach_opts_init(o);
	json_get_bool(c->config, "Tty", NULL, &tty, err);
	json_get_bool(c->config, "OpenStdin", NULL, &open_stdin, err);
	json_get_bool(c->config, "AutoRemove", NULL, &auto_remove, err);
	berth_err_clear(err);
	o->tty = tty;
	o->finish = auto_remove;
	o->in = want_stdin && open_stdin;
	o->sig_proxy = sig_proxy;
	if (detach_keys != NULL && engine_attach_detach_keys(detach_keys, o, err) < 0)
		return -1;
	if (o->tty && o->in && !isatty(STDIN_FILENO))
		return berth_err_set(err, 0, "the input device is not a TTY");
	return 0;
}

/* ---- start ---- */

struct start_cli {
	bool attach, interactive;
	const char *detach_keys;
};

static const struct cli_opt start_table[] = {
	{ "attach", 'a', CLI_OPT_BOOL, offsetof(struct start_cli, attach), NULL,
	  "attach stdout and stderr and forward signals" },
	{ "interactive", 'i', CLI_OPT_BOOL, offsetof(struct start_cli, interactive), NULL,
	  "attach the container's stdin" },
	{ "detach-keys", 0, CLI_OPT_STRING, offsetof(struct start_cli, detach_keys), "KEYS",
	  "the keys that detach (default ctrl-p,ctrl-q)" },
	CLI_OPT_END,
};

static int start_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	(void)o;
	return engine_start(e, what, -1, err);
}

static int start_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct start_cli *s = opts;
	struct engine *e;

	if (engine_cli_engine(cli, &e, err) < 0)
		return -1;
	if (s->attach || s->interactive) {
		struct engine_container c = { 0 };
		struct engine_attach_opts o;
		int r;

		if (args[1] != NULL)
			return berth_err_set(err, 0,
					     "you cannot start and attach multiple containers at "
					     "once");
		if (engine_lookup(e, args[0], &c, err) < 0)
			return -1;
		if (c.state == ENGINE_RUNNING) {
			/* docker: start -a of a running container attaches. */
			r = cli_attach_opts(&c, s->interactive, s->detach_keys, true, &o, err);
			if (r == 0)
				r = cli_attach_start(e, c.id, &o, false, NULL, err);
		} else {
			r = cli_attach_opts(&c, s->interactive, s->detach_keys, true, &o, err);
			if (r == 0)
				r = cli_attach_start(e, c.id, &o, true, NULL, err);
		}
		engine_container_clear(&c);
		return r;
	}
	return engine_cli_each(cli, args, start_one, NULL, true, err);
}

const struct engine_cmd engine_cmd_start = {
	.name = "start",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Start one or more stopped containers",
	.opts = start_table,
	.opts_size = sizeof(struct start_cli),
	.min_args = 1,
	.max_args = -1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = start_run,
};

/* ---- restart ---- */

struct restart_cli {
	int timeout;
	const char *signal;
};

static const struct cli_opt restart_table[] = {
	{ "time", 't', CLI_OPT_INT, offsetof(struct restart_cli, timeout), "SECONDS",
	  "seconds to wait before killing the container" },
	{ "timeout", 0, CLI_OPT_INT, offsetof(struct restart_cli, timeout), "SECONDS", NULL },
	CLI_OPT_END,
};

static void restart_defaults(void *o)
{
	((struct restart_cli *)o)->timeout = -1;
}

static int restart_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	struct restart_cli *r = o;

	if (engine_stop(e, what, r->timeout, err) < 0)
		return -1;
	return engine_start(e, what, -1, err);
}

static int restart_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	return engine_cli_each(cli, args, restart_one, opts, true, err);
}

const struct engine_cmd engine_cmd_restart = {
	.name = "restart",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Restart one or more containers",
	.opts = restart_table,
	.opts_size = sizeof(struct restart_cli),
	.min_args = 1,
	.max_args = -1,
	.defaults = restart_defaults,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = restart_run,
};

/* ---- attach ---- */

struct attach_cli {
	bool no_stdin, sig_proxy;
	const char *detach_keys;
};

static const struct cli_opt attach_table[] = {
	{ "no-stdin", 0, CLI_OPT_BOOL, offsetof(struct attach_cli, no_stdin), NULL,
	  "do not attach stdin" },
	{ "sig-proxy", 0, CLI_OPT_BOOL, offsetof(struct attach_cli, sig_proxy), NULL,
	  "forward received signals to the container (default true)" },
	{ "detach-keys", 0, CLI_OPT_STRING, offsetof(struct attach_cli, detach_keys), "KEYS",
	  "the keys that detach (default ctrl-p,ctrl-q)" },
	CLI_OPT_END,
};

static void attach_defaults(void *o)
{
	((struct attach_cli *)o)->sig_proxy = true;
}

static int attach_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct attach_cli *a = opts;
	struct engine_container c = { 0 };
	struct engine_attach_opts o;
	struct engine *e;
	int r = -1;

	if (engine_cli_engine(cli, &e, err) < 0 || engine_lookup(e, args[0], &c, err) < 0)
		return -1;
	if (c.state != ENGINE_RUNNING) {
		berth_err_set(err, 0, "You cannot attach to a stopped container, start it first");
		err->exit_status = 1;
		goto out;
	}
	if (cli_attach_opts(&c, !a->no_stdin, a->detach_keys, a->sig_proxy, &o, err) < 0)
		goto out;
	r = cli_attach_start(e, c.id, &o, false, NULL, err);
out:
	engine_container_clear(&c);
	return r;
}

const struct engine_cmd engine_cmd_attach = {
	.name = "attach",
	.args = "CONTAINER",
	.summary = "Attach local standard input, output, and error streams to a running container",
	.opts = attach_table,
	.opts_size = sizeof(struct attach_cli),
	.min_args = 1,
	.max_args = 1,
	.defaults = attach_defaults,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = attach_run,
};

/* ---- system boot ---- */

static int boot_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct engine *e;
	autostrv char **started = NULL, **failed = NULL;

	(void)opts;
	(void)args;
	if (engine_cli_engine(cli, &e, err) < 0 || engine_boot(e, &started, &failed, err) < 0)
		return -1;
	for (size_t i = 0; started != NULL && started[i] != NULL; i++)
		printf("%s\n", started[i]);
	for (size_t i = 0; failed != NULL && failed[i] != NULL; i++) {
		autofree char *msg = quote_controls(failed[i]);

		fprintf(stderr, "berth: %s\n", msg);
	}
	return failed != NULL ? 1 : 0;
}

const struct engine_cmd engine_cmd_system_boot = {
	.name = "boot",
	.summary = "Start the containers whose restart policy asks for it (run at boot)",
	.min_args = 0,
	.max_args = 0,
	.err_status = ENGINE_ERR,
	.run = boot_run,
};
