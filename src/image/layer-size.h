/* Sizes of unpacked trees (a layer directory, a container's upper dir, the
 * store's blobs), counted by walking the directory one fd at a time: the
 * numbers `du -sb`, docker's SizeRw and docker's image Size give. */
#pragma once

#include <stdint.h>

struct berth_err;

/* Bytes of a directory tree as `du -sb` (--apparent-size --block-size=1)
 * counts them: the st_size of every inode once (the top directory and every
 * directory below it, regular files, symlinks; hard-linked files once;
 * devices and fifos are 0), without following symlinks. */
int layer_dir_size(int dirfd, uint64_t *size, struct berth_err *err);
/* The same without directories' own sizes: docker's directory.Size, which
 * its SizeRw is. */
int layer_dir_files_size(int dirfd, uint64_t *size, struct berth_err *err);
/* Regular files only (hard-linked ones once): the size docker gives a
 * layer it unpacked (what its tar's file entries hold), and so an
 * image's Size. */
int layer_dir_content_size(int dirfd, uint64_t *size, struct berth_err *err);
