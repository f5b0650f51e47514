/*
 * thread_name.c — naming the calling thread (plughost_process.h). pthread_setname_np needs
 * _GNU_SOURCE, which Swift's Glibc module does not define.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "plughost_process.h"

void ph_thread_set_name(const char *name) {
    char bounded[16];
    /* The kernel keeps 15 bytes and a NUL; a longer name would make the call fail. */
    strncpy(bounded, name, sizeof bounded - 1);
    bounded[sizeof bounded - 1] = '\0';
    (void)pthread_setname_np(pthread_self(), bounded);
}
