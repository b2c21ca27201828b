/* The OCI mounts of -v, --mount, --tmpfs and image volumes, with docker's
 * options (moby daemon/oci_linux.go setMounts): a bind or a volume is a
 * "bind" mount with "rbind" (or "bind" when non-recursive), "ro" when
 * read-only and the bind's propagation; a tmpfs has noexec, nosuid and
 * nodev unless the user says otherwise. */
#include "engine/ocispec-mounts.h"

#include <stdlib.h>
#include <string.h>

#include "engine/mount-spec.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/xalloc.h"

static json_object *strv_json(char *const *v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static size_t depth(const char *path)
{
	size_t n = 0;

	for (; *path != '\0'; path++)
		n += *path == '/';
	return n;
}

/* Drops the mounts already in the array at dest. */
static void drop_destination(json_object *mounts, const char *dest)
{
	for (size_t i = json_object_array_length(mounts); i-- > 0;) {
		json_object *m = json_object_array_get_idx(mounts, i), *d = NULL;

		if (json_object_object_get_ex(m, "destination", &d) &&
		    strcmp(json_object_get_string(d), dest) == 0)
			json_object_array_del_idx(mounts, i, 1);
	}
}

static int mount_json(const struct mount_spec *m, json_object **out, struct berth_err *err)
{
	autostrv char **opts = NULL;
	const char *type = "bind", *source = m->source;
	json_object *o;

	switch (m->type) {
	case MOUNT_SPEC_TMPFS:
		if (mount_spec_tmpfs_options(m, &opts, err) < 0)
			return -1;
		type = "tmpfs";
		source = "tmpfs";
		break;
	case MOUNT_SPEC_VOLUME:
		if (m->host_path == NULL)
			return berth_err_set(err, 0, "volume at %s: not resolved", m->destination);
		source = m->host_path;
		strv_push(&opts, "rbind");
		if (m->read_only)
			strv_push(&opts, "ro");
		break;
	case MOUNT_SPEC_BIND:
		strv_push(&opts, m->non_recursive ? "bind" : "rbind");
		if (m->read_only)
			strv_push(&opts, "ro");
		if (m->propagation != NULL)
			strv_push(&opts, m->propagation);
		break;
	}
	o = json_object_new_object();
	json_object_object_add(o, "destination", json_object_new_string(m->destination));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "source", json_object_new_string(source));
	json_object_object_add(o, "options", strv_json(opts));
	*out = o;
	return 0;
}

int ocispec_mounts_add(const struct mount_spec_list *l, json_object *mounts, struct berth_err *err)
{
	autofree size_t *order = NULL;

	if (l == NULL || l->n == 0)
		return 0;
	/* A stable sort by depth (docker's sortMounts). */
	order = xreallocarray(NULL, l->n, sizeof(*order));
	for (size_t i = 0; i < l->n; i++) {
		size_t k = i;

		while (k > 0 &&
		       depth(l->v[order[k - 1]].destination) > depth(l->v[i].destination)) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	for (size_t i = 0; i < l->n; i++)
		drop_destination(mounts, l->v[i].destination);
	for (size_t i = 0; i < l->n; i++) {
		json_object *m = NULL;

		if (mount_json(&l->v[order[i]], &m, err) < 0)
			return -1;
		json_object_array_add(mounts, m);
	}
	return 0;
}
