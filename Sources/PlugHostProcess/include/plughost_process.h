/*
 * plughost_process.h — what the supervisor and its workers share below Swift: the worker's crash
 * record, and spawning a worker with inherited descriptors. Host-internal; plugins never see it.
 *
 * The crash record is a small file the supervisor creates (unlinked, so nothing is left on disk)
 * and hands to each worker as a descriptor. The worker maps it shared and notes, per thread, which
 * plugin call the thread is inside; its fatal-signal handler notes which thread crashed. When the
 * worker dies, the supervisor reads the record from its own descriptor: the memory outlives the
 * process that wrote it.
 */
#ifndef PLUGHOST_PROCESS_H
#define PLUGHOST_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PH_RECORD_MAGIC 0x31435250u /* "PRC1" */
#define PH_RECORD_PLUGINS 128
#define PH_RECORD_SLOTS 256
/* crash_slot before any crash, and for a crash on a thread that never called a plugin. */
#define PH_RECORD_NO_SLOT (-1)

/* One plugin file the worker loaded (or began to load), in load order. */
typedef struct {
    char file[128];   /* file name in the plugins directory */
    char sha256[68];  /* hex digest of the file as checked before dlopen */
    char name[64];    /* the name its magic block declares; empty until read */
} ph_record_plugin_t;

/* One thread that has called into plugin code. Written only by that thread. */
typedef struct {
    uint32_t active;      /* 1 while the thread is inside plugin code */
    int32_t plugin;       /* index into plugins */
    uint64_t started_ns;  /* CLOCK_MONOTONIC when the call began */
    char what[112];       /* e.g. "GET /api/fixture/crash", "middleware 'x' request hook" */
} ph_record_slot_t;

typedef struct {
    uint32_t magic;
    uint32_t size;         /* sizeof(ph_crash_record_t) */
    uint32_t plugin_count;
    uint32_t slot_count;   /* slots handed out so far (may exceed PH_RECORD_SLOTS: the rest untracked) */
    int32_t crash_signal;  /* 0 until a fatal signal arrives */
    int32_t crash_slot;    /* the crashing thread's slot, or PH_RECORD_NO_SLOT */
    uint32_t exit_called;  /* 1 once exit() ran its handlers (0 after an _exit: none run) */
    int32_t exit_slot;     /* the slot of the thread that called exit() from plugin code, or PH_RECORD_NO_SLOT */
    uint32_t host_exit;    /* 1 once the host itself decided to end the process (ph_record_note_host_exit) */
    uint64_t fault_address;
    uint64_t crash_ns;     /* CLOCK_MONOTONIC at the crash */
    ph_record_plugin_t plugins[PH_RECORD_PLUGINS];
    ph_record_slot_t slots[PH_RECORD_SLOTS];
} ph_crash_record_t;

/* Supervisor: a new, zeroed record file, already unlinked. Returns its descriptor (close-on-exec),
 * or -1 with errno set. `directory` is where to make it (e.g. /dev/shm or /tmp). */
int ph_record_create(const char *directory);

/* Supervisor: reads the record a worker wrote into `out`. Returns 0, or -1 with errno set. Call
 * it after the worker has exited; the worker's writes are then complete. */
int ph_record_read(int fd, ph_crash_record_t *out);

/* Worker: maps the record behind `fd` for the rest of the process's life. Returns 0, or -1 with
 * errno set. Until it succeeds every other worker function below does nothing. On a crash the
 * handler writes the line {"event":"crashed"} to `notify_fd` (when >= 0) at once, before any
 * slower handler it chains to (such as the Swift runtime's backtracer) runs: the supervisor can
 * start a replacement while this process is still dying. */
int ph_record_attach(int fd, int notify_fd);

/* Worker: installs the fatal-signal handlers (SEGV, BUS, ILL, FPE, ABRT, TRAP, SYS) that note the
 * crashing thread before the previous handler (or the default action) runs, and an atexit handler
 * that notes whether exit() was called and, if from plugin code, on which thread: a plugin that
 * ends the process with exit() is named like one that crashes it. Call once, after
 * ph_record_attach and before loading plugins. */
void ph_record_install_crash_handlers(void);

/* Worker: notes a plugin file about to be loaded; returns its index for ph_record_enter, or -1
 * when the table is full (calls are then unattributed). Strings are copied (truncated to fit).
 * Call from one thread at a time (the loader). */
int32_t ph_record_add_plugin(const char *file, const char *sha256);

/* Worker: sets the declared name of plugin `index`, once its magic block was read. */
void ph_record_set_plugin_name(int32_t index, const char *name);

