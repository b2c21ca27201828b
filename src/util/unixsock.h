/* Unix sockets: connecting by path, and passing one fd with a message
 * (SCM_RIGHTS), as the console socket, the seccomp listener and the
 * runtime's own sync channel all do. Errors are left in errno. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* A connected SOCK_STREAM socket (close-on-exec), or -1. Paths longer
 * than sun_path work too (through /proc/self/fd of their directory). */
int unixsock_connect(const char *path);
/* The same with another type (SOCK_SEQPACKET). */
int unixsock_connect_type(const char *path, int type);
/* A socket bound to path and listening (close-on-exec), or -1. */
int unixsock_listen(const char *path, int type, int backlog);

/* One sendmsg of buf (len > 0 on stream sockets: ancillary data travels
 * with real bytes) with fd attached when fd >= 0; EINTR retried, no
 * SIGPIPE. Returns the bytes sent or -1. */
ssize_t unixsock_send_fd(int sock, const void *buf, size_t len, int fd);

/* One recvmsg into buf; *fd gets an attached fd (close-on-exec) or -1.
 * Returns the bytes received (0 at EOF) or -1. */
ssize_t unixsock_recv_fd(int sock, void *buf, size_t cap, int *fd);
