#include "cli/exit.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/err.h"
#include "util/log.h"
#include "util/quote.h"

int cli_exit(int r, struct berth_err *err)
{
	char *msg;

	if (fflush(stdout) != 0 && r >= 0) {
		berth_err_set(err, 0, "write to stdout failed");
		r = -1;
	}
	if (r >= 0)
		return r;
	/* Messages name files a container or an archive chose: a newline or
	 * an escape sequence in one is printed escaped (util/quote.h). */
	msg = quote_controls(err->msg);
	fprintf(stderr, "berth: %s\n", msg);
	if (log_has_file())
		log_error("%s", msg);
	free(msg);
	return err->exit_status != 0 ? err->exit_status : 1;
}
