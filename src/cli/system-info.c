/* info and version: docker's shapes, Client: and Server: sections, with
 * --format over an object of docker's field names (SystemInfo for info;
 * Client and Server for version). There is no daemon: the "server" is this
 * binary, the store it opens and the host it runs on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli/engine.h"
#include "cli/listing.h"
#include "engine/engine.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"
#include "util/template.h"
#include "util/xalloc.h"

#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT "unknown"
#endif

#ifdef __clang__
#define BERTH_COMPILER "clang " __clang_version__
#else
#define BERTH_COMPILER "gcc " __VERSION__
#endif

/* Go's GOARCH names, which docker prints. */
#if defined(__x86_64__)
#define BERTH_ARCH "amd64"
#elif defined(__aarch64__)
#define BERTH_ARCH "arm64"
#elif defined(__i386__)
#define BERTH_ARCH "386"
#elif defined(__arm__)
#define BERTH_ARCH "arm"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BERTH_ARCH "ppc64le"
#elif defined(__s390x__)
#define BERTH_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define BERTH_ARCH "riscv64"
#else
#define BERTH_ARCH "unknown"
#endif

#define CGROUP2_MAGIC 0x63677270

struct format_opts {
	const char *format;
};

static const struct cli_opt format_table[] = {
	{ "format", 'f', CLI_OPT_STRING, offsetof(struct format_opts, format), "FORMAT",
	  "format the output using a Go template (\"json\": the whole object)" },
	CLI_OPT_END,
};

/* --format: "json" or a template over data, one line. */
static int print_format(const char *format, json_object *data, struct berth_err *err)
{
	struct tmpl *t = NULL;
	autofree char *out = NULL;
	int r;

	if (strcmp(format, "json") == 0) {
		listing_print_json_line(data);
		return 0;
	}
	if (tmpl_parse(format, &t, err) < 0)
		return -1;
	r = tmpl_exec(t, data, &out, err);
	tmpl_free(t);
	if (r == 0)
		printf("%s\n", out);
	return r;
}

/* __DATE__ and __TIME__ as Go's time.ANSIC: "Mon Jan  2 15:04:05 2006". */
static const char *build_time(char buf[static 64])
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { 0 };
	char mon[4] = { 0 };
	const char *m;

	if (sscanf(__DATE__, "%3s %d %d", mon, &tm.tm_mday, &tm.tm_year) != 3 ||
	    sscanf(__TIME__, "%d:%d:%d", &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 3 ||
	    (m = strstr(months, mon)) == NULL)
		return __DATE__ " " __TIME__;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year -= 1900;
	timegm(&tm); /* fills in the weekday */
	strftime(buf, 64, "%a %b %e %H:%M:%S %Y", &tm);
	return buf;
}

static const char *kernel_version(struct utsname *u)
{
	return uname(u) == 0 ? u->release : "";
}

/* ---- version ---- */

/* What the client, the engine and the server each say of the build. */
static void add_build(json_object *o)
{
	listing_add_str(o, "GitCommit", BERTH_GIT_COMMIT);
	listing_add_str(o, "Compiler", BERTH_COMPILER);
	listing_add_str(o, "Os", "linux");
	listing_add_str(o, "Arch", BERTH_ARCH);
}

static json_object *version_json(void)
{
	json_object *o = json_object_new_object(), *client = json_object_new_object();
	json_object *server = json_object_new_object(), *plat, *comps = json_object_new_array();
	json_object *engine = json_object_new_object(), *details = json_object_new_object();
	json_object *rt = json_object_new_object(), *rt_details = json_object_new_object();
	struct utsname u;
	char when[64];
	const char *kernel = kernel_version(&u);

	build_time(when);
	plat = json_object_new_object();
	listing_add_str(plat, "Name", "Berth");
	json_object_object_add(client, "Platform", plat);
	listing_add_str(client, "Version", BERTH_VERSION);
	add_build(client);
	listing_add_str(client, "BuildTime", when);
	listing_add_str(client, "Context", "default");

	add_build(details);
	listing_add_str(details, "BuildTime", when);
	listing_add_str(details, "KernelVersion", kernel);
	listing_add_str(engine, "Name", "Engine");
	listing_add_str(engine, "Version", BERTH_VERSION);
	json_object_object_add(engine, "Details", details);
	json_object_array_add(comps, engine);
	listing_add_str(rt_details, "spec", "1.2.0");
	listing_add_str(rt, "Name", "berth-runc");
	listing_add_str(rt, "Version", BERTH_VERSION);
	json_object_object_add(rt, "Details", rt_details);
	json_object_array_add(comps, rt);

	plat = json_object_new_object();
	listing_add_str(plat, "Name", "Berth Engine (daemonless)");
	json_object_object_add(server, "Platform", plat);
	json_object_object_add(server, "Components", comps);
	listing_add_str(server, "Version", BERTH_VERSION);
	add_build(server);
	listing_add_str(server, "KernelVersion", kernel);
	listing_add_str(server, "BuildTime", when);

	json_object_object_add(o, "Client", client);
	json_object_object_add(o, "Server", server);
	return o;
}

