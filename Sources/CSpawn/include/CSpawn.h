#ifndef SANDBENCH_CSPAWN_H
#define SANDBENCH_CSPAWN_H
#include <spawn.h>
#include <sys/types.h>

/// glibc's GNU spawn and pipe extensions, which Swift's Glibc module does not export.
int sb_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
int sb_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
int sb_pipe_cloexec(int fds[2]);
short sb_spawn_setsid_flag(void);

/// Most descriptors passed in one message either way.
#define SB_MAX_PASSED_FDS 8
/// An AF_UNIX SOCK_SEQPACKET pair, both ends close-on-exec.
int sb_socketpair_seqpacket(int fds[2]);
/// Sends one datagram with `count` descriptors attached (SCM_RIGHTS); retries EINTR, never raises SIGPIPE.
ssize_t sb_send_fds(int sock, const void *bytes, size_t length, const int *fds, int count);
/// Waits up to `timeoutMilliseconds` (-1: forever) for one datagram and receives it with its descriptors
/// (close-on-exec), at most `capacityFDs` of them (the rest are closed). -1 with errno ETIMEDOUT on timeout,
/// EMSGSIZE (and nothing kept) when the datagram or its descriptors were cut short.
ssize_t sb_recv_fds(int sock, void *bytes, size_t capacity, int *fds, int capacityFDs, int *received, int timeoutMilliseconds);
/// pidfd_send_signal(2).
int sb_pidfd_send_signal(int pidfd, int signal);
/// poll(2) for POLLIN on one descriptor: 1 readable, 0 timeout, -1 error.
int sb_wait_readable(int fd, int timeoutMilliseconds);
#endif
