#include "result.hpp"

#include <phost/json.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace phost_http {

namespace {

phost::Value bare(int64_t code, const std::string& message) {
  phost::Value out = phost::Value::object(5);
  out.set("status", phost::Value::integer(code));
  out.set("data", phost::Value::null());
  out.set("headers", phost::Value::object());
  out.set("code", phost::Value::integer(code));
  out.set("message", phost::Value::string(message));
  return out;
}

phost::Value failure(const std::string& message) { return bare(0, message); }

bool json_type(const HeaderList& headers) {
  for (const auto& [name, value] : headers) {
    if (canonical_header(name) != "Content-Type") continue;
    std::string_view v = value;
    v.remove_prefix(std::min(v.find_first_not_of(" \t"), v.size()));
    constexpr std::string_view kJson = "application/json";
    if (v.size() < kJson.size()) return false;
    for (size_t i = 0; i < kJson.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(v[i])) != kJson[i]) return false;
    return true;
  }
  return false;
}

}  // namespace

std::string canonical_header(std::string_view name) {
  std::string out(name);
  for (const char c : out) {  // Go leaves a name with a space or a non-token byte as it is
    const bool token = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!token) return out;
  }
  bool upper = true;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    else if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    upper = c == '-';
  }
  return out;
}

phost::Value to_stream_result(const Response& response) {
  return response.failure.empty() ? bare(200, "ok") : bare(400, response.failure);
}

phost::Value to_result(const Request& request, Response response) {
  if (!response.failure.empty()) return failure(response.failure);

  // Header names in order of first appearance, values in order.
  phost::Value headers = phost::Value::object();
  {
    std::vector<std::pair<std::string, phost::Value>> grouped;
    for (const auto& [name, value] : response.headers) {
      const std::string key = canonical_header(name);
      auto it = std::find_if(grouped.begin(), grouped.end(), [&](const auto& g) { return g.first == key; });
      if (it == grouped.end()) it = grouped.insert(grouped.end(), {key, phost::Value::array()});
      it->second.push(phost::Value::string(value));
    }
    for (auto& [name, values] : grouped) headers.set(name, std::move(values));
  }

  phost::Value data = phost::Value::null();
  std::string message;
  if (request.method != "HEAD" && !response.body.empty()) {
    if (json_type(response.headers)) {
      boost::json::parse_options options;
      options.max_depth = 128;  // the depth the V8 runtime converts
      boost::system::error_code ec;
      const boost::json::value parsed = boost::json::parse(response.body, ec, {}, options);
      if (ec) return failure("http: " + request.method + " " + request.url.substr(0, 500) +
                             ": the response is not valid JSON: " + ec.message());
      data = phost::from_boost_json(parsed);
      if (parsed.is_object())
        if (const auto* m = parsed.get_object().if_contains("message"); m && m->is_string())
          message = std::string(m->get_string());
    } else {
      data = phost::Value::bytes(response.body);
    }
  }

  phost::Value out = phost::Value::object(5);
  out.set("status", phost::Value::integer(response.status));
  out.set("data", std::move(data));
  out.set("headers", std::move(headers));
  out.set("code", phost::Value::integer(response.status));
  out.set("message", phost::Value::string(message));
  return out;
}

}  // namespace phost_http
