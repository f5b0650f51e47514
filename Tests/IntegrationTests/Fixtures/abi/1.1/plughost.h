/*
 * plughost.h — the PlugHost plugin ABI, version 1.1.
 *
 * This header is the whole contract between the PlugHost host and a plugin.
 * It is plain C11 and depends only on the C standard library, so a plugin can
 * be written in C, C++, Swift (through PlugHostSDK), Rust, Zig, or anything
 * else that produces a C shared library.
 *
 * Names come in three families (as in Envoy's dynamic-modules abi.h):
 *   ph_*_t / ph_*        types shared by both sides;
 *   ph_plugin_*          functions the PLUGIN implements and exports;
 *   ph_host_api_t.*      functions the HOST implements and hands to the plugin
 *                        as a table of function pointers (plugins link no host
 *                        symbols, so the host needs no -rdynamic).
 *
 * Lifecycle of a plugin, in order:
 *   1. The host dlopen()s the file with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE.
 *      A plugin is never unloaded.
 *   2. The host calls ph_plugin_magic() and checks the ABI version and the
 *      build signature BEFORE calling anything else.
 *   3. The host calls ph_plugin_register() once, on one thread. The plugin
 *      registers its routes through the host API table. If registration fails,
 *      nothing the plugin registered is kept.
 *   4. The host calls route handlers, concurrently, from many threads.
 *
 * Ownership rules, which every function below repeats where they apply:
 *   - Memory the HOST hands the plugin (request views, config JSON, the call
 *     handle) is owned by the host. Unless a function says otherwise, it stays
 *     valid until the matching respond() returns.
 *   - Memory the PLUGIN hands the host (descriptors, responses, log messages)
 *     is owned by the plugin and is copied by the host before the host
 *     function returns; the plugin may free or reuse it right after.
 *   - Strings in the magic block are static storage of the plugin.
 *
 * Versioning: PH_ABI_MAJOR changes when anything existing changes meaning or
 * layout; PH_ABI_MINOR changes when something is appended (a field at the end
 * of a struct, a function at the end of ph_host_api_t). Every struct starts
 * with struct_size so each side can tell which fields the other side knows.
 * The host refuses a plugin whose major differs or whose minor is newer than
 * its own.
 */
#ifndef PLUGHOST_H
#define PLUGHOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions and exported symbol names                                        */
/* ------------------------------------------------------------------------ */

#define PH_ABI_MAJOR 1
#define PH_ABI_MINOR 1

/* The two symbols every plugin exports (see ph_plugin_magic_fn and
 * ph_plugin_register_fn below). */
#define PH_PLUGIN_MAGIC_SYMBOL "ph_plugin_magic"
#define PH_PLUGIN_REGISTER_SYMBOL "ph_plugin_register"

/* ------------------------------------------------------------------------ */
/* Shared types                                                              */
/* ------------------------------------------------------------------------ */

/* Result of a fallible call. 0 is success; every other value is an error. */
typedef int32_t ph_status_t;
#define PH_OK 0
#define PH_ERR_INVALID_ARGUMENT 1   /* a pointer was NULL, a size too small, a value malformed */
#define PH_ERR_DUPLICATE_ROUTE 2    /* the method + path is already registered */
#define PH_ERR_ALREADY_ANSWERED 3   /* respond() was called a second time for one call */
#define PH_ERR_TIMED_OUT 4          /* respond() came after the host's handler timeout */
#define PH_ERR_UNKNOWN_CALL 5       /* the call handle is not one the host knows */
#define PH_ERR_REGISTRATION_FAILED 6 /* returned by a plugin whose registration failed */
#define PH_ERR_WRONG_PHASE 7        /* a registration function called outside ph_plugin_register */

/* A byte string that is NOT necessarily NUL-terminated. `data` may be NULL
 * when `len` is 0. */
typedef struct ph_str_t {
    const char *data;
    size_t len;
} ph_str_t;

/* One HTTP header, or one named value (path parameter). */
typedef struct ph_pair_t {
    ph_str_t name;
    ph_str_t value;
} ph_pair_t;

/* How the plugin was built. Filled by the plugin in its magic block; the
 * host compares it with its own and refuses a plugin it cannot run safely. */
#define PH_RUNTIME_NONE 0          /* no Swift runtime (C, C++, Rust, ...) */
#define PH_RUNTIME_SWIFT_SHARED 1  /* links the shared libswiftCore.so */
#define PH_RUNTIME_SWIFT_STATIC 2  /* carries its own copy of the Swift runtime */

