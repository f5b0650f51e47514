/*
 * A PlugHost plugin in plain C11, built from plughost.h alone:
 *   GET /api/c/hello  ->  {"message": "Hello from C"}
 *
 * Build: make        (writes libhello_c.so; copy it into the host's plugins/ directory)
 */
#include "plughost.h"

#include <string.h>

static const ph_magic_t magic = {
    .struct_size = sizeof(ph_magic_t),
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .name = "hello-c",
    .version = "1.0.0",
    .description = "Says hello from a plugin written in C.",
    .swift_runtime = PH_RUNTIME_NONE,
    .swift_version = 0,
    .target = PH_BUILD_TARGET,
};

/* The host API table: static storage of the host, valid for the life of the process. */
static const ph_host_api_t *host;

PH_EXPORT const ph_magic_t *ph_plugin_magic(void) { return &magic; }

/* Runs inline on the host's I/O threads (PH_ROUTE_NON_BLOCKING): it must never block. */
static void hello(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request;
    (void)user_data;
    static const char body[] = "{\"message\": \"Hello from C\"}";
    const ph_pair_t headers[] = {
        {{"Content-Type", 12}, {"application/json", 16}},
    };
    ph_response_t response = {
        .struct_size = sizeof(ph_response_t),
        .status = 200,
        .headers = headers,
        .header_count = 1,
        .body = {body, sizeof(body) - 1},
    };
    /* The host copies the response before respond() returns; stack storage is fine. */
    host->respond(call, &response);
}

PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) {
    host = api;
    ph_route_t route = {
        .struct_size = sizeof(ph_route_t),
        .method = "GET",
        .path = "/c/hello",
        .flags = PH_ROUTE_NON_BLOCKING,
        .handler = hello,
        .user_data = NULL,
        /* An OpenAPI 3.1 Operation. "Greeting" is this plugin's own schema (below); the host
         * names it "hello-c.Greeting" in /api/openapi.json, so it never collides with another
         * plugin's "Greeting". */
        .openapi_json =
            "{\"summary\": \"Say hello from C\","
            " \"responses\": {\"200\": {\"description\": \"A greeting\","
            " \"content\": {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Greeting\"}}}}}}",
        .required_scope = NULL,
        .rate_cost = 1,
    };
    /* openapi_components arrived in ABI 1.3: an older host's table ends before it. */
    if (api->struct_size >= offsetof(ph_host_api_t, openapi_components) + sizeof(api->openapi_components)) {
        api->openapi_components(plugin,
            "{\"schemas\": {\"Greeting\": {\"type\": \"object\", \"required\": [\"message\"],"
            " \"properties\": {\"message\": {\"type\": \"string\"}}}}}");
    }
    ph_status_t status = api->register_route(plugin, &route);
    if (status != PH_OK) {
        api->set_error(plugin, "could not register GET /c/hello");
        return PH_ERR_REGISTRATION_FAILED;
    }
    api->log(plugin, PH_LOG_INFO, "hello-c ready");
    return PH_OK;
}
