#include "util/err.h"

#include <stdio.h>
#include <string.h>

int berth_err_set(struct berth_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL)
		return -1;
	err->code = errnum;
	err->cmd_status = 0;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (errnum != 0 && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
	return -1;
}

int berth_err_wrap(struct berth_err *err, const char *fmt, ...)
{
	char prefix[512];
	char old[BERTH_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	size_t plen;

	memcpy(old, err->msg, sizeof(old));
	plen = strlen(prefix);
	/* prefix + ": " + old, truncated to the buffer. */
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, ": ", 2);
	memcpy(err->msg + plen + 2, old, sizeof(err->msg) - plen - 3);
	err->msg[sizeof(err->msg) - 1] = '\0';
	return -1;
}

void berth_err_clear(struct berth_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->cmd_status = 0;
	err->msg[0] = '\0';
}
