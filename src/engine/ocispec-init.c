/* --init: where berth-init is on the host, and how a container's config
 * runs it. */
#include "engine/ocispec-init.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/exeseal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

#ifndef BERTH_LIBEXECDIR
#define BERTH_LIBEXECDIR "/usr/local/libexec/berth"
#endif

#define INIT_NAME "berth-init"

/* An executable regular file, resolved. */
static char *init_at(const char *path)
{
	char *real = realpath(path, NULL);
	struct stat st;

	if (real != NULL && stat(real, &st) == 0 && S_ISREG(st.st_mode) && access(real, X_OK) == 0)
		return real;
	free(real);
	return NULL;
}

int ocispec_init_find(char **out, struct berth_err *err)
{
	autofree char *host = exeseal_host_path();
	autofree char *exe = host != NULL ? realpath(host, NULL) : NULL;
	autofree char *beside = NULL;
	const char *installed = BERTH_LIBEXECDIR "/" INIT_NAME;

	if (exe != NULL) {
		char *slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
		beside = xasprintf("%s/%s", exe, INIT_NAME);
		*out = init_at(beside);
		if (*out != NULL)
			return 0;
	}
	*out = init_at(installed);
	if (*out != NULL)
		return 0;
	berth_err_set(err, 0, "--init: %s not found (looked for %s and %s)", INIT_NAME,
		      beside != NULL ? beside : "/proc/self/exe's directory", installed);
	err->code = ENOENT;
	return -1;
}

static json_object *strv_array(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

int ocispec_init_apply(json_object *doc, const char *host_path, struct berth_err *err)
{
	static const char *const options[] = { "rbind", "ro", "nosuid", "nodev", "rprivate", NULL };
	json_object *process = NULL, *args = NULL, *mounts = NULL, *m, *with_init;

	if (host_path == NULL || host_path[0] != '/')
		return berth_err_set(err, EINVAL, "--init: \"%s\" is not an absolute path",
				     host_path != NULL ? host_path : "");
	if (!json_object_object_get_ex(doc, "process", &process) ||
	    !json_object_object_get_ex(process, "args", &args) ||
	    !json_object_is_type(args, json_type_array) ||
	    !json_object_object_get_ex(doc, "mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return berth_err_set(err, EINVAL,
				     "--init: the config has no process.args or mounts");

	m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(OCISPEC_INIT_PATH));
	json_object_object_add(m, "type", json_object_new_string("bind"));
	json_object_object_add(m, "source", json_object_new_string(host_path));
	json_object_object_add(m, "options", strv_array(options));
	json_object_array_add(mounts, m);

	/* A new array: whoever holds the old one (the engine records it as
	 * Path and Args, the user's command) keeps it unchanged. */
	with_init = json_object_new_array();
	json_object_array_add(with_init, json_object_new_string(OCISPEC_INIT_PATH));
	json_object_array_add(with_init, json_object_new_string("--"));
	for (size_t i = 0; i < json_object_array_length(args); i++)
		json_object_array_add(with_init,
				      json_object_get(json_object_array_get_idx(args, i)));
	json_object_object_add(process, "args", with_init);
	return 0;
}
