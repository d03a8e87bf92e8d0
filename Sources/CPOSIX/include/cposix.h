#ifndef CPOSIX_H
#define CPOSIX_H
// The POSIX surface HTTPServer and HelloWeb use. `import Glibc` is not available in
// Embedded Swift, so this header is the one place both build modes reach the C library.
// The inline helpers cover what Swift cannot express directly: errno, macros
// (CPU_COUNT, sigset helpers), and sockaddr casts.
//
// No feature macros (_GNU_SOURCE) here: this header's view of the C library must match the one
// Foundation's modules (CDispatch) have, or clang rejects the two definitions of types like fd_set
// when a module imports both. GNU-only calls live in cposix.c, which defines _GNU_SOURCE itself.
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>

static inline int cposix_errno(void) { return errno; }

/// The process arguments, saved by a constructor before main runs (Embedded Swift has no
/// `CommandLine`). `cposix_argument(i)` is NULL past the end.
int cposix_argument_count(void);
const char *cposix_argument(int index);

/// Number of CPUs this process may run on (sched_getaffinity), or 0 if unknown.
int cposix_affinity_cpu_count(void);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC.
int cposix_accept(int fd);

/// ioctl(SIOCOUTQ): bytes in a TCP socket's send queue (unsent plus unacknowledged).
int cposix_send_queue_bytes(int fd, int *count);


/// Monotonic milliseconds (coarse clock: cheap, ~4 ms resolution, enough for timeouts).
static inline long long cposix_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/// Precise monotonic milliseconds (for deadlines set from outside the event loops).
static inline long long cposix_monotonic_precise_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/// Wall-clock seconds since the epoch (coarse clock).
static inline long long cposix_wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (long long)ts.tv_sec;
}

/// open(2) for reading (open is variadic, which Swift cannot call).
static inline int cposix_open_read_only(const char *path) {
    return open(path, O_RDONLY | O_CLOEXEC);
}

static inline int cposix_set_int_option(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value));
}

/// Sets SO_RCVTIMEO and SO_SNDTIMEO (used by the blocking health check client).
static inline int cposix_set_io_timeout_ms(int fd, int ms) {
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) return -1;
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/// Binds `fd` to an IPv4 address given as 4 bytes in network order.
static inline int cposix_bind_ipv4(int fd, const unsigned char addr[4], unsigned short port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    memcpy(&sa.sin_addr, addr, 4);
    return bind(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/// Binds `fd` to an IPv6 address given as 16 bytes in network order.
static inline int cposix_bind_ipv6(int fd, const unsigned char addr[16], unsigned short port) {
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    memcpy(&sa.sin6_addr, addr, 16);
    return bind(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/// Connects `fd` to an IPv4/IPv6 address (4 or 16 bytes, network order).
static inline int cposix_connect(int fd, int family, const unsigned char *addr, unsigned short port) {
    if (family == AF_INET) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        memcpy(&sa.sin_addr, addr, 4);
        return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    }
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    memcpy(&sa.sin6_addr, addr, 16);
    return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/// The pending error of a socket (SO_ERROR, e.g. the result of a non-blocking connect), or -1.
static inline int cposix_socket_error(int fd) {
    int value = 0;
    socklen_t length = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0) return -1;
    return value;
}

/// The local port a socket is bound to, or -1.
static inline int cposix_local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}


static inline int cposix_epoll_add(int epfd, int fd, unsigned int events, unsigned long long token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static inline int cposix_epoll_modify(int epfd, int fd, unsigned int events, unsigned long long token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

static inline int cposix_epoll_remove(int epfd, int fd) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

/// epoll_event is packed on x86_64; these accessors keep Swift away from its layout.
static inline unsigned long long cposix_event_token(const struct epoll_event *events, int index) {
    return events[index].data.u64;
}
static inline struct epoll_event *cposix_event_array_allocate(int count) {
    return (struct epoll_event *)calloc((size_t)count, sizeof(struct epoll_event));
}

/// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (threads created afterwards
/// inherit the mask) and installs no-op handlers for SIGTERM/SIGINT, so that a process
/// running as PID 1 still receives them (the kernel drops default-action signals sent to init).
void cposix_block_termination_signals(void);

/// Blocks every signal in the calling thread (worker threads: signals go to the main thread).
void cposix_block_all_signals(void);

/// Waits for SIGTERM or SIGINT (blocked beforehand) and returns its number.
int cposix_wait_termination_signal(void);

/// Waits up to `timeout_ms` for SIGTERM or SIGINT; returns the signal or 0 on timeout.
int cposix_timed_wait_termination_signal(int timeout_ms);

/// Starts a joinable thread running `body(context)`. Returns 0 or an errno value.
int cposix_thread_start(pthread_t *thread, void *(*body)(void *), void *context);

#endif
