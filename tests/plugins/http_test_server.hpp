// A small HTTP/1.1 server for the http plugin's tests: 127.0.0.1 only, a
// thread per connection, keep-alive, bounded requests (64 KiB of headers,
// 64 MiB of body). The test gives a handler from request to reply; a reply
// may instead hold the connection until the server stops (a slow server).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace http_test {

struct Request {
  std::string method, target, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  }
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;
  bool hold = false;  // answer nothing; keep the connection until the server stops
};

class Server {
public:
  using Handler = std::function<Reply(const Request&)>;

  explicit Server(Handler handler) : handler_(std::move(handler)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("bind/listen");
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    held_.notify_all();
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    for (std::thread& t : workers_) t.join();
    ::close(listener_);
  }

  int port() const noexcept { return port_; }
  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int connections() const noexcept { return connections_.load(); }
  int requests() const noexcept { return requests_.load(); }
  // Waits (at most 10 s) until a request reached a held reply.
  bool wait_held() {
    std::unique_lock lock(mutex_);
    return held_.wait_for(lock, std::chrono::seconds(10), [this] { return holding_ > 0; });
  }

private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // shut down
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++connections_;
      open_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    while (read_request(fd, buffer)) {}
    std::lock_guard lock(mutex_);
    open_.erase(std::find(open_.begin(), open_.end(), fd));
    ::close(fd);
  }

  // Reads more into buffer; false on EOF, error or a limit.
  static bool fill(int fd, std::string& buffer) {
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }

  bool read_request(int fd, std::string& buffer) {
    size_t end = 0;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > 65536 || !fill(fd, buffer)) return false;
    }
    Request req;
    const std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    const std::string first = head.substr(0, line_end);
    const size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) return false;
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    const size_t mark = req.target.find('?');
    req.path = req.target.substr(0, mark);
    if (mark != std::string::npos) req.query = req.target.substr(mark + 1);
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      req.headers.emplace_back(std::move(name), std::move(value));
    }
    const std::string length = req.header("content-length");
    const size_t body_size = length.empty() ? 0 : std::stoul(length);
    if (body_size > (64u << 20)) return false;
    while (buffer.size() < body_size)
      if (!fill(fd, buffer)) return false;
    req.body = buffer.substr(0, body_size);
    buffer.erase(0, body_size);
    ++requests_;

    Reply reply = handler_(req);
    if (reply.hold) {
      std::unique_lock lock(mutex_);
      ++holding_;
      held_.notify_all();
      held_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_; });
      return false;
    }
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
    for (const auto& [n, v] : reply.headers) out += n + ": " + v + "\r\n";
    const bool no_body = req.method == "HEAD" || reply.status == 204 || reply.status == 304;
    if (reply.chunked) {
      out += "Transfer-Encoding: chunked\r\n\r\n";
      for (size_t at = 0; at < reply.body.size(); at += 1000) {
        const std::string part = reply.body.substr(at, 1000);
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", part.size());
        out += size + part + "\r\n";
      }
      out += "0\r\n\r\n";
    } else {
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
      if (!no_body) out += reply.body;
    }
    for (size_t sent = 0; sent < out.size();) {
      const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable held_;
  bool stopping_ = false;
  int holding_ = 0;
  std::vector<int> open_;
  std::vector<std::thread> workers_;
  std::atomic<int> connections_{0}, requests_{0};
};

}  // namespace http_test
