#ifndef CPOSIX_H
#define CPOSIX_H
#include <errno.h>
#include <unistd.h>
static inline int cposix_errno(void) { return errno; }
#endif
