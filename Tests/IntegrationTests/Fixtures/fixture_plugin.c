/*
 * A C plugin the integration tests build in many variants (with -D flags) to exercise the host:
 * answers from other threads (during and after the handler), never answering, answering twice (inline, and
 * again later), blocking, config, and each way
 * a plugin can be refused at load.
 *
 *   FIXTURE_NAME="name"        plugin name (default "fixture")
 *   FIXTURE_PREFIX="/fixture"  prefix of every route (default "/fixture")
 *   FIXTURE_ABI_MAJOR=N        ABI major written in the magic block
 *   FIXTURE_ABI_MINOR=N        ABI minor written in the magic block
 *   FIXTURE_FAIL_REGISTRATION  registration fails with a message
 *   FIXTURE_BAD_TEMPLATE       registers an invalid path template
 *   FIXTURE_SWIFT_VERSION=N    claims to be a Swift plugin built with compiler N
 *   FIXTURE_ROUTE_V1_0         route descriptors sized as in ABI 1.0 (no rate_cost)
 *   FIXTURE_CRASH_AT_LOAD      segfaults in ph_plugin_register
 *   FIXTURE_HANG_AT_LOAD       never returns from ph_plugin_register
 *   FIXTURE_CRASH              adds GET /crash (a segfault, inline) and GET /crash-abort (abort(), on a pool thread)
 *   FIXTURE_SHUTDOWN_LINES=N   logs N numbered lines in its shutdown hook, just before the worker exits
 */
#define _POSIX_C_SOURCE 200809L
#include "plughost.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif
#ifndef FIXTURE_PREFIX
#define FIXTURE_PREFIX "/fixture"
#endif
#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR PH_ABI_MAJOR
#endif
#ifndef FIXTURE_ABI_MINOR
#define FIXTURE_ABI_MINOR PH_ABI_MINOR
#endif
#ifdef FIXTURE_SWIFT_VERSION
#define FIXTURE_RUNTIME PH_RUNTIME_SWIFT_SHARED
#else
#define FIXTURE_SWIFT_VERSION 0
#define FIXTURE_RUNTIME PH_RUNTIME_NONE
#endif

static const ph_magic_t magic = {
    .struct_size = sizeof(ph_magic_t),
    .abi_major = FIXTURE_ABI_MAJOR,
    .abi_minor = FIXTURE_ABI_MINOR,
    .name = FIXTURE_NAME,
    .version = "0.0.1",
    .description = "integration-test fixture",
    .swift_runtime = FIXTURE_RUNTIME,
    .swift_version = FIXTURE_SWIFT_VERSION,
    .target = PH_BUILD_TARGET,
};

static const ph_host_api_t *host;
static ph_plugin_t *self;

PH_EXPORT const ph_magic_t *ph_plugin_magic(void) { return &magic; }

static void answer(ph_call_t *call, uint16_t status, const char *body) {
    const ph_pair_t headers[] = {{{"Content-Type", 12}, {"application/json", 16}}};
    ph_response_t response = {sizeof(ph_response_t), status, headers, 1, {body, strlen(body)}};
    host->respond(call, &response);
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void *answer_later(void *call) {
    sleep_ms(50);
    answer(call, 200, "{\"answered\": \"from another thread\"}");
    return NULL;
}

/* Answers from a thread of its own, after the handler has returned. */
static void async_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    pthread_t thread;
    pthread_create(&thread, NULL, answer_later, call);
    pthread_detach(thread);
}

static void never_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)call; (void)request; (void)user_data;
}

static void twice_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    answer(call, 200, "{\"answer\": 1}");
    ph_response_t second = {sizeof(ph_response_t), 201, NULL, 0, {"2", 1}};
    ph_status_t status = host->respond(call, &second);
    char line[96];
    snprintf(line, sizeof line, "second respond returned %d", (int)status);
    host->log(self, PH_LOG_INFO, line);
}

static void *answer_now(void *call) {
    answer(call, 200, "{\"answered\": \"from another thread while the handler ran\"}");
    return NULL;
}

/* Answers from a thread of its own and waits for that thread before returning: the answer comes
 * from another thread while the (inline) handler is still running. */
static void during_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    pthread_t thread;
    pthread_create(&thread, NULL, answer_now, call);
    pthread_join(thread, NULL);
}

