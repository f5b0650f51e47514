/*
 * The log queue (plughost_process.h): lines rendered once, appended by any thread under a short
 * lock, written in batches by one writer thread, and written out by the crash handler when the
 * process dies with lines still queued. Two buffers: producers fill one while the writer writes
 * the other, so a write never holds up a request.
 */
#include "plughost_process.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PH_LOG_QUEUE_FDS 4

static struct {
    pthread_mutex_t lock;
    pthread_cond_t has_lines;
    pthread_cond_t drained;
    char *buffers[2];
    size_t capacity;
    /* Producers append to buffers[active]; buffers[!active] holds the batch being written. */
    int active;
    size_t used[2];
    int in_flight;
    int flush_waiters;
    /* Where the crash handler writes what is left; read without the lock in a signal handler. */
    int fds[PH_LOG_QUEUE_FDS];
    int fd_count;
    /* Set by the crash handler: from then on a push never returns, so no thread can answer a
     * request whose line the handler did not write. `pushing` counts pushes under way, so that
     * the handler waits for a line already being copied. */
    int crashing;
    int pushing;
} queue = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .has_lines = PTHREAD_COND_INITIALIZER,
    .drained = PTHREAD_COND_INITIALIZER,
};

static int push_locked(const void *bytes, size_t length);

int ph_log_queue_init(size_t capacity) {
    if (queue.capacity != 0) return 0;
    char *first = malloc(capacity);
    char *second = malloc(capacity);
    if (first == NULL || second == NULL) {
        free(first);
        free(second);
        errno = ENOMEM;
        return -1;
    }
    pthread_mutex_lock(&queue.lock);
    queue.buffers[0] = first;
    queue.buffers[1] = second;
    queue.capacity = capacity;
    pthread_mutex_unlock(&queue.lock);
    return 0;
}

void ph_log_queue_set_crash_fds(const int *fds, int count) {
    if (count > PH_LOG_QUEUE_FDS) count = PH_LOG_QUEUE_FDS;
    for (int index = 0; index < count; index++) __atomic_store_n(&queue.fds[index], fds[index], __ATOMIC_RELEASE);
    __atomic_store_n(&queue.fd_count, count, __ATOMIC_RELEASE);
}

int ph_log_queue_push(const void *bytes, size_t length) {
    ph_log_queue_hold();
    return ph_log_queue_push_held(bytes, length);
}

void ph_log_queue_hold(void) {
    __atomic_add_fetch(&queue.pushing, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&queue.crashing, __ATOMIC_SEQ_CST)) {
        __atomic_sub_fetch(&queue.pushing, 1, __ATOMIC_SEQ_CST);
        /* The process is dying; the request that logs this must not be answered. */
        for (;;) pause();
    }
}

int ph_log_queue_push_held(const void *bytes, size_t length) {
    int accepted = push_locked(bytes, length);
    __atomic_sub_fetch(&queue.pushing, 1, __ATOMIC_SEQ_CST);
    return accepted;
}

static int push_locked(const void *bytes, size_t length) {
    pthread_mutex_lock(&queue.lock);
    size_t used = queue.used[queue.active];
    if (queue.capacity == 0 || length > queue.capacity - used) {
        pthread_mutex_unlock(&queue.lock);
        return 0;
    }
    memcpy(queue.buffers[queue.active] + used, bytes, length);
    queue.used[queue.active] = used + length;
    /* One wake-up per batch: the writer is asleep only while the queue is empty. */
    if (used == 0) pthread_cond_signal(&queue.has_lines);
    pthread_mutex_unlock(&queue.lock);
    return 1;
}

static void sleep_ms(int milliseconds) {
    struct timespec duration = {milliseconds / 1000, (long)(milliseconds % 1000) * 1000000L};
    while (nanosleep(&duration, &duration) != 0 && errno == EINTR) {}
}

size_t ph_log_queue_take(int gather_ms, const void **bytes) {
    pthread_mutex_lock(&queue.lock);
    /* The batch taken last time has been written. */
    queue.used[!queue.active] = 0;
    queue.in_flight = 0;
    while (queue.used[queue.active] == 0) {
        pthread_cond_broadcast(&queue.drained);
        pthread_cond_wait(&queue.has_lines, &queue.lock);
    }
    if (gather_ms > 0 && queue.flush_waiters == 0) {
        /* Let more lines arrive so that one write carries many. */
        pthread_mutex_unlock(&queue.lock);
        sleep_ms(gather_ms);
        pthread_mutex_lock(&queue.lock);
    }
    int taken = queue.active;
    queue.active = !taken;
    queue.in_flight = 1;
    size_t length = queue.used[taken];
    *bytes = queue.buffers[taken];
    pthread_mutex_unlock(&queue.lock);
    return length;
}

void ph_log_queue_flush(void) {
    pthread_mutex_lock(&queue.lock);
    if (queue.capacity == 0) {
        pthread_mutex_unlock(&queue.lock);
        return;
    }
    queue.flush_waiters++;
    pthread_cond_signal(&queue.has_lines);
    while (queue.used[queue.active] != 0 || queue.in_flight) pthread_cond_wait(&queue.drained, &queue.lock);
    queue.flush_waiters--;
    pthread_mutex_unlock(&queue.lock);
}

static void write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        bytes += written;
        length -= (size_t)written;
    }
}

void ph_log_queue_write_pending(void) {
    /* No push starts from here on; wait (bounded: the crashing thread may be a pusher itself)
     * for those under way, so that every line a request was answered after is in the buffers. */
    __atomic_store_n(&queue.crashing, 1, __ATOMIC_SEQ_CST);
    for (int waited = 0; waited < 200 && __atomic_load_n(&queue.pushing, __ATOMIC_SEQ_CST) > 0; waited++) {
        struct timespec pause_for = {0, 50000L};
        nanosleep(&pause_for, NULL);
    }
    int active = __atomic_load_n(&queue.active, __ATOMIC_ACQUIRE);
    size_t in_flight = __atomic_load_n(&queue.in_flight, __ATOMIC_ACQUIRE) ? __atomic_load_n(&queue.used[!active], __ATOMIC_ACQUIRE) : 0;
    size_t queued = __atomic_load_n(&queue.used[active], __ATOMIC_ACQUIRE);
    if (queue.capacity == 0) return;
    if (in_flight > queue.capacity) in_flight = queue.capacity;
    if (queued > queue.capacity) queued = queue.capacity;
    int count = __atomic_load_n(&queue.fd_count, __ATOMIC_ACQUIRE);
    for (int index = 0; index < count; index++) {
        int fd = __atomic_load_n(&queue.fds[index], __ATOMIC_ACQUIRE);
        if (fd < 0) continue;
        /* The batch the writer was writing may reach the fd twice; a line lost is worse. */
        if (in_flight > 0) write_all(fd, queue.buffers[!active], in_flight);
        if (queued > 0) write_all(fd, queue.buffers[active], queued);
    }
}
