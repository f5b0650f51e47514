/*
 * plughost.h — the PlugHost plugin ABI, version 1.4.
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
 *      registers its routes and middlewares through the host API table. If
 *      registration fails, nothing the plugin registered is kept.
 *   4. The host calls route handlers and middleware hooks, concurrently, from
 *      many threads.
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
 * of a struct, a function at the end of ph_host_api_t, a status code). Every
 * struct starts with struct_size so each side can tell which fields the other
 * side knows. The host refuses a plugin whose major differs or whose minor is
 * newer than its own, and accepts each struct a plugin passes when its
 * struct_size is at least that struct's size in the minor the plugin declares
 * (so a plugin built against an older header keeps loading); fields beyond its
 * struct_size read as zero, which every added field defines as the old
 * behaviour. The other way, a plugin checks the host table's struct_size before
 * calling a function added after 1.0 (PH_HOST_HAS below).
 *
 * Threads: each function below says on which thread it may be called. "Any
 * thread" means any thread of the process, the plugin's own included, at any
 * time after ph_plugin_register() began.
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
#define PH_ABI_MINOR 4

/* The two symbols every plugin exports (see ph_plugin_magic_fn and
 * ph_plugin_register_fn below), and one it may export (ph_plugin_shutdown_fn). */
#define PH_PLUGIN_MAGIC_SYMBOL "ph_plugin_magic"
#define PH_PLUGIN_REGISTER_SYMBOL "ph_plugin_register"
#define PH_PLUGIN_SHUTDOWN_SYMBOL "ph_plugin_shutdown"

/* ------------------------------------------------------------------------ */
/* Shared types                                                              */
/* ------------------------------------------------------------------------ */

/* Result of a fallible call. 0 is success; every other value is an error. */
typedef int32_t ph_status_t;
#define PH_OK 0
#define PH_ERR_INVALID_ARGUMENT 1   /* a pointer was NULL, a size too small, a value malformed */
#define PH_ERR_DUPLICATE_ROUTE 2    /* register_route(): the method + path is already registered */
#define PH_ERR_ALREADY_ANSWERED 3   /* respond() was called a second time for one call */
#define PH_ERR_TIMED_OUT 4          /* respond() came after the host's handler timeout */
#define PH_ERR_UNKNOWN_CALL 5       /* the call handle is not one the host knows */
#define PH_ERR_REGISTRATION_FAILED 6 /* returned by a plugin whose registration failed */
#define PH_ERR_WRONG_PHASE 7        /* a registration function called outside ph_plugin_register, or an
                                       answer of the wrong kind (proceed() for a route, respond() for a
                                       response hook) */
#define PH_ERR_DUPLICATE_NAME 8     /* register_middleware(): the name is already taken, by this or
                                       another plugin (ABI 1.4; to a plugin that declares 1.3 the host
                                       returns PH_ERR_DUPLICATE_ROUTE, as 1.3 hosts did) */

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
    const char *openapi_json;    /* NUL-terminated OpenAPI 3.1 Operation object as JSON, or NULL.
                                    It may reference the plugin's own components as
                                    "#/components/schemas/Name" (see openapi_components). The host
                                    adds what it enforces (security, 401/403/413/429/504, path
                                    parameters the template names, a tag for the plugin). NULL, or
                                    JSON the host cannot use, documents the route with a minimal
                                    operation; the latter is logged as a warning naming the route. */
    const char *required_scope;  /* NUL-terminated API key scope this route requires (implies
                                    PH_ROUTE_AUTH_REQUIRED: 401 without a key, 403 without the scope), or NULL */
    /* Added in ABI 1.1; the host reads it only when struct_size covers it. */
    uint32_t rate_cost;          /* units of the rate limit one call consumes; 0 means 1 */
    /* Added in ABI 1.3. */
    uint64_t max_body_size;      /* largest request body this route accepts, in bytes (413 past it);
                                    0 means the host's [limits] max_body_size. The host caps it at
                                    [limits] max_route_body_size. */
} ph_route_t;

/* ------------------------------------------------------------------------ */
/* Middleware (ABI 1.3)                                                      */
/* ------------------------------------------------------------------------ */

/* A middleware acts on every /api request its scope covers, built-in routes included, after the
 * host's rate limit and API-key check and before the route: its request hook may let the request
 * through (optionally adding, replacing or removing request headers the later middlewares and the
 * route see) or answer it itself; its response hook may add, replace or remove response headers.
 * Middlewares run in the order host.toml's [middleware] order gives (unlisted ones after, by
 * plugin name, then in registration order); response hooks run in the reverse order, and only
 * for middlewares whose request hook let the request through (or that have none).
 *
 * A hook, like a route handler, answers its call exactly once, before it returns or later from
 * any thread: a request hook with proceed() or respond(), a response hook with proceed() only.
 * A hook that does not answer within [server] handler_timeout gets the client a 504. */

/* The response as a response hook sees it. Owned by the host; valid, like the request view
 * passed with it, until the hook's proceed() returns. */
