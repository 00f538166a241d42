#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CSpawn.h"

int sb_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int sb_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int sb_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

short sb_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int sb_socketpair_seqpacket(int fds[2]) { return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds); }

ssize_t sb_send_fds(int sock, const void *bytes, size_t length, const int *fds, int count) {
    if (count < 0 || count > SB_MAX_PASSED_FDS) { errno = EINVAL; return -1; }
    struct iovec iov = { .iov_base = (void *)bytes, .iov_len = length };
    union { char buffer[CMSG_SPACE(sizeof(int) * SB_MAX_PASSED_FDS)]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof(control));
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (count > 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
        memcpy(CMSG_DATA(header), fds, sizeof(int) * (size_t)count);
    }
    ssize_t sent;
    do { sent = sendmsg(sock, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    return sent;
}

ssize_t sb_recv_fds(int sock, void *bytes, size_t capacity, int *fds, int capacityFDs, int *received, int timeoutMilliseconds) {
    *received = 0;
    struct pollfd ready = { .fd = sock, .events = POLLIN };
    int polled;
    do { polled = poll(&ready, 1, timeoutMilliseconds); } while (polled < 0 && errno == EINTR);
    if (polled == 0) { errno = ETIMEDOUT; return -1; }
    if (polled < 0) return -1;
    struct iovec iov = { .iov_base = bytes, .iov_len = capacity };
    union { char buffer[CMSG_SPACE(sizeof(int) * SB_MAX_PASSED_FDS)]; struct cmsghdr align; } control;
    struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof(control.buffer) };
    ssize_t got;
    do { got = recvmsg(sock, &message, MSG_CMSG_CLOEXEC); } while (got < 0 && errno == EINTR);
    if (got < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int n = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *passed = (int *)CMSG_DATA(header);
        for (int i = 0; i < n; i++) {
            if (*received < capacityFDs) fds[(*received)++] = passed[i];
            else close(passed[i]);  // more than asked for: never leak them
        }
    }
    if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        for (int i = 0; i < *received; i++) close(fds[i]);
        *received = 0;
        errno = EMSGSIZE;
        return -1;
    }
    return got;
}

int sb_pidfd_send_signal(int pidfd, int signal) { return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0); }

int sb_wait_readable(int fd, int timeoutMilliseconds) {
    struct pollfd ready = { .fd = fd, .events = POLLIN };
    int polled;
    do { polled = poll(&ready, 1, timeoutMilliseconds); } while (polled < 0 && errno == EINTR);
    return polled;
}
