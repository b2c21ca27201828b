/* Snapshots of the image store (image/store.h) over a fake image (see
 * store-fixtures.h): vfs always, overlay when root and the kernel has it;
 * an image a snapshot uses cannot be removed until the snapshot is gone.
 * Everything lives in one mkdtemp directory under /tmp, unmounted and
 * removed at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <unistd.h>

#include "image/snapshot.h"
#include "image/store.h"
#include "store-fixtures.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/mountinfo.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* G: one layer, tagged x:latest, the only image in the store (as test-store.c
 * leaves it after prune and gc). */
static struct fake_image G;

static void test_snapshots_vfs(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_snapshot sn = { 0 }, *list = NULL;
	struct store_removed rm = { 0 };
	struct store_image img = { 0 };
	struct store_df df;
	size_t n = 0;
	autofree char *content = NULL;
	autofree char *id64 = NULL;
	size_t len = 0;
	int r;

	r = store_snapshot_create(s, "x", "snap1", 0, &sn, &err);
	CHECK(r == 0, "vfs snapshot of x: %s", r ? err.msg : "ok");
	must(r == 0, "vfs snapshot");
	CHECK_STR(sn.id, "snap1", "snapshot id");
	CHECK_STR(sn.image_id, G.id, "snapshot image id");
	CHECK_STR(sn.driver, "vfs", "snapshot driver");
	CHECK_STR(sn.mountpoint, p("root/snapshots/snap1/merged"), "snapshot mount point");
	CHECK(sn.created > 0, "created time set");
	r = fs_read_file(p("root/snapshots/snap1/merged/layer-one.txt"), 4096, &content, &len,
			 &err);
	CHECK(r == 0 && len == strlen(L1.name) && memcmp(content, L1.name, len) == 0,
	      "the layer's file is copied into merged");
	store_snapshot_clear(&sn);
	CHECK(!exists(p("root/snapshots/snap1/upper")), "vfs makes no upper dir");

	r = store_snapshot_list(s, &list, &n, &err);
	CHECK(r == 0 && n == 1 && strcmp(list[0].id, "snap1") == 0, "store_snapshot_list");
	for (size_t i = 0; i < n; i++)
		store_snapshot_clear(&list[i]);
	free(list);
	r = store_snapshot_get(s, "nosuch", &sn, &err);
	CHECK(r < 0 && err.code == ENOENT, "store_snapshot_get of a missing id: %s", err.msg);

	r = store_image_lookup(s, G.id, &img, &err);
	CHECK(r == 0 && img.snapshots == 1, "the image counts one snapshot");
	store_image_clear(&img);

	r = store_df(s, &df, &err);
	CHECK(r == 0 && df.snapshots == 1 && df.images_active == 1,
	      "df: one snapshot, one active image");
	{
		struct stat d, f;

		must(stat(p("root/snapshots/snap1/merged"), &d) == 0 &&
			 stat(p("root/snapshots/snap1/merged/layer-one.txt"), &f) == 0,
		     "stat merged");
		CHECK(df.snapshots_size == (uint64_t)(d.st_size + f.st_size),
		      "df: snapshot size is its copy (%llu)",
		      (unsigned long long)df.snapshots_size);
	}
	CHECK(df.images_reclaimable == 0, "df: nothing reclaimable (%llu)",
	      (unsigned long long)df.images_reclaimable);

	must(store_lock(s, LOCK_EX, &err) == 0, "store_lock EX");
	r = store_snapshot_create(s, "x", "snap-locked", 0, NULL, &err);
	/* KNOWN BUG: store_snapshot_create takes LOCK_SH over whatever the caller
	 * held and, as prev != 0, leaves it there: a caller holding LOCK_EX
	 * silently loses its exclusive lock. */
	CHECK(r == 0 && s->lockmode == LOCK_EX,
	      "KNOWN BUG: snapshot create under an exclusive lock keeps it exclusive (lockmode "
	      "%d): %s",
	      s->lockmode, r ? err.msg : "ok");
	store_unlock(s);
	if (r == 0)
		must(store_snapshot_remove(s, "snap-locked", &err) == 0, "remove snap-locked");

	r = store_snapshot_create(s, "x", "snap1", 0, NULL, &err);
	CHECK(r < 0 && err.code == EEXIST && has(&err, "already exists"), "duplicate id: %s",
	      err.msg);
	CHECK(exists(p("root/snapshots/snap1/merged/layer-one.txt")),
	      "a refused duplicate leaves the first alone");
	r = store_snapshot_create(s, "nosuch", "snap2", 0, NULL, &err);
	CHECK(r < 0 && err.code == ENOENT && !exists(p("root/snapshots/snap2")),
	      "a snapshot of a missing image is refused and leaves nothing: %s", err.msg);

	static const char *const bad[] = { "", ".hidden", "a/b", "..", "../x", "a b", "a:b", "é" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = store_snapshot_create(s, "x", bad[i], 0, NULL, &err);
		CHECK(r < 0 && err.code == EINVAL && has(&err, "invalid snapshot id"),
		      "snapshot id \"%s\" refused: %s", bad[i], err.msg);
		r = store_snapshot_remove(s, bad[i], &err);
		CHECK(r < 0 && err.code == EINVAL, "remove of \"%s\" refused: %s", bad[i], err.msg);
	}
	id64 = xmalloc(66);
	memset(id64, 'a', 65);
	id64[65] = '\0';
	r = store_snapshot_create(s, "x", id64, 0, NULL, &err);
	CHECK(r < 0 && err.code == EINVAL, "a 65-character id is refused");
	id64[64] = '\0';
	r = store_snapshot_create(s, "x", id64, 0, NULL, &err);
	CHECK(r == 0, "a 64-character id is fine: %s", r ? err.msg : "ok");
	r = store_snapshot_remove(s, id64, &err);
	CHECK(r == 0 && !exists(p("root/snapshots/%s", id64)), "and removable");

	r = store_image_remove(s, G.id, false, &rm, &err);
	CHECK(r < 0 && err.code == EBUSY && has(&err, "snapshot"),
	      "rmi by id of an image a snapshot uses: %s", err.msg);
	store_removed_clear(&rm);
	r = store_image_remove(s, "x", false, &rm, &err);
	CHECK(r < 0 && err.code == EBUSY, "rmi by its only name: %s", err.msg);
	store_removed_clear(&rm);
	CHECK(image_exists(s, "x"), "the image and its name stay");

	r = store_snapshot_remove(s, "snap1", &err);
	CHECK(r == 0, "store_snapshot_remove: %s", r ? err.msg : "ok");
	CHECK(!exists(p("root/snapshots/snap1")), "the snapshot directory is gone");
	r = store_snapshot_remove(s, "snap1", &err);
	CHECK(r < 0 && err.code == ENOENT, "removing it again: %s", err.msg);
}

