// http: an HTTP client for scripts on libcurl, registering gou's http
// processes: http.Get, Post, Put, Patch, Delete, Head, Send and Stream, with
// gou's argument lists and result shape ({status, data, headers, code, message}).
// Written only against sdk/, as a third party would. Configuration, the
// arguments of each process, errors and the security defaults: README.md.
#include "client.hpp"
#include "config.hpp"
#include "request.hpp"
#include "result.hpp"

#include <phost/plugin.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace {

using phost_http::Method;

// libcurl's global state, once per plugin instance (reference counted by
// libcurl, thread-safe in Debian 12's 7.88 build: the "threadsafe" feature).
struct CurlGlobal {
  CurlGlobal() {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw phost::Error(500, "http: libcurl did not start", PHOST_E_LOAD);
  }
  ~CurlGlobal() { curl_global_cleanup(); }
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

struct State {
  CurlGlobal curl;
  phost_http::Client client;
  explicit State(phost_http::Config config) : client(std::move(config)) {}
};

struct Process {
  const char* name;
  Method method;
  const char* description;
};

constexpr Process kProcesses[] = {
    {"http.Get", Method::Get, "HTTP GET: http.Get(url[, query][, headers])"},
    {"http.Post", Method::Post, "HTTP POST: http.Post(url[, payload][, files][, query][, headers])"},
    {"http.Put", Method::Put, "HTTP PUT: http.Put(url[, payload][, query][, headers])"},
    {"http.Patch", Method::Patch, "HTTP PATCH: http.Patch(url[, payload][, query][, headers])"},
    {"http.Delete", Method::Delete, "HTTP DELETE: http.Delete(url[, payload][, query][, headers])"},
    {"http.Head", Method::Head, "HTTP HEAD: http.Head(url[, payload][, query][, headers])"},
    {"http.Send", Method::Send, "Any method: http.Send(method, url[, payload][, query][, headers][, files])"},
    {"http.Stream", Method::Stream,
     "The body line by line to a process: http.Stream(method, url, handler[, payload][, query][, headers])"},
};

// Stream: each line of the body to the handler process, as a string (bytes
// when it is not UTF-8); it returns 0 to stop, -1 to fail, anything else to go on.
phost::Value stream(phost_http::Client& client, phost::Call& call) {
  const std::string handler = phost_http::stream_handler(call);
  // The handler is called with this call's authority, past the V8 runtime's
  // process_allow/process_deny: only the configured names may take lines.
  const auto& allowed = client.config().stream_handlers;
  if (std::none_of(allowed.begin(), allowed.end(), [&](const std::string& p) { return phost_http::matches(p, handler); }))
    phost::fail(403, "http: Stream: handler '" + handler + "' is not in stream_handlers");
  const phost_http::Request request = phost_http::build_request(Method::Stream, call, client.config());
  const phost_http::LineSink sink = [&](std::string_view line) -> int64_t {
    phost::Value text;
    try {
      text = phost::Value::string(line);
    } catch (const phost::Error&) {
      text = phost::Value::bytes(line);
    }
    const phost::Value verdict = call.call(handler, phost::args(std::move(text)));
    return verdict.kind() == PHOST_INT ? verdict.as_int() : 1;
  };
  return phost_http::to_stream_result(client.send(request, call, &sink));
}

void init(phost::Plugin& plugin, phost_plugin_info& info) {
  phost_http::Config config = phost_http::read_config(plugin.config());
  std::unique_ptr<State> state;
  try {
    state = std::make_unique<State>(std::move(config));
  } catch (const std::invalid_argument& e) {  // a bad allow or deny entry
    phost::fail(400, std::string("http: configuration: ") + e.what());
  }
  phost_http::Client* client = &state->client;
  info.plugin_data = state.release();
  info.on_unload = [](void* data) { delete static_cast<State*>(data); };
  for (const Process& p : kProcesses) {
    plugin.add(p.name, p.description, [client, method = p.method](phost::Call& call) {
      if (method == Method::Stream) return stream(*client, call);
      phost_http::Request request = phost_http::build_request(method, call, client->config());
      phost_http::Response response = client->send(request, call);
      return phost_http::to_result(request, std::move(response));
    });
  }
}

}  // namespace

PHOST_DECLARE_PLUGIN("http", "1.0.0", init)
