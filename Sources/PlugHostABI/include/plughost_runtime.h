/*
 * plughost_runtime.h — facts about the running process that host and Swift SDK
 * both need. Not part of the plugin ABI: C plugins never include it.
 */
#ifndef PLUGHOST_RUNTIME_H
#define PLUGHOST_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the Swift runtime is linked into the image that contains the caller:
 * PH_RUNTIME_SWIFT_SHARED when swift_retain resolves into libswiftCore.so,
 * PH_RUNTIME_SWIFT_STATIC when it resolves into this very binary, and
 * PH_RUNTIME_NONE when no Swift runtime is present. Thread-safe. */
uint32_t ph_swift_runtime_linkage(void);

/* 1 when a shared libswiftCore is already mapped into the process, else 0.
 * Never loads it. Thread-safe. */
int ph_shared_swift_runtime_is_loaded(void);

#ifdef __cplusplus
}
#endif

#endif