static void *answer_again_later(void *call) {
    sleep_ms(50);
    ph_response_t again = {sizeof(ph_response_t), 201, NULL, 0, {"2", 1}};
    ph_status_t status = host->respond(call, &again);
    char line[96];
    snprintf(line, sizeof line, "late second respond returned %d", (int)status);
    host->log(self, PH_LOG_INFO, line);
    return NULL;
}

/* Answers inline, then again from another thread after the handler returned. */
static void twice_late_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    answer(call, 200, "{\"answer\": 1}");
    pthread_t thread;
    pthread_create(&thread, NULL, answer_again_later, call);
    pthread_detach(thread);
}

/* Blocks its thread, as a handler doing slow I/O would. Registered without PH_ROUTE_NON_BLOCKING. */
/* Blocks its pool thread for 800 ms, or for the `ms=N` the query names (at most 10 s). */
static void sleep_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    long ms = 800;
    if (request->query.len > 3 && request->query.len < 16 && memcmp(request->query.data, "ms=", 3) == 0) {
        char digits[16] = {0};
        memcpy(digits, request->query.data + 3, request->query.len - 3);
        ms = strtol(digits, NULL, 10);
        if (ms < 0 || ms > 10000) ms = 800;
    }
    sleep_ms(ms);
    char body[32];
    snprintf(body, sizeof body, "{\"slept\": %ld}", ms);
    answer(call, 200, body);
}

#ifdef FIXTURE_CRASH
/* A plugin bug as the supervisor meets it: a write through a null pointer. */
static void crash_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)call; (void)request; (void)user_data;
    volatile int *nowhere = NULL;
    *nowhere = 42;
}

static void abort_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)call; (void)request; (void)user_data;
    abort();
}
#endif

static void config_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    /* ABI 1.2: count config reads in a metric of the plugin's own, if the host is new enough. */
    if (host->struct_size >= offsetof(ph_host_api_t, metric) + sizeof host->metric) {
        host->metric(self, PH_METRIC_COUNTER, "config_reads_total", "Times GET /config was answered.", 1);
        host->metric(self, PH_METRIC_GAUGE, "last_config_read", NULL, 42.5);
    }
    answer(call, 200, host->config_json(self, NULL));
}

/* Echoes the path parameter and whether a header with CR/LF is dropped by the host. */
static void item_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    char body[256];
    int n = snprintf(body, sizeof body, "{\"id\": \"%.*s\", \"route\": \"%.*s\"}",
                     (int)request->params[0].value.len, request->params[0].value.data,
                     (int)request->route.len, request->route.data);
    const ph_pair_t headers[] = {
        {{"Content-Type", 12}, {"application/json", 16}},
        {{"X-Injected", 10}, {"a\r\nSet-Cookie: evil=1", 21}},
        {{"X-Fixture", 9}, {"ok", 2}},
    };
    ph_response_t response = {sizeof(ph_response_t), 200, headers, 3, {body, (size_t)n}};
    host->respond(call, &response);
}

static void fail_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    answer(call, 500, "{\"detail\": \"fixture failure\"}");
}

/* Tries to weaken the host's security headers and forge its rate-limit field; the host must win. */
static void weaken_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    const ph_pair_t headers[] = {
        {{"X-Frame-Options", 15}, {"ALLOWALL", 8}},
        {{"Content-Security-Policy", 23}, {"default-src *", 13}},
        {{"RateLimit", 9}, {"forged", 6}},
    };
    ph_response_t response = {sizeof(ph_response_t), 200, headers, 3, {"{}", 2}};
    host->respond(call, &response);
}

/* Answers the request's header names, and sets a CORS header of its own that the host must police. */
static void headers_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    char body[2048];
    size_t used = 0;
    used += (size_t)snprintf(body + used, sizeof body - used, "{\"names\": [");
    for (size_t i = 0; i < request->header_count && used < sizeof body - 80; i++) {
        used += (size_t)snprintf(body + used, sizeof body - used, "%s\"%.*s\"", i ? ", " : "",
                                 (int)request->headers[i].name.len, request->headers[i].name.data);
    }
    used += (size_t)snprintf(body + used, sizeof body - used, "], \"key\": \"%.*s\"}",
                             (int)request->key_name.len, request->key_name.data);
    const ph_pair_t headers[] = {
        {{"Content-Type", 12}, {"application/json", 16}},
        {{"Access-Control-Allow-Origin", 27}, {"*", 1}},
    };
    ph_response_t response = {sizeof(ph_response_t), 200, headers, 2, {body, used}};
    host->respond(call, &response);
}