/* Worker: the calling thread is about to run code of plugin `index`; `what` names the call and is
 * copied. Calls nest not: each ph_record_enter is followed by ph_record_leave on the same thread
 * before the next. The first call on a thread also gives it an alternate signal stack, so a stack
 * overflow in plugin code is still recorded. Async-signal-safe readers see either the old or the
 * new call, never a torn `active` flag. */
void ph_record_enter(int32_t index, const char *what);

/* Worker: the calling thread has returned from plugin code. */
void ph_record_leave(void);

/* Worker: the host itself is about to end the process (its command returned or failed). An exit
 * without this note was not the host's decision: plugin code, or a thread a plugin started. */
void ph_record_note_host_exit(void);

/* The log queue (log_queue.c). Log lines are rendered once and appended here by any thread; one
 * writer thread takes them in batches and writes each batch to every sink, so no request waits
 * for a write. If the process dies of a fatal signal, the crash handler writes what is still
 * queued (and the batch being written) to the crash descriptors: an accepted line is not lost.
 *
 * ph_log_queue_init: allocates two buffers of `capacity` bytes; once per process (later calls do
 *   nothing). Returns 0, or -1 with errno set. Before it, pushes are refused.
 * ph_log_queue_set_crash_fds: the descriptors the crash handler writes to (at most 4; copied).
 * ph_log_queue_push: appends `length` bytes (whole lines) and returns 1, or returns 0 when they do
 *   not fit (the caller counts the drop). Any thread; the bytes are copied. Once the crash handler
 *   has begun it never returns: no request can be answered after a line the handler did not write.
 * ph_log_queue_hold, ph_log_queue_push_held: a push in two steps, for a line that can only be
 *   made once what it reports has happened (the response line, once the response is out). The
 *   hold counts as a push under way from before the event, so the crash handler waits for the
 *   line as for any push; once the handler has begun, the hold never returns either. Every hold
 *   ends with one push_held (same result as ph_log_queue_push).
 * ph_log_queue_take: for the one writer thread. Waits until lines are queued, then `gather_ms`
 *   more (none while a flush waits), and takes them all: *bytes points at them until the next
 *   take, which also marks them written. Returns their length (never 0).
 * ph_log_queue_flush: returns once every line queued before the call has been written.
 * ph_log_queue_write_pending: async-signal-safe; for the crash handler. Stops further pushes,
 *   waits (at most 10 ms) for those under way, then writes. */
int ph_log_queue_init(size_t capacity);
void ph_log_queue_set_crash_fds(const int *fds, int count);
int ph_log_queue_push(const void *bytes, size_t length);
void ph_log_queue_hold(void);
int ph_log_queue_push_held(const void *bytes, size_t length);
size_t ph_log_queue_take(int gather_ms, const void **bytes);
void ph_log_queue_flush(void);
void ph_log_queue_write_pending(void);

/* pipe(2) and accept(2) with close-on-exec set atomically: a worker started meanwhile from
 * another thread must not inherit them. Return as the system calls do. */
int ph_pipe_cloexec(int fds[2]);
int ph_accept_cloexec(int fd);

/* Asks for a pipe buffer of `bytes` (Linux F_SETPIPE_SZ); returns the size granted, or -1. */
int ph_pipe_set_size(int fd, int bytes);

/* Starts `path` with `argv`/`envp` (NULL-terminated), `input` and `output` (above 2; -1 keeps
 * the caller's) becoming its standard input and output, the descriptors `fds[0..count)` becoming
 * 3, 4, ... in the child and every other descriptor above 2 closed; the child starts in a process
 * group of its own, with no signal blocked and every signal at its default action, whatever the
 * calling thread had. The caller keeps owning every descriptor it passed.
 * Returns 0 and sets *pid, or an errno value. Thread-safe. */
int ph_spawn(const char *path, char *const argv[], char *const envp[], int input, int output, const int *fds, int count, pid_t *pid);

/*
 * The allocator's free memory (heap_return.c). A long-running worker calls ph_heap_limit_arenas
 * once, before its threads start, and ph_heap_trim when ph_heap_free_bytes has grown: glibc
 * otherwise keeps what a burst of load freed for as long as the process lives. Any thread.
 */
void ph_heap_limit_arenas(int arenas);
size_t ph_heap_free_bytes(void);
/* malloc_trim(0): 1 when memory was given back. Holds the allocator's locks while it works. */
int ph_heap_trim(void);

/* Names the calling thread (thread_name.c): the first 15 bytes of `name`, which the caller owns
 * and may free on return. For `ps -T`, `top -H` and `perf`. */
void ph_thread_set_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif
