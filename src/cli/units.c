#include "cli/units.h"

#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/human.h"
#include "util/num.h"

int cli_parse_size(const char *s, int64_t *out)
{
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	return num_parse_size(s, out) < 0 ? -1 : 0;
}

int cli_parse_duration(const char *s, struct timespec *out)
{
	int64_t ns;

	if (*s == '-' || *s == '+' || human_parse_go_duration(s, &ns) < 0 || ns <= 0 ||
	    ns > (int64_t)1e18)
		return -1;
	out->tv_sec = (time_t)(ns / 1000000000);
	out->tv_nsec = (long)(ns % 1000000000);
	return 0;
}