/* Every request header as a JSON object (the last of repeated names wins): what the route sees,
 * after the middlewares' changes. Values in the tests need no escaping. */
static void echo_headers_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    char body[4096];
    size_t used = (size_t)snprintf(body, sizeof body, "{");
    for (size_t i = 0; i < request->header_count && used < sizeof body - 300; i++) {
        used += (size_t)snprintf(body + used, sizeof body - used, "%s\"%.*s\": \"%.*s\"", i ? ", " : "",
                                 (int)request->headers[i].name.len, request->headers[i].name.data,
                                 (int)(request->headers[i].value.len > 200 ? 200 : request->headers[i].value.len), request->headers[i].value.data);
    }
    snprintf(body + used, sizeof body - used, "}");
    answer(call, 200, body);
}

/* POST /count counts the calls that reached the plugin; GET /count tells how many. */
static volatile int calls_counted;

static void count_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    char body[64];
    if (request->method.len == 4 && memcmp(request->method.data, "POST", 4) == 0) __atomic_add_fetch(&calls_counted, 1, __ATOMIC_SEQ_CST);
    snprintf(body, sizeof body, "{\"calls\": %d, \"bytes\": %zu}", __atomic_load_n(&calls_counted, __ATOMIC_SEQ_CST), request->body.len);
    answer(call, 200, body);
}

#if defined(FIXTURE_MIDDLEWARE) || defined(FIXTURE_MIDDLEWARE_STAMP)
/* The value of header `name` (lower-case) in `pairs`, or NULL. */
static const ph_str_t *find_header(const ph_pair_t *pairs, size_t count, const char *name) {
    for (size_t i = 0; i < count; i++) {
        if (pairs[i].name.len == strlen(name) && memcmp(pairs[i].name.data, name, pairs[i].name.len) == 0) return &pairs[i].value;
    }
    return NULL;
}
#endif

#ifdef FIXTURE_MIDDLEWARE

/* `old` + "," + FIXTURE_NAME, or FIXTURE_NAME alone: shows the order middlewares ran in. */
static void append_name(char *out, size_t size, const ph_str_t *old) {
    if (old && old->len) snprintf(out, size, "%.*s,%s", (int)old->len, old->data, FIXTURE_NAME);
    else snprintf(out, size, "%s", FIXTURE_NAME);
}

static void mark_request(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    char trail[256];
    append_name(trail, sizeof trail, find_header(request->headers, request->header_count, "x-trail"));
    ph_pair_t edits[] = {
        {{"X-Trail", 7}, {trail, strlen(trail)}},
        /* Not allowed: the key header and framing. The host drops these two. */
        {{"X-API-Key", 9}, {"forged", 6}},
        {{"Content-Length", 14}, {NULL, 0}},
    };
    host->proceed(call, edits, 3);
}

/* Appends to X-Trail on the response, and tries to drop or weaken what the host protects. */
static void mark_response(ph_call_t *call, const ph_request_t *request, const ph_response_view_t *response, void *user_data) {
    (void)request; (void)user_data;
    char trail[256];
    append_name(trail, sizeof trail, find_header(response->headers, response->header_count, "x-trail"));
    ph_pair_t edits[] = {
        {{"X-Trail", 7}, {trail, strlen(trail)}},
        {{"X-Frame-Options", 15}, {NULL, 0}},
        {{"Content-Security-Policy", 23}, {"default-src *", 13}},
        {{"RateLimit", 9}, {NULL, 0}},
        {{"RateLimit-Policy", 16}, {NULL, 0}},
    };
    host->proceed(call, edits, 5);
}

#endif

#ifdef FIXTURE_MIDDLEWARE_STAMP
/* proceed_setting_response (ABI 1.5): X-Stamp-Seen on the request; on the answer X-Stamp,
 * X-Stamped-By-<name> and X-Trail = "stamped", and edits the host must drop: a security header removed, a framing header
 * set, a value with CR LF (response splitting). A request with "x-stamp-null" passes a NULL array
 * with a count instead, which must cost that client a 500 and nothing else. */
