/* A plugin written to break the host from plughost.h alone: answers whose framing would split a
 * response (a body on 204/304, its own Content-Length or Transfer-Encoding, a 1xx as the final
 * status) and text that would forge log lines (CR, LF, ANSI escapes in log(), in the magic
 * block's version and description, in set_error, and a client's path parameter logged as is).
 *
 * Routes (all non-blocking, no key, no rate limit):
 *   GET /hostile/status/{code}     answers status {code} with the body "FORGED-BODY"; the query
 *                                  "cl=N" adds "Content-Length: N", "te" adds
 *                                  "Transfer-Encoding: chunked"
 *   GET /hostile/split             answers 204 whose body is a whole forged HTTP/1.1 response
 *   GET /hostile/echo/{text}       logs "client said: {text}" (the percent-decoded parameter)
 *
 * -DHOSTILE_FAIL_REGISTRATION: registration fails with a set_error text holding CR, LF and ESC.
 * -DHOSTILE_HUGE_PATH: also registers a route whose path is 1 MiB long (refused by the host).
 */
#include "plughost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PH_PLUGIN_MAGIC("hostile", "1.0\n2026-01-01T00:00:00Z [error] forged-by-version",
                "answers\r\n2026-01-01T00:00:00Z [error] forged-by-description \x1b[31mred")

static const ph_host_api_t *host;
static ph_plugin_t *self;

static ph_str_t text(const char *value) { return (ph_str_t){value, strlen(value)}; }

static void status_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    char digits[8] = {0};
    if (request->param_count == 1 && request->params[0].value.len < sizeof digits) {
        memcpy(digits, request->params[0].value.data, request->params[0].value.len);
    }
    char length[24] = {0};
    ph_pair_t headers[3] = {{text("Content-Type"), text("text/plain")}};
    size_t count = 1;
    const char *query = request->query.data;
    size_t query_len = request->query.len;
    if (query_len > 3 && query_len < 20 && memcmp(query, "cl=", 3) == 0) {
        memcpy(length, query + 3, query_len - 3);
        headers[count++] = (ph_pair_t){text("Content-Length"), text(length)};
    }
    if (query_len == 2 && memcmp(query, "te", 2) == 0) {
        headers[count++] = (ph_pair_t){text("Transfer-Encoding"), text("chunked")};
    }
    ph_response_t response = {sizeof(ph_response_t), (uint16_t)atoi(digits), headers, count, text("FORGED-BODY")};
    host->respond(call, &response);
}

static void split_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)request; (void)user_data;
    const char *forged = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Forged: yes\r\n\r\nFORGED";
    ph_response_t response = {sizeof(ph_response_t), 204, NULL, 0, text(forged)};
    host->respond(call, &response);
}

static void echo_handler(ph_call_t *call, const ph_request_t *request, void *user_data) {
    (void)user_data;
    char line[512];
    int length = request->param_count == 1 ? (int)request->params[0].value.len : 0;
    if (length > 400) length = 400;
    snprintf(line, sizeof line, "client said: %.*s", length, length ? request->params[0].value.data : "");
    host->log(self, PH_LOG_INFO, line);
    ph_response_t response = {sizeof(ph_response_t), 200, NULL, 0, text("{}")};
    host->respond(call, &response);
}

static ph_status_t route(const char *path, ph_handler_fn handler) {
    ph_route_t descriptor = {
        .struct_size = sizeof(ph_route_t),
        .method = "GET",
        .path = path,
        .flags = PH_ROUTE_NON_BLOCKING | PH_ROUTE_NO_RATE_LIMIT,
        .handler = handler,
    };
    return host->register_route(self, &descriptor);
}

PH_EXPORT ph_status_t ph_plugin_register(const ph_host_api_t *api, ph_plugin_t *plugin) {
    host = api;
    self = plugin;
#ifdef HOSTILE_FAIL_REGISTRATION
    (void)route; (void)status_handler; (void)split_handler; (void)echo_handler;
    host->set_error(self, "no database\r\n2026-01-01T00:00:00Z [error] forged-by-set-error \x1b[2J");
    return PH_ERR_REGISTRATION_FAILED;
#else
    host->log(self, PH_LOG_WARNING, "loading\n2026-01-01T00:00:00Z [error] forged-by-log \x1b[31mred\rback");
    if (route("/hostile/status/{code}", status_handler) != PH_OK) return PH_ERR_REGISTRATION_FAILED;
    if (route("/hostile/split", split_handler) != PH_OK) return PH_ERR_REGISTRATION_FAILED;
    if (route("/hostile/echo/{text}", echo_handler) != PH_OK) return PH_ERR_REGISTRATION_FAILED;
#ifdef HOSTILE_HUGE_PATH
    size_t size = 1024 * 1024;
    char *huge = malloc(size + 1);
    if (huge == NULL) return PH_ERR_REGISTRATION_FAILED;
    huge[0] = '/';
    memset(huge + 1, 'a', size - 1);
    huge[size] = '\0';
    ph_status_t refused = route(huge, status_handler);
    free(huge);
    return refused == PH_OK ? PH_OK : PH_ERR_REGISTRATION_FAILED;
#endif
    return PH_OK;
#endif
}
