/* A plugin that uses only what the plughost.h it is compiled against offers, so that it can be
 * built against every released header (Fixtures/abi/1.N/plughost.h) and the current one. It
 * declares that header's PH_ABI_MINOR, fills every struct_size with that header's sizeof, and
 * serves GET /api/abi-v<minor>/hello; from ABI 1.3 on it also registers the middleware
 * "abi-v<minor>", whose response hook adds "X-ABI-Minor: <minor>" to its own routes' answers.
 *
 *   -DABI_DECLARE_MINOR=N   declare minor N in the magic block instead of the header's
 *   -DABI_NAME="name"       the plugin's name (default "abi-v<minor>")
 *   -DABI_DUPLICATE_MIDDLEWARE  registers its middleware twice and logs what the second returned
 *   -DABI_FUTURE_FIELDS     the header has a `future` field appended to each struct a plugin
 *                           writes (a simulated next minor): fill them with garbage the host must
 *                           not read
 */
#include "plughost.h"

#include <stdio.h>
#include <string.h>

#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)

#ifndef ABI_DECLARE_MINOR
#define ABI_DECLARE_MINOR PH_ABI_MINOR
#endif
#ifndef ABI_NAME
#define ABI_NAME "abi-v" TEXT(PH_ABI_MINOR)
#endif

#ifdef ABI_FUTURE_FIELDS
#define FUTURE_INITIALIZER , 0
#else
#define FUTURE_INITIALIZER
#endif

/* Positional, so that the same code compiles against every header: ph_magic_t has not changed. */
static ph_magic_t magic = {sizeof(ph_magic_t), PH_ABI_MAJOR, ABI_DECLARE_MINOR, ABI_NAME, "1.0",
                           "built against plughost.h " TEXT(PH_ABI_MAJOR) "." TEXT(PH_ABI_MINOR),
                           PH_RUNTIME_NONE, 0, PH_BUILD_TARGET FUTURE_INITIALIZER};

static const ph_host_api_t *host;
static ph_plugin_t *self;

PH_EXPORT const ph_magic_t *ph_plugin_magic(void) {
#ifdef ABI_FUTURE_FIELDS
    memset(&magic.future, 0xFF, sizeof magic.future);
#endif
    return &magic;
}

static void hello(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    static const char body[] = "{\"built_against\": \"" TEXT(PH_ABI_MAJOR) "." TEXT(PH_ABI_MINOR) "\"}";
    ph_pair_t headers[1];
    headers[0].name.data = "Content-Type"; headers[0].name.len = 12;
    headers[0].value.data = "application/json"; headers[0].value.len = 16;
    ph_response_t response;
    memset(&response, 0, sizeof response);
    response.struct_size = sizeof(ph_response_t);
    response.status = 200;
    response.headers = headers;
    response.header_count = 1;
    response.body.data = body;
    response.body.len = sizeof(body) - 1;
#ifdef ABI_FUTURE_FIELDS
    memset(&response.future, 0xFF, sizeof response.future);
#endif
    host->respond(call, &response);
}

#if PH_ABI_MINOR >= 3
static void tag(ph_call_t *call, const ph_request_t *request, const ph_response_view_t *response, void *user_data) {
    (void)request; (void)response; (void)user_data;
    ph_pair_t edit;
    edit.name.data = "X-ABI-Minor"; edit.name.len = 11;
    edit.value.data = TEXT(PH_ABI_MINOR); edit.value.len = strlen(TEXT(PH_ABI_MINOR));
    host->proceed(call, &edit, 1);
}

static ph_status_t add_middleware(void) {
    ph_middleware_t middleware;
    memset(&middleware, 0, sizeof middleware);
    middleware.struct_size = sizeof(ph_middleware_t);
    middleware.name = ABI_NAME;
    middleware.flags = PH_MIDDLEWARE_NON_BLOCKING | PH_MIDDLEWARE_OWN_ROUTES;
    middleware.on_response = tag;
#ifdef ABI_FUTURE_FIELDS
    memset(&middleware.future, 0xFF, sizeof middleware.future);
#endif
    ph_status_t status = host->register_middleware(self, &middleware);
#ifdef ABI_DUPLICATE_MIDDLEWARE
    ph_status_t again = host->register_middleware(self, &middleware);
    char line[80];
    snprintf(line, sizeof line, "second register_middleware returned %d", (int)again);
    host->log(self, PH_LOG_INFO, line);
#endif
    return status;
}
#endif

PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) {
    host = api;
    self = plugin;
    ph_route_t route;
    memset(&route, 0, sizeof route);
    route.struct_size = sizeof(ph_route_t);
    route.method = "GET";
    route.path = "/" ABI_NAME "/hello";
    route.flags = PH_ROUTE_NON_BLOCKING;
    route.handler = hello;
#ifdef ABI_FUTURE_FIELDS
    memset(&route.future, 0xFF, sizeof route.future);
#endif
    if (host->register_route(self, &route) != PH_OK) {
        host->set_error(self, "register_route failed");
        return PH_ERR_REGISTRATION_FAILED;
    }
#if PH_ABI_MINOR >= 3
    if (add_middleware() != PH_OK) {
        host->set_error(self, "register_middleware failed");
        return PH_ERR_REGISTRATION_FAILED;
    }
#endif
    return PH_OK;
}