typedef struct ph_response_view_t {
    uint32_t struct_size;
    uint16_t status;
    const ph_pair_t *headers;   /* response headers, names lower-case, in order */
    size_t header_count;
} ph_response_view_t;

/* The request hook. `request` is the request as the previous middlewares left it; its `body` is
 * empty (the host reads the body only for the route), `route` is the matched template as served
 * ("/api/items/{id}", whichever plugin serves it), `params` holds the route's path parameters.
 * Same ownership and threads as a handler: called on an arbitrary thread, possibly on many at
 * once; `call` and `request` stay valid until the hook's answer (proceed() or respond())
 * returns, on whichever thread makes it. */
typedef void (*ph_request_hook_fn)(ph_call_t *call, const ph_request_t *request, void *user_data);

/* The response hook. `request` is the request as the route saw it (with every request hook's
 * header changes); `response` the answer so far. Answer with proceed(). Called on an arbitrary
 * thread, possibly on many at once; `call`, `request` and `response` stay valid until that
 * proceed() returns, on whichever thread calls it. */
typedef void (*ph_response_hook_fn)(ph_call_t *call, const ph_request_t *request,
                                    const ph_response_view_t *response, void *user_data);

/* Middleware flags. */
#define PH_MIDDLEWARE_NON_BLOCKING (1u << 0) /* hooks never block: called inline on the I/O executor,
                                                as PH_ROUTE_NON_BLOCKING for routes */
#define PH_MIDDLEWARE_OWN_ROUTES   (1u << 1) /* only the registering plugin's own routes */

/* A middleware descriptor. Owned by the plugin; copied (strings and prefix list included) by the
 * host before register_middleware() returns. */
typedef struct ph_middleware_t {
    uint32_t struct_size;               /* sizeof(ph_middleware_t) */
    const char *name;                   /* NUL-terminated, [a-z0-9_-]+, unique in the host: the name
                                           [middleware] order lists */
    uint32_t flags;                     /* PH_MIDDLEWARE_* */
    const char *const *path_prefixes;   /* NUL-terminated served paths ("/api/admin"); a prefix matches
                                           itself and what lies below it, whole segments only. NULL or
                                           count 0: every /api route */
    size_t path_prefix_count;
    ph_request_hook_fn on_request;      /* may be NULL (then the request goes on unchanged) */
    ph_response_hook_fn on_response;    /* may be NULL; at least one of the two must be set */
    void *user_data;                    /* passed to both hooks; valid for the life of the process */
} ph_middleware_t;

/* Log levels for ph_host_api_t.log. */
#define PH_LOG_DEBUG 0
#define PH_LOG_INFO 1
#define PH_LOG_WARNING 2
#define PH_LOG_ERROR 3