/* The magic block: the first thing the host reads. All strings are
 * NUL-terminated static storage of the plugin, valid for the life of the
 * process. */
typedef struct ph_magic_t {
    uint32_t struct_size;        /* sizeof(ph_magic_t) as the plugin saw it */
    uint16_t abi_major;          /* PH_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;          /* PH_ABI_MINOR the plugin was built against */
    const char *name;            /* short unique name: [a-z0-9_-]+; selects [plugins.NAME] */
    const char *version;         /* the plugin's own version, free form ("1.2.0") */
    const char *description;     /* one line for listings and docs; may be NULL */
    uint32_t swift_runtime;      /* PH_RUNTIME_* */
    uint32_t swift_version;      /* Swift compiler as 60301 for 6.3.1; 0 when not Swift */
    const char *target;          /* PH_BUILD_TARGET, e.g. "x86_64-linux" */
} ph_magic_t;

/* The build target in the form the magic block carries it: "<arch>-<os>". */
#if defined(__x86_64__) || defined(_M_X64)
#define PH_BUILD_ARCH "x86_64"
#elif defined(__aarch64__) || defined(_M_ARM64)
#define PH_BUILD_ARCH "aarch64"
#elif defined(__riscv) && __riscv_xlen == 64
#define PH_BUILD_ARCH "riscv64"
#else
#define PH_BUILD_ARCH "unknown"
#endif
#if defined(__APPLE__)
#define PH_BUILD_OS "darwin"
#elif defined(__linux__)
#define PH_BUILD_OS "linux"
#else
#define PH_BUILD_OS "unknown"
#endif
#define PH_BUILD_TARGET PH_BUILD_ARCH "-" PH_BUILD_OS

/* PH_BUILD_TARGET as a function, for languages that cannot read macros. */
static inline const char *ph_build_target(void) { return PH_BUILD_TARGET; }

/* The Swift compiler version as the magic block carries it (60301 for 6.3.1).
 * Swift's Clang importer defines __swift__; any other compiler sees 0. */
static inline uint32_t ph_build_swift_version(void) {
#ifdef __swift__
    return (uint32_t)(__swift__);
#else
    return 0;
#endif
}

/* Opaque handles. Their contents are the host's business. */
typedef struct ph_plugin_t ph_plugin_t; /* one loaded plugin; valid for the life of the process */
typedef struct ph_call_t ph_call_t;     /* one handler invocation; see respond() */

/* The request as the handler sees it. Owned by the host: every pointer in it,
 * and the struct itself, stays valid until respond() for this call returns
 * (on whichever thread calls it). Copy what you need to keep longer. */
typedef struct ph_request_t {
    uint32_t struct_size;
    ph_str_t method;            /* "GET", "POST", ... */
    ph_str_t path;              /* the path as requested, percent-decoded, e.g. "/api/items/42" */
    ph_str_t route;             /* the template the plugin registered, e.g. "/items/{id}" */
    ph_str_t query;             /* raw query string without '?'; empty when none */
    const ph_pair_t *params;    /* path parameters, in template order */
    size_t param_count;
    const ph_pair_t *headers;   /* request headers, names lower-case, in arrival order; the API key
                                   header is removed (key_name says who called) */
    size_t header_count;
    ph_str_t body;              /* the whole request body; binary-safe */
    ph_str_t client_address;    /* the client's IP address as text (behind [logging] trusted_proxies, the forwarded one); empty if unknown */
    ph_str_t key_name;          /* name of the API key that authenticated the call; empty if none */
} ph_request_t;

/* An answer. Owned by the plugin; the host copies it before respond() returns. */
typedef struct ph_response_t {
    uint32_t struct_size;       /* sizeof(ph_response_t) */
    uint16_t status;            /* HTTP status, 100-599 */
    const ph_pair_t *headers;   /* may be NULL when header_count is 0 */
    size_t header_count;
    ph_str_t body;
} ph_response_t;

/* A route handler. Called by the host on an arbitrary thread, possibly on many
 * threads at once. It must arrange for exactly one respond(call, ...) — before
 * it returns, or later from any thread. `request` and `call` stay valid until
 * that respond() returns; `user_data` is the pointer from the descriptor. */
typedef void (*ph_handler_fn)(ph_call_t *call, const ph_request_t *request, void *user_data);

/* Route flags. */
#define PH_ROUTE_AUTH_REQUIRED   (1u << 0) /* the host answers 401 unless a valid API key is sent */
#define PH_ROUTE_NO_RATE_LIMIT   (1u << 1) /* exempt from the host's rate limiting */
#define PH_ROUTE_NON_BLOCKING    (1u << 2) /* the handler never blocks: the host calls it inline on
                                              its I/O executor. Without this flag it runs on a thread
                                              pool sized for blocking work. */

