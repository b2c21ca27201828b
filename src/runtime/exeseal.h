/* The runtime's own binary, out of a container's reach (CVE-2019-5736
 * class). A process the runtime forks into a container is the host's
 * berth binary until it calls execve: a process in the container that
 * reaches it (/proc/PID/exe) could open the binary, wait for ETXTBSY to
 * clear and rewrite it, and the host would later run it as root. So every
 * berth process that puts a process into a container runs from a
 * read-only clone of its own file (a detached bind mount, made read-only
 * with mount_setattr, and executed through its fd): /proc/PID/exe then
 * names a file no one can open for writing. Where the kernel cannot do
 * that (before Linux 5.12, or without the right to clone mounts, as a
 * rootless caller), a sealed memfd copy is used instead, and only when
 * the binary is writable by this process at all. */
#pragma once

#include <stdbool.h>

struct berth_err;

/* Remembers argv for exeseal_reexec; main calls it first. */
void exeseal_init(char **argv);

/* Unless this process already runs from a sealed or read-only file,
 * executes the same program again (same argv and environment, fds kept)
 * from a sealed copy; returns 0 only when no re-execution was needed.
 * Call before doing anything with side effects. */
int exeseal_reexec(struct berth_err *err);

/* An O_PATH fd (close-on-exec) of a sealed copy of the running program,
 * to execute with execveat(AT_EMPTY_PATH) or as /proc/self/fd/N. */
int exeseal_open(struct berth_err *err);

/* Executes this program with argv from a sealed copy, telling it where it
 * lives on the host; returns only on failure. */
int exeseal_execv(char **argv, struct berth_err *err);

/* Whether the running program's file is sealed or read-only. */
bool exeseal_running_sealed(void);

/* The running program's path on the host, for finding what is installed
 * beside it (berth-monitor, berth-init), also when it runs sealed (then
 * /proc/self/exe names the clone). A new string, or NULL. */
char *exeseal_host_path(void);
