#define _GNU_SOURCE
// Bounded keep-alive load client for the rolling-restart run of scripts/bench.sh (issue 22).
// Usage: load PORT CONNECTIONS SECONDS
// Each of CONNECTIONS threads opens one keep-alive connection to 127.0.0.1:PORT and sends its
// next GET as soon as the previous response is complete, until the server closes the
// connection or SECONDS pass. No reconnect: a connection that ends is done (a new pod would
// take the next one). It prints one line:
//   ok=N resets=N unanswered=N truncated=N non2xx=N clean_close=N refused=N
// resets: ECONNRESET/EPIPE; unanswered: a request sent, then EOF before any response byte
// (it crossed the server's FIN: a client may retry it, nothing was lost to a reset);
// truncated: EOF or reset inside a response; clean_close: ended by EOF after a response.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int port, seconds;
static atomic_long ok, resets, unanswered, truncated, non2xx, clean_close, refused;
static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *run(void *unused) {
    (void)unused;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { refused++; close(fd); return NULL; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval timeout = { .tv_sec = 10 };  // bounded: a server that stops answering
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    double end = now() + seconds;
    char buffer[65536];
    size_t have = 0;
    while (now() < end) {
        if (send(fd, request, sizeof request - 1, MSG_NOSIGNAL) < 0) {
            if (errno == EPIPE || errno == ECONNRESET) resets++; else truncated++;
            break;
        }
        // One response: head up to CRLFCRLF, then Content-Length bytes.
        size_t head_end = 0, body = 0;
        int status = 0, closing = 0, ended = 0;
        for (;;) {
            char *terminator = NULL;
            if (have > 0) { buffer[have] = 0; terminator = strstr(buffer, "\r\n\r\n"); }
            if (terminator && !head_end) {
                head_end = (size_t)(terminator - buffer) + 4;
                status = atoi(buffer + 9);
                char *length = strcasestr(buffer, "\r\nContent-Length:");
                body = length && length < terminator ? (size_t)atol(length + 17) : 0;
                char *connection = strcasestr(buffer, "\r\nConnection: close");
                closing = connection && connection < terminator;
            }
            if (head_end && have >= head_end + body) break;
            ssize_t count = recv(fd, buffer + have, sizeof buffer - 1 - have, 0);
            if (count > 0) { have += (size_t)count; continue; }
            if (count == 0 && have == 0) { unanswered++; ended = 1; break; }
            if (count < 0 && errno == ECONNRESET && have == 0) { resets++; ended = 1; break; }
            truncated++; ended = 1; break;
        }
        if (ended) goto done;
        if (status >= 200 && status < 300) ok++; else non2xx++;
        memmove(buffer, buffer + head_end + body, have - head_end - body);
        have -= head_end + body;
        if (closing) {
            ssize_t count = recv(fd, buffer, sizeof buffer - 1, 0);
            if (count == 0) clean_close++; else if (count < 0 && errno == ECONNRESET) resets++; else truncated++;
            goto done;
        }
    }
done:
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: load PORT CONNECTIONS SECONDS\n"); return 2; }
    port = atoi(argv[1]);
    int connections = atoi(argv[2]);
    seconds = atoi(argv[3]);
    if (connections < 1 || connections > 4096 || seconds < 1 || seconds > 60) { fprintf(stderr, "load: 1..4096 connections, 1..60 s\n"); return 2; }
    pthread_t *threads = calloc((size_t)connections, sizeof *threads);
    for (int i = 0; i < connections; i++) pthread_create(&threads[i], NULL, run, NULL);
    for (int i = 0; i < connections; i++) pthread_join(threads[i], NULL);
    printf("ok=%ld resets=%ld unanswered=%ld truncated=%ld non2xx=%ld clean_close=%ld refused=%ld\n",
           ok, resets, unanswered, truncated, non2xx, clean_close, refused);
    return 0;
}
