/* glibc's allocator tuning for long-running processes; see AllocatorTuning.swift for why. */
#include "plughost_process.h"

#include <malloc.h>

int ph_malloc_limit_arenas(int arenas) { return mallopt(M_ARENA_MAX, arenas); }

int ph_malloc_trim(void) { return malloc_trim(0); }
