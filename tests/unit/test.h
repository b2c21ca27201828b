/* A minimal unit-test harness: each CHECK prints "ok N - what" or
 * "not ok N - what (file:line)"; TEST_DONE() prints a summary and returns
 * the exit status (non-zero when anything failed). */
#pragma once

#include <stdio.h>
#include <string.h>

static int test_n, test_failed;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		test_n++;                                                       \
		if (cond) {                                                     \
			printf("ok %d - ", test_n);                             \
		} else {                                                        \
			test_failed++;                                          \
			printf("not ok %d - (%s:%d: %s) ", test_n, __FILE__,    \
			       __LINE__, #cond);                                \
		}                                                               \
		printf(__VA_ARGS__);                                            \
		printf("\n");                                                   \
	} while (0)

#define CHECK_STR(a, b, what)                                                   \
	do {                                                                    \
		const char *a_ = (a), *b_ = (b);                                \
		CHECK(a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0,          \
		      "%s: got \"%s\", want \"%s\"", what, a_ ? a_ : "(null)",  \
		      b_ ? b_ : "(null)");                                      \
	} while (0)

#define TEST_DONE()                                                             \
	(printf("1..%d\n# %d passed, %d failed\n", test_n, test_n - test_failed, \
		test_failed),                                                   \
	 test_failed != 0)
