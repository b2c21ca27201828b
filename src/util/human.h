/* Sizes and durations printed as docker prints them (go-units):
 *   human_size(4261888)       -> "4.26MB"   (decimal, 3 significant digits)
 *   human_size4(4261888)      -> "4.262MB"  (decimal, 4 significant digits)
 *   human_size_binary(...)    -> "4.064MiB" (podman/du style, 4 significant)
 *   human_duration(5)         -> "5 seconds"; "About a minute"; "2 hours";
 *                                "3 days"; "2 weeks"; "4 months"; "2 years"
 * and parsing of sizes with units ("10m", "1.5GB", "512k"). */
#pragma once

#include <stdint.h>
#include <time.h>

struct berth_err;

/* Writes into buf (at least 32 bytes) and returns it. */
char *human_size(double bytes, char buf[static 32]);
/* human_size with 4 significant digits, "4.262MB" (go-units HumanSize). */
char *human_size4(double bytes, char buf[static 32]);
char *human_size_binary(double bytes, char buf[static 32]);
/* seconds >= 0; go-units HumanDuration. */
char *human_duration(double seconds, char buf[static 32]);
/* A Go time.Duration as its String method prints it: "30s", "1m30s",
 * "1h0m0s", "1.5s", "500ms", "0s". */
char *human_go_duration(int64_t ns, char buf[static 32]);
/* A Go time.Duration as time.ParseDuration reads it: "30s", "1m30s",
 * "-2h", "0"; in nanoseconds. Returns -1 otherwise. */
int human_parse_go_duration(const char *s, int64_t *ns);
/* [0-9]+(.[0-9]+)? at s, and nothing strtod would add (signs, exponents,
 * hex, "inf", spaces): *v its value, *end what follows; -1 when s does
 * not start with one. */
int human_parse_decimal(const char *s, double *v, const char **end);
/* "<duration> ago" relative to now, as docker's CREATED column; "Less than a
 * second ago" for the future and the present. */
char *human_since(time_t then, time_t now, char buf[static 48]);

/* RFC 3339 with nanoseconds as Go prints time.Time in JSON:
 * "2024-05-01T12:00:00.123456789Z" (fraction trimmed of trailing zeros). */
char *human_rfc3339(int64_t sec, long nsec, char buf[static 48]);
/* Parses RFC 3339 ("2024-05-01T12:00:00Z", with optional fraction and
 * offset). */
int human_parse_rfc3339(const char *s, int64_t *sec, long *nsec, struct berth_err *err);
