#include "config.hpp"

#include <phost/plugin.hpp>

#include <cctype>
#include <filesystem>
#include <system_error>

namespace phost_http {

namespace {

[[noreturn]] void bad(const std::string& why) { phost::fail(400, "http: configuration: " + why); }

int64_t read_int(phost::View cfg, const char* key, int64_t fallback, int64_t min) {
  const phost::View v = cfg[key];
  if (!v) return fallback;
  if (v.kind() != PHOST_INT || v.as_int() < min)
    bad(std::string(key) + " must be an integer of at least " + std::to_string(min));
  return v.as_int();
}

std::optional<std::string> read_string(phost::View cfg, const char* key) {
  const phost::View v = cfg[key];
  if (!v) return std::nullopt;
  if (v.kind() != PHOST_STRING) bad(std::string(key) + " must be a string");
  return std::string(v.as_string());
}

std::vector<std::string> read_list(phost::View cfg, const char* key) {
  const phost::View v = cfg[key];
  std::vector<std::string> out;
  if (!v) return out;
  if (v.kind() != PHOST_ARRAY) bad(std::string(key) + " must be an array of host names, addresses or networks");
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].kind() != PHOST_STRING || v[i].as_string().empty())
      bad(std::string(key) + "[" + std::to_string(i) + "] must be a non-empty string");
    out.emplace_back(v[i].as_string());
  }
  return out;
}

}  // namespace

bool matches(std::string_view pattern, std::string_view name) {
  const auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  // Iterative glob: remember the last '*' and retry from one further on a mismatch.
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && same(pattern[p], name[n])) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Config read_config(phost::View cfg) {
  Config c;
  if (!cfg) return c;
  phost::check_keys(cfg,
                    {"allow", "ca_file", "deny", "deny_defaults", "file_root", "max_redirects",
                     "max_request_bytes", "max_response_bytes", "no_proxy", "pool_size", "proxy", "stream_handlers",
                     "timeout_ms", "user_agent"},
                    "http: configuration");
  namespace fs = std::filesystem;
  if (auto ca = read_string(cfg, "ca_file")) {
    std::error_code ec;
    if (ca->empty() || !fs::is_regular_file(*ca, ec)) bad("ca_file '" + *ca + "' is not a readable file");
    c.ca_file = *ca;
  }
  c.max_redirects = read_int(cfg, "max_redirects", c.max_redirects, 0);
  c.max_response_bytes = read_int(cfg, "max_response_bytes", c.max_response_bytes, 1);
  c.max_request_bytes = read_int(cfg, "max_request_bytes", c.max_request_bytes, 1);
  c.timeout_ms = read_int(cfg, "timeout_ms", c.timeout_ms, 0);
  c.pool_size = read_int(cfg, "pool_size", c.pool_size, 0);
  c.proxy = read_string(cfg, "proxy");
  c.no_proxy = read_string(cfg, "no_proxy");
  if (cfg["stream_handlers"]) c.stream_handlers = read_list(cfg, "stream_handlers");
  c.allow = read_list(cfg, "allow");
  c.deny = read_list(cfg, "deny");
  if (const phost::View v = cfg["deny_defaults"]) {
    if (v.kind() != PHOST_BOOL) bad("deny_defaults must be true or false");
    c.deny_defaults = v.as_bool();
  }
  if (auto root = read_string(cfg, "file_root")) {
    std::error_code ec;
    const fs::path canonical = fs::canonical(*root, ec);
    if (root->empty() || ec || !fs::is_directory(canonical, ec)) bad("file_root '" + *root + "' is not a directory");
    c.file_root = canonical.string();
  }
  if (auto agent = read_string(cfg, "user_agent")) {
    if (agent->find_first_of("\r\n") != std::string::npos) bad("user_agent must be one line");
    c.user_agent = *agent;
  }
  return c;
}

}  // namespace phost_http
