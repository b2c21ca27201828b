/* linux.seccomp: parsed from the spec and loaded with libseccomp. Every
 * action (errno with errnoRet, kill-process/thread, trap, log, trace,
 * notify, allow), every argument operator, architectures and flags. An
 * unknown syscall name is warned about and skipped, as runc does. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

struct berth_err;
struct seccomp_config;

/* Where compiled filters are cached (a directory made on first use; NULL:
 * no cache). The runtime sets its state root's .seccomp-cache. */
void seccomp_cache_dir(const char *dir);

int seccomp_config_parse(json_object *obj, const char *path, struct seccomp_config **out,
			 struct berth_err *err);
void seccomp_config_free(struct seccomp_config *c);

/* True when some rule uses SCMP_ACT_NOTIFY for a syscall libseccomp knows
 * (a listener fd will exist). */
bool seccomp_config_has_notify(const struct seccomp_config *c);
/* listenerPath and listenerMetadata, or NULL. */
const char *seccomp_config_listener_path(const struct seccomp_config *c);
const char *seccomp_config_listener_metadata(const struct seccomp_config *c);

/* Loads the filter into the calling process. When the profile uses notify,
 * *notify_fd receives the listener fd (else -1). */
int seccomp_config_apply(const struct seccomp_config *c, int *notify_fd, struct berth_err *err);

/* Sends the listener fd and the container state (runtime-spec
 * "containerProcessState") to listenerPath over SCM_RIGHTS. */
int seccomp_notify_send(const char *listener_path, int notify_fd, const char *state_json,
			struct berth_err *err);

/* What this build understands, for the `features` command: NULL-terminated
 * lists of the spec's names ("SCMP_ACT_ERRNO", "SCMP_CMP_EQ",
 * "SCMP_ARCH_X86_64", "SECCOMP_FILTER_FLAG_TSYNC"). Flags the linked
 * libseccomp cannot set are left out of seccomp_known_flags(). */
const char *const *seccomp_known_actions(void);
const char *const *seccomp_known_operators(void);
const char *const *seccomp_known_archs(void);
const char *const *seccomp_known_flags(void);