static bool mounted_at(const char *path)
{
	struct mountinfo mi = { 0 };
	struct berth_err err = { 0 };
	bool found = false;

	must(mountinfo_read(NULL, &mi, &err) == 0, "read mountinfo");
	for (size_t i = 0; i < mi.n; i++)
		if (strcmp(mi.v[i].point, path) == 0)
			found = true;
	mountinfo_free(&mi);
	return found;
}

static void test_snapshots_overlay(void)
{
	struct berth_err err = { 0 };
	struct store *s = NULL;
	struct store_snapshot sn = { 0 };
	autofree char *content = NULL;
	autofree char *merged = NULL;
	size_t len = 0;
	int r;

	if (geteuid() != 0 || snapshot_driver_detect() != SNAPSHOT_OVERLAY) {
		printf("# skip overlay snapshots: needs root and overlayfs\n");
		return;
	}
	must(store_open(root, "overlay", &s, &err) == 0, "store_open overlay");
	r = store_snapshot_create(s, "x", "ov1", 0, &sn, &err);
	CHECK(r == 0, "overlay snapshot of x: %s", r ? err.msg : "ok");
	if (r < 0) {
		store_close(s);
		return;
	}
	merged = xstrdup(sn.mountpoint);
	CHECK_STR(sn.driver, "overlay", "snapshot driver");
	store_snapshot_clear(&sn);
	CHECK(mounted_at(merged), "merged is a mount point in /proc/self/mountinfo");
	r = fs_read_file(p("root/snapshots/ov1/merged/layer-one.txt"), 4096, &content, &len, &err);
	CHECK(r == 0 && len == strlen(L1.name) && memcmp(content, L1.name, len) == 0,
	      "merged shows the layer's file");
	r = put(p("root/snapshots/ov1/merged/new.txt"), "new");
	CHECK(r == 0 && exists(p("root/snapshots/ov1/upper/new.txt")) &&
		  !exists(p("root/layers/%s/new.txt", digest_hex(G.chain[0]))),
	      "a write lands in upper, not in the layer");
	r = store_snapshot_mount(s, "ov1", &err);
	CHECK(r == 0, "store_snapshot_mount of a mounted snapshot is a no-op: %s",
	      r ? err.msg : "ok");
	r = store_snapshot_remove(s, "ov1", &err);
	CHECK(r == 0, "store_snapshot_remove: %s", r ? err.msg : "ok");
	CHECK(!mounted_at(merged), "it is unmounted");
	CHECK(!exists(p("root/snapshots/ov1")), "its directory is gone");
	/* With the init layer: the mount points a container needs are
	 * there, in no upper dir, and stay after a remount. */
	{
		struct store_snapshot in = { 0 };
		static const char *const want[] = { "proc", "sys", "dev", "etc/hostname",
						    "etc/hosts", "etc/resolv.conf" };
		bool all = true;

		r = store_snapshot_create(s, "x", "ov4", STORE_SNAPSHOT_INIT, &in, &err);
		CHECK(r == 0 && in.init, "snapshot with the init layer: %s", r ? err.msg : "ok");
		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			all = all && exists(p("root/snapshots/ov4/merged/%s", want[i]));
		CHECK(all && exists(p("root/snapshots/ov4/merged/layer-one.txt")),
		      "merged has the image's files and the init layer's mount points");
		CHECK(!exists(p("root/snapshots/ov4/upper/etc")) &&
			  !exists(p("root/snapshots/ov4/upper/proc")),
		      "none of them in the upper dir");
		CHECK(umount2(p("root/snapshots/ov4/merged"), 0) == 0, "unmounted as by a reboot");
		r = store_snapshot_mount(s, "ov4", &err);
		CHECK(r == 0 && exists(p("root/snapshots/ov4/merged/etc/hosts")),
		      "mounted again, with the init layer: %s", r ? err.msg : "ok");
		store_snapshot_clear(&in);
		r = store_snapshot_remove(s, "ov4", &err);
		CHECK(r == 0, "removed: %s", r ? err.msg : "ok");
		r = store_snapshot_create(s, "x", "ov5", 0, &in, &err);
		CHECK(r == 0 && !in.init && exists(p("root/snapshots/ov5/merged/layer-one.txt")) &&
			  !exists(p("root/snapshots/ov5/merged/proc")),
		      "a snapshot without the flag has no init layer: %s", r ? err.msg : "ok");
		store_snapshot_clear(&in);
		store_snapshot_remove(s, "ov5", &err);
	}
	/* Forgotten: out of the store at once, unmounted later. */
	{
		struct store_snapshot gone = { 0 };
		autofree char *trash = NULL;
		autofree char *merged3 = NULL;

		r = store_snapshot_create(s, "x", "ov3", 0, NULL, &err);
		CHECK(r == 0, "snapshot ov3: %s", r ? err.msg : "ok");
		r = store_snapshot_forget(s, "ov3", &trash, &err);
		CHECK(r == 0 && trash != NULL && !exists(p("root/snapshots/ov3")) &&
			  store_snapshot_get(s, "ov3", &gone, &err) < 0 && err.code == ENOENT,
		      "forget: the row and the directory are gone: %s", r ? err.msg : "ok");
		merged3 = xasprintf("%s/merged", trash ? trash : "?");
		CHECK(mounted_at(merged3), "its overlay is still mounted in the moved-aside directory");
		r = store_trash_remove(p("root"), "snapshot", "ov3", &err);
		CHECK(r == 0 && trash != NULL && !exists(trash) && !mounted_at(merged3),
		      "store_trash_remove unmounts and deletes it: %s", r ? err.msg : "ok");
	}
	CHECK(exists(p("root/layers/%s/layer-one.txt", digest_hex(G.chain[0]))),
	      "the layer is intact");
	store_close(s);
}

