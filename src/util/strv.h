/* NULL-terminated string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

size_t strv_len(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
void strv_push_take(char ***v, char *s);
char **strv_dup(char *const *v);
bool strv_contains(char *const *v, const char *s);
void strv_free(char **v);
