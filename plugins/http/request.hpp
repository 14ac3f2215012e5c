// A request built from a process's arguments, as gou's http package builds
// it: argument order per method, query and header shapes, the default
// Content-Type, and the body encoded by Content-Type (JSON, form, multipart,
// text). Bad arguments are 400 errors naming the argument.
#pragma once

#include "config.hpp"
#include "url_values.hpp"

#include <phost/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace phost_http {

struct Request {
  std::string method;               // upper case
  std::string url;                  // the arguments' query merged in, encoded as Go does
  HeaderList headers;
  std::optional<std::string> body;  // none for GET and HEAD
};

// The processes, by the name after "http.": Get, Post, Put, Patch, Delete,
// Head, Send, Stream. The argument lists are gou's (README.md, "Processes").
enum class Method { Get, Post, Put, Patch, Delete, Head, Send, Stream };

Request build_request(Method method, const phost::Call& call, const Config& config);

// Stream's handler argument: the name of the process each line goes to.
std::string stream_handler(const phost::Call& call);

// The value of a header (the first one given), names compared ignoring case.
std::optional<std::string_view> find_header(const HeaderList& headers, std::string_view name);
// Removes every header of that name.
void remove_header(HeaderList& headers, std::string_view name);

// Where the arguments of each process are (-1: not taken).
struct Layout {
  int method, url, payload, files, query, headers, handler = -1;
};
Layout layout_of(Method method);

}  // namespace phost_http
