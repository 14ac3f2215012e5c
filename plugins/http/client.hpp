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

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace phost_http {

struct Response {
  long status = 0;
  HeaderList headers;   // of the final response, names as received
  std::string body;     // decoded (Content-Encoding undone)
  std::string failure;  // a transport failure, reported as gou does: a result with code 0
};

// Stream's consumer of body lines: 0 stops the transfer, -1 fails it, any
// other value goes on. May throw (a failed nested call): the transfer stops
// and send() rethrows.
using LineSink = std::function<int64_t(std::string_view line)>;

class Client {
public:
  // Throws std::invalid_argument for a bad allow or deny entry.
  explicit Client(Config config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Throws phost::Error: 403 refused by the policy, 408 deadline, 413 the
  // response is larger than max_response_bytes, 499 cancelled. With a sink,
  // the final response's body goes to it line by line (as Go's
  // bufio.Scanner splits it: "\n" or "\r\n", at most 64 KiB a line)
  // instead of into Response::body, whatever its size.
  Response send(const Request& request, const phost::Call& call, const LineSink* sink = nullptr);

  const Config& config() const noexcept { return config_; }

private:
  struct Handles;
  class Pool;
  Config config_;
  Policy policy_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace phost_http
