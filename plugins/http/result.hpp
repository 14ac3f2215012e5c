// The value a process returns, shaped as gou's http.Response:
// {status, data, headers, code, message}.
#pragma once

#include "client.hpp"
#include "request.hpp"

#include <phost/value.hpp>

namespace phost_http {

// data: null for HEAD and empty bodies; a JSON body (Content-Type
// application/json...) decoded, its "message" (a string) copied to message;
// any other body as bytes. headers: canonical names (Go's), each an array.
// A transport failure is {status: 0, code: 0, message, headers: {}, data: null}.
phost::Value to_result(const Request& request, Response response);

// Stream's result, as gou's JavaScript http.Stream gives it: code 200 and
// message "ok" once the body ended or the handler stopped it; code 400 and
// the reason when the transfer failed or the handler returned -1.
phost::Value to_stream_result(const Response& response);

// Go's textproto.CanonicalMIMEHeaderKey: "content-type" -> "Content-Type".
std::string canonical_header(std::string_view name);

}  // namespace phost_http