/* Metric kinds for ph_host_api_t.metric (ABI 1.2). */
#define PH_METRIC_COUNTER 0   /* value is added; must be >= 0 */
#define PH_METRIC_GAUGE 1     /* value replaces the current one */
#define PH_METRIC_HISTOGRAM 2 /* value is one observation (seconds, bytes, ...) */

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
     * returns PH_ERR_TIMED_OUT; both are logged and otherwise ignored.
     * A middleware's request hook may answer with respond() too: the request then stops there
     * (later middlewares and the route do not run). A response hook may not (PH_ERR_WRONG_PHASE). */
    ph_status_t (*respond)(ph_call_t *call, const ph_response_t *response);

    /* Writes one line to the host log, attributed to the plugin. `message` is
     * NUL-terminated and copied before this returns; the host keeps at most
     * 8 KiB of it and shows control characters (line breaks included) as
     * visible escapes. Any thread. */
    void (*log)(ph_plugin_t *plugin, int32_t level, const char *message);

    /* The plugin's [plugins.NAME] table from host.toml as a JSON object
     * ("{}" when absent). NUL-terminated; owned by the host and valid for the
     * life of the process. `len`, if not NULL, receives the length. Any thread. */
    const char *(*config_json)(ph_plugin_t *plugin, size_t *len);

    /* Records why registration failed, so the host can show it. Call it
     * before returning an error from ph_plugin_register(), on its thread (a
     * call after registration ended is ignored); a second call replaces the
     * first. `message` is NUL-terminated and copied before this returns; the
     * host keeps at most 8 KiB of it. */
    void (*set_error)(ph_plugin_t *plugin, const char *message);

    /* ---- Added in ABI 1.2: check struct_size covers a field before calling it. ---- */

    /* Records a value of one of the plugin's own metrics, exported on /api/metrics as
     * plugin_<plugin name>_<name> (the plugin name with '-' as '_'). `name` is NUL-terminated,
     * [a-zA-Z_][a-zA-Z0-9_]*, at most 64 bytes; `help` is NUL-terminated or NULL and only the
     * first call's help is kept. Both are copied. A name keeps the kind of its first use:
     * a later call with another kind returns PH_ERR_INVALID_ARGUMENT. Any thread, any time
     * after registration began. */
    ph_status_t (*metric)(ph_plugin_t *plugin, int32_t kind, const char *name, const char *help, double value);

    /* ---- Added in ABI 1.3 ---- */

    /* Gives the plugin's OpenAPI 3.1 Components object (schemas, responses, parameters, ...) as
     * JSON for the aggregated document at /api/openapi.json. The host namespaces every name with
     * the plugin's ("Item" becomes "example.Item") and rewrites the plugin's own
     * "#/components/..." references to match, so two plugins' "Item" never collide. Only during
     * ph_plugin_register(), on its thread; a second call replaces the first. `json` is
     * NUL-terminated and copied before this returns. Returns PH_OK, PH_ERR_INVALID_ARGUMENT
     * (NULL, or not a JSON object; the reason is logged) or PH_ERR_WRONG_PHASE. */
    ph_status_t (*openapi_components)(ph_plugin_t *plugin, const char *json);

    /* Registers a middleware (see ph_middleware_t). Only during ph_plugin_register(), on its
     * thread. Returns PH_OK, PH_ERR_INVALID_ARGUMENT (bad name, prefix or descriptor; the reason
     * is logged), PH_ERR_DUPLICATE_NAME (the name is taken, by this or another plugin; a plugin
     * that declares ABI 1.3 gets PH_ERR_DUPLICATE_ROUTE instead) or PH_ERR_WRONG_PHASE. */
    ph_status_t (*register_middleware)(ph_plugin_t *plugin, const ph_middleware_t *middleware);

    /* Answers a hook call by letting the request (request hook) or the response (response hook)
     * go on, changed by `edits`: each pair sets the header `name` to `value`, replacing every
     * field of that name; a pair whose value.data is NULL removes the header. `edits` may be NULL
     * when `edit_count` is 0. Exactly once per hook call, from any thread; `edits` is copied
     * before this returns, and `call` with its views is invalid afterwards. Edits the host does
     * not allow are dropped and logged: on responses, the security headers, RateLimit*,
     * Retry-After and the framing headers (Content-Length, Transfer-Encoding, Connection); on
     * requests, the API key header and the framing headers. Returns PH_OK,
     * PH_ERR_WRONG_PHASE for a route's call, or the errors of respond(). */
    ph_status_t (*proceed)(ph_call_t *call, const ph_pair_t *edits, size_t edit_count);
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

/* Optional. Called once when the host shuts down gracefully (SIGTERM/SIGINT): after it stopped
 * accepting connections and in-flight requests were answered (or the grace period ran out),
 * on one thread, before the process exits. Not called for a refused plugin, nor when the process
 * dies. No handler is called afterwards; `plugin` and the host table stay valid during the call,
 * so the plugin may still log. Looked up by name, so it needs no ABI version of its own. */
typedef void (*ph_plugin_shutdown_fn)(ph_plugin_t *plugin);

/* Marks the entry points of a plugin as exported, with C linkage in C++ too (the host looks
 * them up by their plain names):
 *   PH_EXPORT const ph_magic_t *ph_plugin_magic(void) { ... }
 *   PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) { ... }
 */
#ifdef __cplusplus
#define PH_EXTERN_C extern "C"
#else
#define PH_EXTERN_C
#endif
#if defined(_WIN32)
#define PH_EXPORT PH_EXTERN_C __declspec(dllexport)
#else
#define PH_EXPORT PH_EXTERN_C __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Defines and exports ph_plugin_magic() for a plugin in C or C++, with every field of the magic
 * block filled as this header says: struct_size, the ABI version of this header, the build
 * target, no Swift runtime. `name`, `version` and `description` must be string literals (or
 * other static storage); `description` may be NULL. Use it once, at file scope:
 *   PH_PLUGIN_MAGIC("hello-c", "1.0.0", "Says hello from a plugin written in C.")
 */
#define PH_PLUGIN_MAGIC(name, version, description)                                              \
    static const ph_magic_t ph_plugin_magic_block = {                                           \
        (uint32_t)sizeof(ph_magic_t), PH_ABI_MAJOR, PH_ABI_MINOR, (name), (version), (description), \
        PH_RUNTIME_NONE, 0, PH_BUILD_TARGET};                                                   \
    PH_EXPORT const ph_magic_t *ph_plugin_magic(void) { return &ph_plugin_magic_block; }

/* True when the host table `api` has the function `member`: a host older than the header the
 * plugin was built with hands a shorter table, which ends before the functions added later.
 *   if (PH_HOST_HAS(api, openapi_components)) api->openapi_components(plugin, "{...}");
 * Functions of ABI 1.0 (register_route ... set_error) are always there. */
#define PH_HOST_HAS(api, member) \
    ((api)->struct_size >= offsetof(ph_host_api_t, member) + sizeof((api)->member))

#ifdef __cplusplus
}
#endif

#endif /* PLUGHOST_H */
