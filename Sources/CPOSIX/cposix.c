#define _GNU_SOURCE  // accept4, sched_getaffinity, CPU_COUNT (see the note in cposix.h)
#include "cposix.h"
#include <sys/ioctl.h>
#include <linux/sockios.h>

int cposix_affinity_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}

int cposix_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int cposix_send_queue_bytes(int fd, int *count) {
    return ioctl(fd, SIOCOUTQ, count);
}

static void cposix_noop_handler(int signal) { (void)signal; }

void cposix_block_termination_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = cposix_noop_handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    // HelloWeb gives these no meaning: ignored, so a stray `kill -HUP` (a closed terminal,
    // a log rotator) does not end the server when it is not PID 1 (PID 1 ignores them anyway).
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void cposix_block_all_signals(void) {
    sigset_t set;
    sigfillset(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int cposix_wait_termination_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int received = 0;
    while (sigwait(&set, &received) != 0) {}
    return received;
}

int cposix_timed_wait_termination_signal(int timeout_ms) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    struct timespec timeout = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    int received = sigtimedwait(&set, NULL, &timeout);
    return received > 0 ? received : 0;
}

int cposix_thread_start(pthread_t *thread, void *(*body)(void *), void *context) {
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 512 * 1024);
    int result = pthread_create(thread, &attributes, body, context);
    pthread_attr_destroy(&attributes);
    return result;
}

static int saved_argc = 0;
static char **saved_argv = NULL;

/// glibc passes (argc, argv, envp) to ELF constructors, both in dynamic and static executables.
__attribute__((constructor)) static void cposix_save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

int cposix_argument_count(void) { return saved_argc; }

const char *cposix_argument(int index) {
    if (index < 0 || index >= saved_argc || saved_argv == NULL) return NULL;
    return saved_argv[index];
}