static void stamp_request(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    ph_pair_t edits[] = {{{"X-Stamp-Seen", 12}, {FIXTURE_NAME, strlen(FIXTURE_NAME)}}};
    ph_pair_t answer_edits[] = {
        {{"X-Stamp", 7}, {FIXTURE_NAME, strlen(FIXTURE_NAME)}},
        {{"X-Stamped-By-" FIXTURE_NAME, strlen("X-Stamped-By-" FIXTURE_NAME)}, {"yes", 3}},
        {{"X-Trail", 7}, {"stamped", 7}},
        {{"X-Frame-Options", 15}, {NULL, 0}},
        {{"Content-Length", 14}, {"1", 1}},
        {{"X-Evil", 6}, {"a\r\nSet-Cookie: stolen=1", 23}},
    };
    if (find_header(request->headers, request->header_count, "x-stamp-null")) {
        host->proceed_setting_response(call, edits, 1, NULL, 2);
        return;
    }
    host->proceed_setting_response(call, edits, 1, answer_edits, sizeof answer_edits / sizeof answer_edits[0]);
}

/* Runs after the stamp (it must see X-Stamp), and may not use proceed_setting_response itself:
 * it reports the code that came back, then answers with proceed(). */
static void stamp_response(ph_call_t *call, const ph_request_t *request, const ph_response_view_t *response, void *user_data) {
    (void)request; (void)user_data;
    char code[16];
    snprintf(code, sizeof code, "%d", (int)host->proceed_setting_response(call, NULL, 0, NULL, 0));
    const char *seen = find_header(response->headers, response->header_count, "x-stamp") ? "yes" : "no";
    ph_pair_t edits[] = {
        {{"X-Stamp-Response-Hook-Got", 25}, {code, strlen(code)}},
        {{"X-Stamp-Seen-By-Response-Hook", 29}, {seen, strlen(seen)}},
    };
    host->proceed(call, edits, 2);
}

/* Nor may a route. */
static void stamp_route(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    char body[64];
    snprintf(body, sizeof body, "{\"got\": %d}", (int)host->proceed_setting_response(call, NULL, 0, NULL, 0));
    answer(call, 200, body);
}
#endif

#ifdef FIXTURE_MIDDLEWARE_SILENT
/* Never answers: the client must get 504 after the handler timeout. */
static void silent_request(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)call; (void)request; (void)user_data;
}
#endif

/* Called once at graceful shutdown; proves the hook runs and that logging still works then. */
PH_EXPORT void ph_plugin_shutdown(ph_plugin_t *plugin) {
#ifdef FIXTURE_SHUTDOWN_LINES
    char line[64];
    for (int index = 1; index <= FIXTURE_SHUTDOWN_LINES; index++) {
        snprintf(line, sizeof line, "shutdown line %d of %d", index, FIXTURE_SHUTDOWN_LINES);
        host->log(plugin, PH_LOG_INFO, line);
    }
#endif
    host->log(plugin, PH_LOG_INFO, FIXTURE_NAME " shut down cleanly");
}

/* The OpenAPI operation of GET /items/{id}: unusable JSON with FIXTURE_BROKEN_OPENAPI, a
 * reference to a schema nobody registered with FIXTURE_DANGLING_OPENAPI, else one that uses the
 * plugin's own "Item" schema (registered in ph_plugin_register). */
#if defined(FIXTURE_BROKEN_OPENAPI)
#define ITEM_OPENAPI "{\"summary\": \"broken\", \"responses\": "
#elif defined(FIXTURE_DANGLING_OPENAPI)
#define ITEM_OPENAPI "{\"responses\": {\"200\": {\"description\": \"x\", \"content\": {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Missing\"}}}}}}"
#else
#define ITEM_OPENAPI "{\"summary\": \"One item\", \"responses\": {\"200\": {\"description\": \"The item\", \"content\": {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Item\"}}}}}}"
#endif
#define ITEM_SCHEMA "{\"schemas\": {\"Item\": {\"type\": \"object\", \"properties\": {\"id\": {\"type\": \"string\"}, \"owner\": {\"const\": \"" FIXTURE_NAME "\"}}}}}"

