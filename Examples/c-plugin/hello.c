/*
 * A PlugHost plugin in plain C11, built from plughost.h alone:
 *   GET /api/c/hello  ->  {"message": "Hello from C"}
 * and a middleware, "c-block", that answers 403 to every /api request carrying a configured
 * header and value, before the route runs:
 *   [plugins.hello-c]
 *   block_header = "X-Block"
 *   block_value = "yes"
 *
 * Build: make        (writes libhello_c.so; copy it into the host's plugins/ directory)
 */
#include "plughost.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The magic block and its exported ph_plugin_magic(), every field filled by the header. */
PH_PLUGIN_MAGIC("hello-c", "1.0.0", "Says hello from a plugin written in C.")

/* The host API table: static storage of the host, valid for the life of the process. */
static const ph_host_api_t *host;

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

/* The blocking rule from [plugins.hello-c]; the header name lower-cased, as the host hands
 * request header names to plugins. Written once during registration, read-only afterwards. */
static char block_header[128];
static char block_value[256];

/* Copies the string value of "key" in a flat JSON object into `out`. Enough for this example's
 * two settings (no escapes inside them); a real plugin would use a JSON parser. */
static int json_string(const char *json, const char *key, char *out, size_t size) {
    char quoted[140];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *at = strstr(json, quoted);
    if (!at) return 0;
    at += strlen(quoted);
    while (*at == ' ' || *at == ':') at++;
    if (*at++ != '"') return 0;
    size_t length = 0;
    while (at[length] && at[length] != '"' && at[length] != '\\') length++;
    if (at[length] != '"' || length >= size) return 0;
    memcpy(out, at, length);
    out[length] = '\0';
    return 1;
}

/* The request hook: 403 when the configured header has the configured value, else go on. It
 * runs inline on the host's I/O threads (PH_MIDDLEWARE_NON_BLOCKING), so it must not block. */
static void block_if_marked(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    for (size_t i = 0; i < request->header_count; i++) {
        const ph_pair_t *header = &request->headers[i];
        if (header->name.len == strlen(block_header) && memcmp(header->name.data, block_header, header->name.len) == 0
            && header->value.len == strlen(block_value) && memcmp(header->value.data, block_value, header->value.len) == 0) {
            static const char body[] = "{\"detail\": \"Blocked by the hello-c middleware.\"}";
            const ph_pair_t headers[] = {{{"Content-Type", 12}, {"application/json", 16}}};
            ph_response_t response = {sizeof(ph_response_t), 403, headers, 1, {body, sizeof(body) - 1}};
            host->respond(call, &response);
            return;
        }
    }
    host->proceed(call, NULL, 0);
}

/* Registers "c-block" when [plugins.hello-c] names a header and a value. */
static ph_status_t register_blocker(const ph_host_api_t *api, ph_plugin_t *plugin) {
    const char *config = api->config_json(plugin, NULL);
    if (!json_string(config, "block_header", block_header, sizeof block_header)) return PH_OK;
    if (!json_string(config, "block_value", block_value, sizeof block_value)) {
        api->set_error(plugin, "[plugins.hello-c] block_header is set but block_value is not");
        return PH_ERR_REGISTRATION_FAILED;
    }
    for (char *c = block_header; *c; c++) *c = (char)tolower((unsigned char)*c);
    ph_middleware_t blocker = {
        .struct_size = sizeof(ph_middleware_t),
        .name = "c-block",
        .flags = PH_MIDDLEWARE_NON_BLOCKING,
        .path_prefixes = NULL, /* every /api route */
        .path_prefix_count = 0,
        .on_request = block_if_marked,
        .on_response = NULL,
        .user_data = NULL,
    };
    return api->register_middleware(plugin, &blocker);
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
        .max_body_size = 0, /* the host's [limits] max_body_size */
    };
    /* openapi_components arrived in ABI 1.3: an older host's table ends before it. */
    if (PH_HOST_HAS(api, openapi_components)) {
        api->openapi_components(plugin,
            "{\"schemas\": {\"Greeting\": {\"type\": \"object\", \"required\": [\"message\"],"
            " \"properties\": {\"message\": {\"type\": \"string\"}}}}}");
    }
    ph_status_t status = api->register_route(plugin, &route);
    if (status != PH_OK) {
        api->set_error(plugin, "could not register GET /c/hello");
        return PH_ERR_REGISTRATION_FAILED;
    }
    /* Middleware arrived in ABI 1.3; this plugin declares this header's version, so the host has it. */
    if (register_blocker(api, plugin) != PH_OK) return PH_ERR_REGISTRATION_FAILED;
    api->log(plugin, PH_LOG_INFO, "hello-c ready");
    return PH_OK;
}
