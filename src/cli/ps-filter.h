/* `ps --filter KEY=VALUE`, as docker's daemon filters containers: the
 * values of one key are alternatives (status=exited --filter
 * status=created), different keys must all hold, and label= values all
 * hold. name= and id= are regular expressions (or the exact text), so
 * name=^app$ is the container called app. Keys: ancestor, before, expose,
 * exited, health, id, isolation, is-task, label, name, network, publish,
 * since, status, volume; any other is "Invalid filter 'KEY'", and a
 * status, health or isolation value docker does not know is refused too
 * ("Invalid filter 'status=VALUE'"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct berth_err;
struct engine_container;
struct ps_filters;

/* Parses specs (NULL: no filter) against the listed containers (before=
 * and since= name one of them). *out is NULL when there is nothing to
 * filter. */
int ps_filters_parse(char **specs, const struct engine_container *all, size_t n,
		     struct ps_filters **out, struct berth_err *err);
bool ps_filters_match(const struct ps_filters *f, const struct engine_container *c);
/* A status filter shows containers in every state, as -a (docker's). */
bool ps_filters_show_all(const struct ps_filters *f);
void ps_filters_free(struct ps_filters *f);
