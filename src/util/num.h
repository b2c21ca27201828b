/* Integers from text, checked. strtol and friends clamp an overflow to
 * LONG_MAX (and strtoul turns "-1" into ULONG_MAX), atoi's overflow is
 * undefined, and all of them stop quietly at the first character they do
 * not take: "on-failure:99999999999999999999" became -1 after a cast, and
 * "12abc" became 12. Every number Berth reads from a flag, an environment
 * variable, a config file or its own arguments goes through these instead:
 * the whole string must be the number, and a value outside [min, max]
 * (overflow included) is refused, never clamped or wrapped.
 *
 * What is accepted is what Go's strconv.ParseInt/ParseUint accept (docker
 * and runc are Go): an optional '+' or '-' for the signed parser, no sign
 * for the unsigned one, no blanks, no base prefix. */
#pragma once

#include <stdint.h>

/* Return 0 with *out set, -EINVAL when s is not a number in base (empty,
 * blanks, other characters, a sign where none is allowed), or -ERANGE when
 * it is one but lies outside [min, max]. base is 8, 10 or 16. *out is left
 * alone on failure. */
int num_parse_i64(const char *s, int base, int64_t min, int64_t max, int64_t *out);
int num_parse_u64(const char *s, int base, uint64_t max, uint64_t *out);
/* Decimal, into an int. */
int num_parse_int(const char *s, int min, int max, int *out);
/* The digits at *s (at least one, no sign) as a number in [0, max], *s
 * advanced past them: for numbers inside a list or a line ("0-3,7",
 * "FD:WANT"), where the caller checks what follows. */
int num_take_u64(const char **s, int base, uint64_t max, uint64_t *out);

/* A size as docker's go-units RAMInBytes reads it: "1024", "64m", "1.5g",
 * "512KiB", "100b", "1 k" (binary units k m g t p, an optional 'i' and
 * 'b'); at most INT64_MAX bytes. Whole numbers are exact (no trip through
 * a double); a fraction is rounded down to a byte. No sign: the callers
 * that take "-1" for unlimited check for it first. */
int num_parse_size(const char *s, int64_t *out);

/* How strconv words a failure of the above: "invalid syntax" or "value out
 * of range", so flag errors can read as docker's
 * ("strconv.ParseInt: parsing "12abc": invalid syntax"). */
const char *num_strerror(int r);
