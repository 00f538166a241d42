#ifndef SANDBENCH_CCURL_SHIM_H
#define SANDBENCH_CCURL_SHIM_H
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

// libcurl's option setters are variadic C functions, which Swift cannot call; these typed wrappers can be.
static inline CURLcode sb_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_easy_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_easy_setopt_write_cb(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
static inline CURLcode sb_easy_setopt_header_cb(CURL *h, size_t (*cb)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb); }
static inline CURLcode sb_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sb_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sb_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode sb_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

// The event-driven multi interface (curl_multi_socket_action) over epoll. libcurl tells which
// sockets to watch and when its next timeout is due through two callbacks; both run on the driver
// thread inside libcurl calls, so they are plain C here: no Swift, no allocation, no locks.

/// What the socket callback needs: the epoll set and the multi handle (to remember, per socket,
/// which events are registered, so an unchanged wish costs no system call).
typedef struct {
    int epfd;
    CURLM *multi;
} sb_epoll_context;

/// The socket callback: mirrors libcurl's wish for socket `s` into the epoll set (level-triggered).
/// The registered events ride along as libcurl's per-socket pointer (`curl_multi_assign`, plus one
/// so that "none yet" is NULL); libcurl forgets it when it drops the socket, exactly when the
/// registration goes. A socket libcurl already closed is gone from the set by itself, so failures
/// of EPOLL_CTL_DEL are ignored.
static inline int sb_curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
    (void)easy;
    sb_epoll_context *context = (sb_epoll_context *)userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(context->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
    ev.data.fd = s;
    uintptr_t registered = (uintptr_t)socketp;
    if (registered == (uintptr_t)ev.events + 1) return 0;
    int op = registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(context->epfd, op, s, &ev) != 0) {
        // A socket number libcurl reused while the old registration lingered, or the reverse.
        if (errno == EEXIST) op = EPOLL_CTL_MOD;
        else if (errno == ENOENT) op = EPOLL_CTL_ADD;
        else return -1;
        if (epoll_ctl(context->epfd, op, s, &ev) != 0) return -1;
    }
    curl_multi_assign(context->multi, s, (void *)((uintptr_t)ev.events + 1));
    return 0;
}

/// Now on the monotonic clock, in nanoseconds.
static inline int64_t sb_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/// The timer callback: stores when libcurl wants CURL_SOCKET_TIMEOUT into the int64_t at `userp`,
/// in monotonic nanoseconds, or -1 when it wants no timer. One-shot, as libcurl expects.
static inline int sb_curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    int64_t *deadline = (int64_t *)userp;
    if (timeout_ms < 0) *deadline = -1;
    else if (timeout_ms > 86400000L) *deadline = sb_monotonic_ns() + (int64_t)86400000 * 1000000;
    else *deadline = sb_monotonic_ns() + (int64_t)timeout_ms * 1000000;
    return 0;
}

/// Hooks `context->multi` up to the epoll set `context->epfd` and the timer slot `deadline`; both
/// must outlive the multi handle.
static inline CURLMcode sb_multi_use_epoll(sb_epoll_context *context, int64_t *deadline) {
    CURLM *m = context->multi;
    CURLMcode rc;
    if ((rc = curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, sb_curl_socket_cb)) != CURLM_OK) return rc;
    if ((rc = curl_multi_setopt(m, CURLMOPT_SOCKETDATA, (void *)context)) != CURLM_OK) return rc;
    if ((rc = curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, sb_curl_timer_cb)) != CURLM_OK) return rc;
    return curl_multi_setopt(m, CURLMOPT_TIMERDATA, (void *)deadline);
}

/// Milliseconds until `deadline` (rounded up, so the timer is never run early), 0 when it has
/// passed, `cap` when there is none or it is further away.
static inline int sb_timeout_ms(int64_t deadline, int cap) {
    if (deadline < 0) return cap;
    int64_t left = deadline - sb_monotonic_ns();
    if (left <= 0) return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > cap ? cap : (int)ms;
}

/// epoll_wait into plain arrays (struct epoll_event is packed on x86-64, awkward from Swift). The
/// events are translated to libcurl's CURL_CSELECT_* bits. Returns the count, or -1 with errno.
static inline int sb_epoll_wait(int epfd, int *fds, int *flags, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint32_t e = events[i].events;
        int f = 0;
        if (e & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) f |= CURL_CSELECT_IN;
        if (e & EPOLLOUT) f |= CURL_CSELECT_OUT;
        if (e & EPOLLERR) f |= CURL_CSELECT_ERR;
        fds[i] = events[i].data.fd;
        flags[i] = f;
    }
    return n;
}

/// A new epoll set, or -1.
static inline int sb_epoll_new(void) { return epoll_create1(EPOLL_CLOEXEC); }

/// A new non-blocking eventfd that wakes the epoll set `epfd` when written, or -1.
static inline int sb_wakeup_new(int epfd) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return -1;
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) { close(fd); return -1; }
    return fd;
}

/// Wakes the thread waiting on the eventfd's epoll set; safe from any thread.
static inline void sb_wakeup_signal(int fd) { eventfd_write(fd, 1); }

/// Resets the eventfd after a wakeup.
static inline void sb_wakeup_drain(int fd) { eventfd_t value; eventfd_read(fd, &value); }
// The built-in HTTP/1.1 client (HarnessHTTP/HTTP1) drives plain sockets on its own epoll set.

/// A non-blocking TCP socket (TCP_NODELAY) with a connect to `address` (4 bytes for AF_INET, 16 for
/// AF_INET6) and `port` under way; -1 with `*error` set when it failed at once.
static inline int sb_h1_connect(int family, const unsigned char *address, int port, int *error) {
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { *error = errno; return -1; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    socklen_t length;
    if (family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        memcpy(&in6->sin6_addr, address, 16);
        length = sizeof *in6;
    } else {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&storage;
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        memcpy(&in4->sin_addr, address, 4);
        length = sizeof *in4;
    }
    if (connect(fd, (struct sockaddr *)&storage, length) != 0 && errno != EINPROGRESS) {
        *error = errno;
        close(fd);
        return -1;
    }
    return fd;
}

/// The pending error of socket `fd` (SO_ERROR: 0 once a connect succeeded).
static inline int sb_socket_error(int fd) {
    int value = 0;
    socklen_t length = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0) return errno;
    return value;
}

/// Adds (`op` EPOLL_CTL_ADD) or changes (EPOLL_CTL_MOD) `fd`'s level-triggered registration: readable
/// always, writable when `writable`. Returns 0, or -1 with errno.
static inline int sb_epoll_watch(int epfd, int op, int fd, int writable) {
    struct epoll_event ev = {0};
    ev.events = EPOLLIN | EPOLLRDHUP | (writable ? EPOLLOUT : 0);
    ev.data.fd = fd;
    return epoll_ctl(epfd, op, fd, &ev);
}

/// Sends without SIGPIPE for a peer that has gone: the error comes back as EPIPE instead.
static inline ssize_t sb_send(int fd, const void *bytes, size_t count) { return send(fd, bytes, count, MSG_NOSIGNAL); }
#endif
