// The plugin's configuration (plugins/http/README.md, "Configuration").
#pragma once

#include <phost/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace phost_http {

struct Config {
  std::string ca_file;                       // empty: the system's CA bundle
  int64_t max_redirects = 5;                 // 0: a redirect is the result
  int64_t max_response_bytes = 8 << 20;      // decoded body
  int64_t max_request_bytes = 16 << 20;      // encoded body, uploads included
  int64_t timeout_ms = 30000;                // per call, all redirects; 0: the call's deadline only
  std::optional<std::string> proxy;          // absent: libcurl's *_proxy variables; "": none
  std::optional<std::string> no_proxy;
  std::vector<std::string> allow, deny;
  bool deny_defaults = true;
  std::string file_root;                     // canonical; empty: no uploads from disk
  std::string user_agent = "phost-http/1.0";
  int64_t pool_size = 8;                     // idle transfer handles (and their connections) kept
  // Processes Stream may hand lines to ('*': any run of characters, case ignored).
  std::vector<std::string> stream_handlers{"scripts.*"};
};

// Does name match pattern ('*' any run of characters, case ignored)?
bool matches(std::string_view pattern, std::string_view name);

// Reads and checks the configuration (an empty view: the defaults). Throws
// phost::Error 400 naming the bad key, unknown keys included.
Config read_config(phost::View config);

}  // namespace phost_http