static void test_remove_last(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_removed rm = { 0 };
	struct store_image *imgs = NULL;
	struct store_df df;
	size_t n = 0;
	int r;

	r = store_image_remove(s, "x", false, &rm, &err);
	CHECK(r == 0 && strv_len(rm.deleted) == 1 && strv_len(rm.untagged) == 1,
	      "once no snapshot uses it, rmi x deletes G: %s", r ? err.msg : "ok");
	store_removed_clear(&rm);
	CHECK(!exists(blob_file(G.blob[0])) && !exists(layer_dir(G.chain[0])),
	      "the last image's layer blob and directory are gone");
	r = store_image_list(s, &imgs, &n, &err);
	CHECK(r == 0 && n == 0, "the store is empty (%zu)", n);
	store_images_free(imgs, n);
	r = store_df(s, &df, &err);
	CHECK(r == 0 && df.images == 0 && df.layers == 0 && df.blobs == 0 && df.images_size == 0,
	      "df of an empty store");
	{
		autoclose int bfd =
		    open(p("root/blobs/sha256"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		autoclose int lfd = open(p("root/layers"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		CHECK(count_entries(bfd) == 0 && count_entries(lfd) == 0,
		      "no blob or layer left on disk");
	}
}

int main(void)
{
	struct berth_err err = { 0 };
	struct store *s = NULL;

	fixtures_begin();
	must(store_open(root, "vfs", &s, &err) == 0, "store_open");
	must(make_image(s, "G", 1710000000, "2024-03-09T16:00:00Z", &L1, 1,
			"docker.io/library/x:latest", &G, &err) == 0,
	     "image G");
	test_snapshots_vfs(s);
	test_snapshots_overlay();
	test_remove_last(s);
	store_close(s);
	cleanup();
	return TEST_DONE();
}
