#define _GNU_SOURCE
#include "plughost_process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static ph_crash_record_t *record;
static int notify_descriptor = -1;
/* This thread's slot, or -1 before its first plugin call. Initial-exec TLS: safe to read in a
 * signal handler. */
static __thread int32_t thread_slot = -1;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
static struct sigaction previous_actions[NSIG];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* strncpy that always terminates and never reads past the source's end. */
static void copy_text(char *destination, size_t capacity, const char *source) {
    size_t length = source == NULL ? 0 : strnlen(source, capacity - 1);
    memcpy(destination, source == NULL ? "" : source, length);
    destination[length] = '\0';
}

int ph_record_create(const char *directory) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/plughost-crash-record-XXXXXX", directory) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) return -1;
    unlink(path);
    ph_crash_record_t empty;
    memset(&empty, 0, sizeof empty);
    empty.magic = PH_RECORD_MAGIC;
    empty.size = sizeof empty;
    empty.crash_slot = PH_RECORD_NO_SLOT;
    empty.exit_slot = PH_RECORD_NO_SLOT;
    if (pwrite(fd, &empty, sizeof empty, 0) != (ssize_t)sizeof empty) {
        int saved = errno;
        close(fd);
        errno = saved == 0 ? EIO : saved;
        return -1;
    }
    return fd;
}

int ph_record_read(int fd, ph_crash_record_t *out) {
    ssize_t got = pread(fd, out, sizeof *out, 0);
    if (got != (ssize_t)sizeof *out || out->magic != PH_RECORD_MAGIC || out->size != sizeof *out) {
        errno = got < 0 ? errno : EINVAL;
        return -1;
    }
    return 0;
}

int ph_record_attach(int fd, int notify_fd) {
    void *mapped = mmap(NULL, sizeof(ph_crash_record_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) return -1;
    ph_crash_record_t *candidate = mapped;
    if (candidate->magic != PH_RECORD_MAGIC || candidate->size != sizeof *candidate) {
        munmap(mapped, sizeof *candidate);
        errno = EINVAL;
        return -1;
    }
    record = candidate;
    notify_descriptor = notify_fd;
    return 0;
}

static void on_fatal_signal(int signal_number, siginfo_t *info, void *context) {
    if (record != NULL) {
        int32_t none = 0;
        /* The first fatal signal is the crash; a second one (say, in a chained handler) is not. */
        if (__atomic_compare_exchange_n(&record->crash_signal, &none, signal_number, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            record->crash_slot = thread_slot;
            record->fault_address = (uint64_t)(uintptr_t)info->si_addr;
            record->crash_ns = now_ns();
            if (notify_descriptor >= 0) {
                static const char crashed[] = "{\"event\":\"crashed\"}\n";
                ssize_t ignored = send(notify_descriptor, crashed, sizeof crashed - 1, MSG_NOSIGNAL);
                (void)ignored;
            }
            /* Log lines the worker accepted but had not written yet. */
            ph_log_queue_write_pending();
        }
    }
    struct sigaction *previous = &previous_actions[signal_number];
    if ((previous->sa_flags & SA_SIGINFO) && previous->sa_sigaction != NULL) {
        previous->sa_sigaction(signal_number, info, context);
        return;
    }
    if (previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN && previous->sa_handler != NULL) {
        previous->sa_handler(signal_number);
        return;
    }
    /* Default action. A fault returns to the faulting instruction, which faults again and now
     * kills the process with this signal; a sent signal (abort, kill) must be raised again. */
    signal(signal_number, SIG_DFL);
    if (info->si_code <= 0) raise(signal_number);
}

/* Runs on the thread that called exit(), before the process ends (not after _exit(), which runs
 * no handler: the supervisor then knows only that exit() was not called). */
static void on_exit_called(void) {
    if (record == NULL) return;
    if (thread_slot >= 0 && __atomic_load_n(&record->slots[thread_slot].active, __ATOMIC_ACQUIRE)) record->exit_slot = thread_slot;
    __atomic_store_n(&record->exit_called, 1, __ATOMIC_RELEASE);
}

void ph_record_install_crash_handlers(void) {
    if (record == NULL) return;
    atexit(on_exit_called);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_fatal_signal;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        sigaction(fatal_signals[i], &action, &previous_actions[fatal_signals[i]]);
    }
}

int32_t ph_record_add_plugin(const char *file, const char *sha256) {
    if (record == NULL || record->plugin_count >= PH_RECORD_PLUGINS) return -1;
    int32_t index = (int32_t)record->plugin_count;
    ph_record_plugin_t *plugin = &record->plugins[index];
    copy_text(plugin->file, sizeof plugin->file, file);
    copy_text(plugin->sha256, sizeof plugin->sha256, sha256);
    plugin->name[0] = '\0';
    __atomic_store_n(&record->plugin_count, (uint32_t)index + 1, __ATOMIC_RELEASE);
    return index;
}

void ph_record_set_plugin_name(int32_t index, const char *name) {
    if (record == NULL || index < 0 || index >= (int32_t)record->plugin_count) return;
    copy_text(record->plugins[index].name, sizeof record->plugins[index].name, name);
}

/* Gives this thread an alternate signal stack unless it has one: without it, the handler cannot
 * run after a stack overflow and the crash goes unattributed. Leaked with the thread (pool and
 * event-loop threads live as long as the process). */
static void ensure_alternate_stack(void) {
    stack_t current;
    if (sigaltstack(NULL, &current) != 0 || !(current.ss_flags & SS_DISABLE)) return;
    size_t size = 64 * 1024;
    void *memory = malloc(size);
    if (memory == NULL) return;
    stack_t stack = {.ss_sp = memory, .ss_size = size, .ss_flags = 0};
    if (sigaltstack(&stack, NULL) != 0) free(memory);
}

void ph_record_enter(int32_t index, const char *what) {
    if (record == NULL) return;
    if (thread_slot < 0) {
        if (__atomic_load_n(&record->slot_count, __ATOMIC_RELAXED) >= PH_RECORD_SLOTS) return; /* untracked */
        uint32_t slot = __atomic_fetch_add(&record->slot_count, 1, __ATOMIC_RELAXED);
        if (slot >= PH_RECORD_SLOTS) return;
        thread_slot = (int32_t)slot;
        ensure_alternate_stack();
    }
    ph_record_slot_t *slot = &record->slots[thread_slot];
    slot->plugin = index;
    slot->started_ns = now_ns();
    copy_text(slot->what, sizeof slot->what, what);
    __atomic_store_n(&slot->active, 1, __ATOMIC_RELEASE);
}

void ph_record_leave(void) {
    if (record == NULL || thread_slot < 0) return;
    __atomic_store_n(&record->slots[thread_slot].active, 0, __ATOMIC_RELEASE);
}

void ph_record_note_host_exit(void) {
    if (record == NULL) return;
    __atomic_store_n(&record->host_exit, 1, __ATOMIC_RELEASE);
}