static ph_status_t add_costing(const char *method, const char *path, ph_handler_fn handler, uint32_t flags, uint32_t cost) {
    char full[128];
    snprintf(full, sizeof full, "%s%s", FIXTURE_PREFIX, path);
    const char *openapi = strcmp(path, "/items/{id}") == 0 ? ITEM_OPENAPI : NULL;
    ph_route_t route = {sizeof(ph_route_t), method, full, flags, handler, NULL, openapi, NULL, cost, 0};
#ifdef FIXTURE_ROUTE_V1_0
    /* A descriptor as an ABI 1.0 plugin fills it: rate_cost lies beyond struct_size, so whatever
     * is there must be ignored and the route costs 1. */
    route.struct_size = (uint32_t)offsetof(ph_route_t, rate_cost);
    route.rate_cost = 50;
#endif
    return host->register_route(self, &route);
}

static ph_status_t add(const char *method, const char *path, ph_handler_fn handler, uint32_t flags) {
    return add_costing(method, path, handler, flags, 1);
}

PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) {
    host = api;
    self = plugin;
#ifdef FIXTURE_CRASH_AT_LOAD
    volatile int *nowhere = NULL;
    *nowhere = 1;
#endif
#ifdef FIXTURE_HANG_AT_LOAD
    for (;;) sleep_ms(1000);
#endif
#ifdef FIXTURE_FAIL_REGISTRATION
    api->set_error(plugin, "fixture refuses to start: missing setting 'token'");
    return PH_ERR_REGISTRATION_FAILED;
#endif
    ph_status_t status = PH_OK;
    if (api->struct_size >= offsetof(ph_host_api_t, openapi_components) + sizeof(api->openapi_components)) {
        status |= api->openapi_components(plugin, ITEM_SCHEMA);
    }
    status |= add("GET", "/async", async_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/never", never_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/twice", twice_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/during", during_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/twice-late", twice_late_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/sleep", sleep_handler, 0);
    status |= add("GET", "/config", config_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/items/{id}", item_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/fail", fail_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/weaken", weaken_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/headers", headers_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/unlimited", config_handler, PH_ROUTE_NON_BLOCKING | PH_ROUTE_NO_RATE_LIMIT);
    status |= add_costing("GET", "/expensive", config_handler, PH_ROUTE_NON_BLOCKING, 3);
    status |= add("GET", "/echo-headers", echo_headers_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("POST", "/count", count_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/count", count_handler, PH_ROUTE_NON_BLOCKING);
    {
        /* A route that takes bodies up to 4 MiB, above the host's default of 1 MiB. */
        char full[128];
        snprintf(full, sizeof full, "%s/upload", FIXTURE_PREFIX);
        ph_route_t upload = {sizeof(ph_route_t), "POST", full, PH_ROUTE_NON_BLOCKING, count_handler, NULL, NULL, NULL, 1, 4u << 20};
        status |= host->register_route(self, &upload);
    }
#ifdef FIXTURE_CRASH
    status |= add("GET", "/crash", crash_handler, PH_ROUTE_NON_BLOCKING);
    status |= add("GET", "/crash-abort", abort_handler, 0);
#endif
#ifdef FIXTURE_MIDDLEWARE
    ph_middleware_t mark = {sizeof(ph_middleware_t), FIXTURE_NAME "-mark", PH_MIDDLEWARE_NON_BLOCKING, NULL, 0,
                            mark_request, mark_response, NULL};
    status |= api->register_middleware(plugin, &mark);
#endif
#ifdef FIXTURE_MIDDLEWARE_STAMP
    ph_middleware_t stamp = {sizeof(ph_middleware_t), FIXTURE_NAME "-stamp", PH_MIDDLEWARE_NON_BLOCKING, NULL, 0,
                             stamp_request, stamp_response, NULL};
    status |= api->register_middleware(plugin, &stamp);
    status |= add("GET", "/stamp-in-route", stamp_route, PH_ROUTE_NON_BLOCKING);
#endif
#ifdef FIXTURE_MIDDLEWARE_SILENT
    const char *const silent_paths[] = {"/api" FIXTURE_PREFIX "/echo-headers"};
    ph_middleware_t silent = {sizeof(ph_middleware_t), FIXTURE_NAME "-silent", 0, silent_paths, 1, silent_request, NULL, NULL};
    status |= api->register_middleware(plugin, &silent);
#endif
#ifdef FIXTURE_BAD_TEMPLATE
    status |= add("GET", "/bad/{id", item_handler, PH_ROUTE_NON_BLOCKING);
#endif
    if (status != PH_OK) {
        api->set_error(plugin, "a route was refused");
        return PH_ERR_REGISTRATION_FAILED;
    }
    return PH_OK;
}
