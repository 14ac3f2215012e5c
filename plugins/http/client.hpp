// Sends requests with libcurl: the host and address checks of the Policy on
// every hop, redirects followed by hand (gou's rules: 301-303 turn into GET
// without a body, 307/308 keep both; credentials dropped on the way to
// another host), the call's deadline and cancellation, the response size
// limit, and a small pool of transfer handles whose connections are reused.
#pragma once

#include "config.hpp"
#include "policy.hpp"
#include "request.hpp"

#include <phost/plugin.hpp>

#include <memory>
#include <string>

namespace phost_http {

struct Response {
  long status = 0;
  HeaderList headers;   // of the final response, names as received
  std::string body;     // decoded (Content-Encoding undone)
  std::string failure;  // a transport failure, reported as gou does: a result with code 0
};

class Client {
public:
  // Throws std::invalid_argument for a bad allow or deny entry.
  explicit Client(Config config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Throws phost::Error: 403 refused by the policy, 408 deadline, 413 the
  // response is larger than max_response_bytes, 499 cancelled.
  Response send(const Request& request, const phost::Call& call);

  const Config& config() const noexcept { return config_; }

private:
  struct Handles;
  class Pool;
  Config config_;
  Policy policy_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace phost_http
