#include "util/digest.h"

/* OpenSSL's SHA256_* functions, not EVP: OpenSSL 3 deprecates them, but EVP
 * finds its sha256 through the provider machinery, whose first use costs
 * about 0.65 ms per process here: more than the hashing in a short command
 * (a container start hashes a seccomp profile). Both run the same
 * assembly, so long streams hash as fast either way. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static void oom(void)
{
	fputs("berth: out of memory (sha256)\n", stderr);
	abort();
}

void digest_init(struct digest_ctx *ctx)
{
	SHA256_CTX *md = malloc(sizeof(*md));

	if (md == NULL || SHA256_Init(md) != 1)
		oom();
	ctx->md = md;
}

void digest_update(struct digest_ctx *ctx, const void *buf, size_t len)
{
	if (len > 0 && SHA256_Update(ctx->md, buf, len) != 1)
		oom();
}

void digest_final(struct digest_ctx *ctx, char out[DIGEST_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *p;

	if (SHA256_Final(md, ctx->md) != 1)
		oom();
	free(ctx->md);
	ctx->md = NULL;
	memcpy(out, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1);
	p = out + sizeof(DIGEST_PREFIX) - 1;
	for (unsigned int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

void digest_free(struct digest_ctx *ctx)
{
	free(ctx->md);
	ctx->md = NULL;
}

void digest_buf(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1])
{
	struct digest_ctx ctx;

	digest_init(&ctx);
	digest_update(&ctx, buf, len);
	digest_final(&ctx, out);
}

bool digest_is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < DIGEST_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

bool digest_is_valid(const char *s)
{
	return s != NULL && strncmp(s, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1) == 0 &&
	       digest_is_hex64(s + sizeof(DIGEST_PREFIX) - 1);
}

int digest_validate(const char *s, struct berth_err *err)
{
	const char *colon;

	if (digest_is_valid(s))
		return 0;
	colon = s != NULL ? strchr(s, ':') : NULL;
	if (colon == NULL)
		return berth_err_set(err, 0, "bad digest \"%s\": no algorithm", s ? s : "");
	if (strncmp(s, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1) != 0)
		return berth_err_set(err, 0, "unsupported digest algorithm %.*s in \"%s\"",
				     (int)(colon - s), s, s);
	return berth_err_set(err, 0, "bad digest \"%s\": not 64 lowercase hex digits", s);
}