/* docker's text: keys padded to 20 columns (its tabwriter's minimum). */
static void kv(const char *indent, const char *key, const char *value)
{
	int width = 20 - (int)strlen(indent);

	printf("%s%-*s%s\n", indent, width, key, value);
}

static int version_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct format_opts *f = o;
	autojson json_object *v = version_json();
	json_object *client = json_object_object_get(v, "Client");
	json_object *server = json_object_object_get(v, "Server");
	autofree char *os_arch = xasprintf("linux/%s", BERTH_ARCH);

	(void)cli;
	(void)args;
	if (f->format != NULL)
		return print_format(f->format, v, err);
	printf("Client: Berth\n");
	kv(" ", "Version:", BERTH_VERSION);
	kv(" ", "C compiler:", BERTH_COMPILER);
	kv(" ", "Git commit:", BERTH_GIT_COMMIT);
	kv(" ", "Built:", listing_get_str(client, "BuildTime"));
	kv(" ", "OS/Arch:", os_arch);
	kv(" ", "Context:", "default");
	printf("\nServer: Berth Engine (daemonless)\n Engine:\n");
	kv("  ", "Version:", BERTH_VERSION);
	kv("  ", "C compiler:", BERTH_COMPILER);
	kv("  ", "Git commit:", BERTH_GIT_COMMIT);
	kv("  ", "Built:", listing_get_str(server, "BuildTime"));
	kv("  ", "OS/Arch:", os_arch);
	kv("  ", "Kernel:", listing_get_str(server, "KernelVersion"));
	printf(" berth-runc:\n");
	kv("  ", "Version:", BERTH_VERSION);
	kv("  ", "spec:", "1.2.0");
	return 0;
}

const struct engine_cmd engine_cmd_version = {
	.name = "version",
	.args = "",
	.summary = "Show the Berth version information",
	.opts = format_table,
	.opts_size = sizeof(struct format_opts),
	.min_args = 0,
	.max_args = 0,
	.run = version_run,
};

/* ---- info ---- */

static const char *os_name(char **text)
{
	struct berth_err ignored;
	char *p;

	if (fs_read_file("/etc/os-release", 1 << 16, text, NULL, &ignored) < 0)
		return "Linux";
	p = strstr(*text, "PRETTY_NAME=");
	if (p == NULL || (p != *text && p[-1] != '\n'))
		return "Linux";
	p += strlen("PRETTY_NAME=");
	if (*p == '"')
		p++;
	p[strcspn(p, "\"\n")] = '\0';
	return p;
}

/* "2" on a unified hierarchy, else "1" (v1 or hybrid: Berth's runtime
 * puts the controllers on v1 there). */
static const char *cgroup_version(void)
{
	struct statfs sf;

	return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_MAGIC ? "2" : "1";
}

