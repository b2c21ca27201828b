/* linux.seccomp: parsed from the spec and loaded with libseccomp. Every
 * action (errno with errnoRet, kill-process/thread, trap, log, trace,
 * notify, allow), every argument operator, architectures and flags. An
 * unknown syscall name is warned about and skipped, as runc does. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

struct berth_err;
struct seccomp_config;

int seccomp_config_parse(json_object *obj, const char *path, struct seccomp_config **out,
			 struct berth_err *err);
void seccomp_config_free(struct seccomp_config *c);

/* True when some rule uses SCMP_ACT_NOTIFY (a listener fd will exist). */
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
