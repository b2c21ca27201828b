/* Content digests: "sha256:<64 lowercase hex>", the only algorithm the OCI
 * image spec requires and the one every registry and tool uses. Hashing is
 * OpenSSL's, streamed so blobs of any size are hashed as they pass. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct berth_err;

#define DIGEST_HEX_LEN 64
#define DIGEST_PREFIX  "sha256:"
#define DIGEST_STR_LEN (sizeof(DIGEST_PREFIX) - 1 + DIGEST_HEX_LEN) /* without the NUL */

struct digest_ctx {
	void *md; /* SHA256_CTX */
};

/* Starts a sha256 stream. Never fails short of running out of memory, which
 * aborts like xmalloc does. */
void digest_init(struct digest_ctx *ctx);
void digest_update(struct digest_ctx *ctx, const void *buf, size_t len);
/* Writes "sha256:<hex>" and a NUL into out and frees the context. */
void digest_final(struct digest_ctx *ctx, char out[DIGEST_STR_LEN + 1]);
/* Frees a context that will not be finished (on an error path). */
void digest_free(struct digest_ctx *ctx);

void digest_buf(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1]);

/* True for "sha256:" followed by exactly 64 lowercase hex digits. */
bool digest_is_valid(const char *s);
/* The same check with an error naming what was wrong ("unsupported digest
 * algorithm sha512", "bad digest sha256:xyz: not 64 hex digits"). */
int digest_validate(const char *s, struct berth_err *err);
/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *digest)
{
	return digest + sizeof(DIGEST_PREFIX) - 1;
}
bool digest_is_hex64(const char *s);
