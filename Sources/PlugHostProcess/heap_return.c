/*
 * heap_return.c — giving the allocator's free memory back to the kernel (plughost_process.h).
 *
 * glibc keeps what a burst of load freed in its heaps for reuse: after 200,000 HTTP/2 requests on
 * 10,000 concurrent streams a worker held 430 MB of which 7 MB were in use, and held it for as
 * long as it lived (docs/PERFORMANCE.md, "Memory after load"). Swift cannot reach <malloc.h>
 * through Glibc's module, hence this file.
 */
#include <malloc.h>

#include "plughost_process.h"

void ph_heap_limit_arenas(int arenas) {
    if (arenas > 0) mallopt(M_ARENA_MAX, arenas);
}

size_t ph_heap_free_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    /* Free chunks in every arena's heap, plus the fast bins' (counted apart by glibc). */
    return info.fordblks + info.fsmblks;
}

int ph_heap_trim(void) {
    return malloc_trim(0);
}
