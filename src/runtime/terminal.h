/* The container's terminal: a pty allocated from the container's own devpts
 * instance, its master handed to the caller over the console socket with
 * SCM_RIGHTS (as runc does), its slave the container's stdio and
 * controlling terminal. */
#pragma once

struct berth_err;

/* Connects to the caller's console socket (a unix stream socket path). */
int terminal_connect(const char *socket_path, struct berth_err *err);

/* Opens a new pty from ROOT/dev/pts/ptmx (resolved inside rootfd, or the
 * current root when rootfd is -1), sets its size when rows/cols are
 * non-zero. */
int terminal_open(int rootfd, unsigned short rows, unsigned short cols, int *master, int *slave,
		  struct berth_err *err);

/* Sends fd over sock with SCM_RIGHTS (the message names the pty, as runc). */
int terminal_send_fd(int sock, int fd, const char *name, struct berth_err *err);
/* Receives one fd sent with terminal_send_fd. */
int terminal_recv_fd(int sock, int *fd, struct berth_err *err);

/* New session; the slave becomes the controlling terminal and fds 0-2. */
int terminal_become_controlling(int slave, struct berth_err *err);

/* Copies between our stdin/stdout and master until the master hangs up,
 * with our terminal in raw mode while it runs; window size follows
 * SIGWINCH. Used by foreground `run`/`exec -t` without a console socket. */
int terminal_proxy(int master, struct berth_err *err);
