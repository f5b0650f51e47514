/*
 * A C plugin that ends the process it is loaded into, the ways a hostile or broken plugin can:
 * exit(), _exit(), abort() or a hang, at registration or in a route handler. Built by the
 * integration tests with one -D switch:
 *
 *   EXITING_EXIT_AT_LOAD=N      calls exit(N) in ph_plugin_register
 *   EXITING_QUICK_EXIT_AT_LOAD  calls _exit(5) in ph_plugin_register (no exit handler runs)
 *   EXITING_THREAD_EXIT_AT_LOAD starts a thread that calls exit(6), and waits for it in ph_plugin_register
 *   EXITING_ABORT_AT_LOAD       calls abort() in ph_plugin_register
 *   EXITING_HANG_AT_LOAD        never returns from ph_plugin_register
 *
 * Without one it registers GET /api/exiting/exit (exit(3), inline), GET /api/exiting/quick-exit
 * (_exit(4), on a pool thread) and GET /api/exiting/ok.
 */
#define _POSIX_C_SOURCE 200809L
#include "plughost.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

PH_PLUGIN_MAGIC("exiting", "0.0.1", "integration-test fixture that ends its process")

static const ph_host_api_t *host;

static void exit_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)call; (void)request; (void)user_data;
    exit(3);
}

static void quick_exit_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)call; (void)request; (void)user_data;
    _exit(4);
}

static void ok_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    const ph_pair_t headers[] = {{{"Content-Type", 12}, {"application/json", 16}}};
    const char *body = "{\"exiting\": false}";
    ph_response_t response = {sizeof(ph_response_t), 200, headers, 1, {body, strlen(body)}};
    host->respond(call, &response);
}

#ifdef EXITING_THREAD_EXIT_AT_LOAD
/* exit() on a thread of the plugin's own, which the host never sees enter plugin code. */
static void *exit_from_thread(void *unused) {
    (void)unused;
    exit(6);
}
#endif

static ph_status_t add(ph_plugin_t *plugin, const char *path, ph_handler_fn handler, uint32_t flags) {
    ph_route_t route;
    memset(&route, 0, sizeof route);
    route.struct_size = sizeof(ph_route_t);
    route.method = "GET";
    route.path = path;
    route.handler = handler;
    route.flags = flags;
    route.rate_cost = 1;
    return host->register_route(plugin, &route);
}

PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) {
    host = api;
#if defined(EXITING_EXIT_AT_LOAD)
    exit(EXITING_EXIT_AT_LOAD);
#elif defined(EXITING_QUICK_EXIT_AT_LOAD)
    _exit(5);
#elif defined(EXITING_THREAD_EXIT_AT_LOAD)
    pthread_t thread;
    pthread_create(&thread, NULL, exit_from_thread, NULL);
    pthread_join(thread, NULL);
#elif defined(EXITING_ABORT_AT_LOAD)
    abort();
#elif defined(EXITING_HANG_AT_LOAD)
    for (;;) {
        struct timespec second = {1, 0};
        nanosleep(&second, NULL);
    }
#endif
    ph_status_t status = PH_OK;
    status |= add(plugin, "/exiting/exit", exit_handler, PH_ROUTE_NON_BLOCKING);
    status |= add(plugin, "/exiting/quick-exit", quick_exit_handler, 0);
    status |= add(plugin, "/exiting/ok", ok_handler, PH_ROUTE_NON_BLOCKING);
    return status;
}