/* A route descriptor. Owned by the plugin; copied by the host before
 * register_route() returns. */
typedef struct ph_route_t {
    uint32_t struct_size;        /* sizeof(ph_route_t) */
    const char *method;          /* NUL-terminated: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS */
    const char *path;            /* NUL-terminated template below /api: "/items/{id}" */
    uint32_t flags;              /* PH_ROUTE_* */
    ph_handler_fn handler;
    void *user_data;             /* passed to handler unchanged; must stay valid for the life of the process */
    const char *openapi_json;    /* NUL-terminated OpenAPI 3.1 Operation object as JSON, or NULL */
    const char *required_scope;  /* NUL-terminated API key scope this route requires (implies
                                    PH_ROUTE_AUTH_REQUIRED: 401 without a key, 403 without the scope), or NULL */
    /* Added in ABI 1.1; the host reads it only when struct_size covers it. */
    uint32_t rate_cost;          /* units of the rate limit one call consumes; 0 means 1 */
} ph_route_t;

/* Log levels for ph_host_api_t.log. */
#define PH_LOG_DEBUG 0
#define PH_LOG_INFO 1
#define PH_LOG_WARNING 2
#define PH_LOG_ERROR 3

/* The functions the host offers, handed to ph_plugin_register(). The table
 * itself is static storage of the host, valid for the life of the process, so
 * a plugin may keep the pointer. Append-only: check struct_size (or
 * abi_minor) before using a function added after 1.0. */
typedef struct ph_host_api_t {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;

    /* Registers one route. Only during ph_plugin_register(), on its thread.
     * The descriptor and its strings are copied before this returns.
     * Returns PH_OK, PH_ERR_INVALID_ARGUMENT (bad method, path template or
     * descriptor; the reason is logged), PH_ERR_DUPLICATE_ROUTE, or
     * PH_ERR_WRONG_PHASE. */
    ph_status_t (*register_route)(ph_plugin_t *plugin, const ph_route_t *route);

    /* Answers a call. Exactly once per call, from any thread, before or after
     * the handler returned. `response` is copied before this returns; `call`
     * and the request view are invalid after it returns. A second answer
     * returns PH_ERR_ALREADY_ANSWERED and an answer after the host's timeout
     * returns PH_ERR_TIMED_OUT; both are logged and otherwise ignored. */
    ph_status_t (*respond)(ph_call_t *call, const ph_response_t *response);

    /* Writes one line to the host log, attributed to the plugin. `message` is
     * NUL-terminated and copied before this returns. Any thread. */
    void (*log)(ph_plugin_t *plugin, int32_t level, const char *message);

    /* The plugin's [plugins.NAME] table from host.toml as a JSON object
     * ("{}" when absent). NUL-terminated; owned by the host and valid for the
     * life of the process. `len`, if not NULL, receives the length. Any thread. */
    const char *(*config_json)(ph_plugin_t *plugin, size_t *len);

    /* Records why registration failed, so the host can show it. Call it
     * before returning an error from ph_plugin_register(). `message` is
     * NUL-terminated and copied before this returns. */
    void (*set_error)(ph_plugin_t *plugin, const char *message);
} ph_host_api_t;

/* ------------------------------------------------------------------------ */
/* Functions the plugin implements and exports                               */
/* ------------------------------------------------------------------------ */

/* Returns the plugin's magic block. Called first, before anything else, on
 * one thread; must not call the host and must have no side effects. The
 * returned block is static storage of the plugin. */
typedef const ph_magic_t *(*ph_plugin_magic_fn)(void);

/* Registers the plugin's routes through `api`. Called once, on one thread,
 * after the magic block was accepted. `api` is valid for the life of the
 * process; `plugin` identifies this plugin in every host call and is valid
 * for the life of the process. Return PH_OK, or an error after calling
 * api->set_error(plugin, "why"); on error nothing registered is kept. */
typedef ph_status_t (*ph_plugin_register_fn)(const ph_host_api_t *api, ph_plugin_t *plugin);

/* Marks the two entry points of a C plugin as exported:
 *   PH_EXPORT const ph_magic_t *ph_plugin_magic(void) { ... }
 *   PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) { ... }
 */
#if defined(_WIN32)
#define PH_EXPORT __declspec(dllexport)
#else
#define PH_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
}
#endif

#endif /* PLUGHOST_H */
