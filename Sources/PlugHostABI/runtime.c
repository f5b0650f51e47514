#define _GNU_SOURCE
#include "plughost.h"
#include "plughost_runtime.h"

#include <dlfcn.h>
#include <string.h>

/* Weak, so a C-only image links without a Swift runtime: the address is NULL then. */
extern void *swift_retain(void *) __attribute__((weak));

uint32_t ph_swift_runtime_linkage(void) {
    Dl_info info;
    if (swift_retain == NULL) return PH_RUNTIME_NONE;
    if (dladdr((void *)swift_retain, &info) == 0 || info.dli_fname == NULL) return PH_RUNTIME_NONE;
    return strstr(info.dli_fname, "libswiftCore") != NULL ? PH_RUNTIME_SWIFT_SHARED : PH_RUNTIME_SWIFT_STATIC;
}

int ph_shared_swift_runtime_is_loaded(void) {
#if defined(__APPLE__)
    const char *name = "/usr/lib/swift/libswiftCore.dylib";
#else
    const char *name = "libswiftCore.so";
#endif
    void *handle = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (handle == NULL) return 0;
    dlclose(handle); /* drops only the reference RTLD_NOLOAD just took */
    return 1;
}