static void add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static int info_json(struct engine_cli *cli, json_object **out, struct berth_err *err)
{
	struct engine *e;
	struct store *s;
	struct engine_container *v = NULL;
	struct store_image *imgs = NULL;
	size_t n = 0, nimg = 0;
	int64_t running = 0, paused = 0;
	struct utsname u;
	char host[256] = "";
	autofree char *os_text = NULL;
	json_object *o, *client, *sec, *rts;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	if (engine_cli_engine(cli, &e, err) < 0 || engine_store(cli, &s, err) < 0 ||
	    engine_list(e, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].state == ENGINE_RUNNING && v[i].paused)
			paused++;
		else if (v[i].state == ENGINE_RUNNING)
			running++;
	}
	engine_containers_free(v, n);
	if (store_image_list(s, &imgs, &nimg, err) < 0)
		return -1;
	store_images_free(imgs, nimg);
	gethostname(host, sizeof(host) - 1);

	o = json_object_new_object();
	listing_add_str(o, "ID", "");
	add_int(o, "Containers", (int64_t)n);
	add_int(o, "ContainersRunning", running);
	add_int(o, "ContainersPaused", paused);
	add_int(o, "ContainersStopped", (int64_t)n - running - paused);
	add_int(o, "Images", (int64_t)nimg);
	listing_add_str(o, "Driver", snapshot_driver_name(s->driver));
	json_object_object_add(o, "DriverStatus", json_object_new_array());
	add_bool(o, "MemoryLimit", true);
	add_bool(o, "SwapLimit", true);
	add_bool(o, "CpuCfsPeriod", true);
	add_bool(o, "CpuCfsQuota", true);
	add_bool(o, "CPUShares", true);
	add_bool(o, "CPUSet", true);
	add_bool(o, "PidsLimit", true);
	add_bool(o, "OomKillDisable", false);
	add_bool(o, "Debug", false);
	listing_add_str(o, "LoggingDriver", "json-file");
	listing_add_str(o, "CgroupDriver", "cgroupfs");
	listing_add_str(o, "CgroupVersion", cgroup_version());
	listing_add_str(o, "KernelVersion", kernel_version(&u));
	listing_add_str(o, "OperatingSystem", os_name(&os_text));
	listing_add_str(o, "OSType", "linux");
	listing_add_str(o, "Architecture", uname(&u) == 0 ? u.machine : "");
	add_int(o, "NCPU", cpus > 0 ? cpus : 1);
	add_int(o, "MemTotal", pages > 0 && page > 0 ? (int64_t)pages * page : 0);
	listing_add_str(o, "DockerRootDir", s->root);
	listing_add_str(o, "Name", host);
	json_object_object_add(o, "Labels", json_object_new_array());
	add_bool(o, "ExperimentalBuild", false);
	listing_add_str(o, "ServerVersion", BERTH_VERSION);
	rts = json_object_new_object();
	{
		json_object *r = json_object_new_object();

		listing_add_str(r, "path", "berth-runc");
		json_object_object_add(rts, "berth", r);
	}
	json_object_object_add(o, "Runtimes", rts);
	listing_add_str(o, "DefaultRuntime", "berth");
	add_bool(o, "LiveRestoreEnabled", false);
	listing_add_str(o, "Isolation", "");
	listing_add_str(o, "InitBinary", "");
	sec = json_object_new_array();
	json_object_array_add(sec, json_object_new_string("name=seccomp,profile=builtin"));
	json_object_object_add(o, "SecurityOptions", sec);
	json_object_object_add(o, "Warnings", NULL);
	client = json_object_new_object();
	add_bool(client, "Debug", false);
	listing_add_str(client, "Context", "default");
	listing_add_str(client, "Version", BERTH_VERSION);
	json_object_object_add(o, "ClientInfo", client);
	*out = o;
	return 0;
}

static int64_t get_int(json_object *o, const char *key)
{
	return json_object_get_int64(json_object_object_get(o, key));
}

static int info_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct format_opts *f = opts;
	autojson json_object *o = NULL;
	char mem[32];

	(void)args;
	if (info_json(cli, &o, err) < 0)
		return -1;
	if (f->format != NULL)
		return print_format(f->format, o, err);
	printf("Client:\n Version:    %s\n Context:    default\n Debug Mode: false\n\n",
	       BERTH_VERSION);
	printf("Server:\n");
	printf(" Containers: %lld\n", (long long)get_int(o, "Containers"));
	printf("  Running: %lld\n", (long long)get_int(o, "ContainersRunning"));
	printf("  Paused: %lld\n", (long long)get_int(o, "ContainersPaused"));
	printf("  Stopped: %lld\n", (long long)get_int(o, "ContainersStopped"));
	printf(" Images: %lld\n", (long long)get_int(o, "Images"));
	printf(" Server Version: %s\n", BERTH_VERSION);
	printf(" Storage Driver: %s\n", listing_get_str(o, "Driver"));
	printf(" Logging Driver: json-file\n");
	printf(" Cgroup Driver: cgroupfs\n");
	printf(" Cgroup Version: %s\n", listing_get_str(o, "CgroupVersion"));
	printf(" Runtimes: berth\n Default Runtime: berth\n");
	printf(" Security Options:\n  seccomp\n   Profile: builtin\n");
	printf(" Kernel Version: %s\n", listing_get_str(o, "KernelVersion"));
	printf(" Operating System: %s\n", listing_get_str(o, "OperatingSystem"));
	printf(" OSType: linux\n");
	printf(" Architecture: %s\n", listing_get_str(o, "Architecture"));
	printf(" CPUs: %lld\n", (long long)get_int(o, "NCPU"));
	printf(" Total Memory: %s\n", human_size_binary((double)get_int(o, "MemTotal"), mem));
	printf(" Name: %s\n", listing_get_str(o, "Name"));
	/* docker's key, which scripts grep for */
	printf(" Docker Root Dir: %s\n", listing_get_str(o, "DockerRootDir"));
	printf(" Debug Mode: false\n Experimental: false\n Live Restore Enabled: false\n");
	return 0;
}

const struct engine_cmd engine_cmd_info = {
	.name = "info",
	.args = "",
	.summary = "Display system-wide information",
	.opts = format_table,
	.opts_size = sizeof(struct format_opts),
	.min_args = 0,
	.max_args = 0,
	.run = info_run,
};
