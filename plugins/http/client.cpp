#include "client.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <mutex>
#include <vector>

namespace phost_http {

namespace {

// How long one wait for network activity may last before the call's
// cancellation is checked again.
constexpr int kPollMs = 20;
// bufio.Scanner's default limit, which gou's Stream uses.
constexpr size_t kMaxLine = 64 * 1024;

// What a transfer's callbacks share with the code driving it.
struct Hop {
  const Policy* policy = nullptr;
  bool name_allowed = false;
  std::string refused;  // why the open-socket check refused an address
  bool opened = false;  // it let one through (a refusal then is not why the connection failed)
  std::string body;
  size_t max_body = 0;
  bool too_big = false;
  // Stream: lines go to the sink once the response is known not to be a redirect.
  const LineSink* sink = nullptr;
  CURL* easy = nullptr;
  int streaming = -1;  // -1: not decided yet
  bool sink_stopped = false;
  std::string sink_failure;
  std::exception_ptr sink_error;
};

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Hands the complete lines of hop->body to the sink (all of it at the end);
// false when the transfer must stop.
bool feed_lines(Hop* hop, bool at_end) {
  size_t start = 0;
  for (;;) {
    const size_t newline = hop->body.find('\n', start);
    if (newline == std::string::npos && !(at_end && start < hop->body.size())) break;
    const size_t end = newline == std::string::npos ? hop->body.size() : newline;
    std::string_view line(hop->body.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end == hop->body.size() ? end : end + 1;
    const int64_t verdict = (*hop->sink)(line);
    if (verdict == 0) {
      hop->sink_stopped = true;
      return false;
    }
    if (verdict == -1) {
      hop->sink_failure = "handler return error -1";
      return false;
    }
  }
  hop->body.erase(0, start);
  if (hop->body.size() > kMaxLine) {
    hop->sink_failure = "bufio.Scanner: token too long (a line over " + std::to_string(kMaxLine) + " bytes)";
    return false;
  }
  return true;
}

curl_socket_t open_socket(void* data, curlsocktype /*purpose*/, curl_sockaddr* address) noexcept {
  auto* hop = static_cast<Hop*>(data);
  try {
    Address a;
    if (!Policy::address_of(&address->addr, a)) {
      hop->refused = "only IP connections are made";
      return CURL_SOCKET_BAD;
    }
    if (std::string why = hop->policy->check_address(a, hop->name_allowed); !why.empty()) {
      hop->refused = std::move(why);
      return CURL_SOCKET_BAD;
    }
  } catch (...) {
    hop->refused = "out of memory";
    return CURL_SOCKET_BAD;
  }
  hop->opened = true;
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

size_t on_body(char* data, size_t size, size_t count, void* user) noexcept {
  auto* hop = static_cast<Hop*>(user);
  const size_t n = size * count;
  if (hop->sink && hop->streaming < 0) {
    // (CURLINFO_REDIRECT_URL is only set once the transfer is done.)
    long status = 0;
    curl_header* location = nullptr;
    curl_easy_getinfo(hop->easy, CURLINFO_RESPONSE_CODE, &status);
    const bool has_location = curl_easy_header(hop->easy, "Location", 0, CURLH_HEADER, -1, &location) == CURLHE_OK;
    hop->streaming = !(is_redirect(status) && has_location);
  }
  if (hop->streaming == 1) {
    try {
      hop->body.append(data, n);
      return feed_lines(hop, false) ? n : 0;
    } catch (...) {
      hop->sink_error = std::current_exception();
      return 0;
    }
  }
  if (hop->body.size() + n > hop->max_body) {
    hop->too_big = true;
    return 0;  // fails the transfer with CURLE_WRITE_ERROR
  }
  try {
    hop->body.append(data, n);
  } catch (...) {
    return 0;
  }
  return n;
}

struct UrlParts {
  std::string scheme, host;
};
bool parts_of(const std::string& url, UrlParts& out) {
  CURLU* u = curl_url();
  if (!u) return false;
  bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  for (auto [part, target] : {std::pair{CURLUPART_SCHEME, &out.scheme}, std::pair{CURLUPART_HOST, &out.host}}) {
    char* text = nullptr;
    if (ok && curl_url_get(u, part, &text, 0) == CURLUE_OK) *target = text;
    else ok = false;
    curl_free(text);
  }
  curl_url_cleanup(u);
  return ok;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Go keeps credentials on a redirect to the same host or one below it.
bool same_domain(std::string_view from, std::string_view to) {
  if (iequal(from, to)) return true;
  return to.size() > from.size() + 1 && to[to.size() - from.size() - 1] == '.' &&
         iequal(to.substr(to.size() - from.size()), from);
}

class HeaderSlist {
public:
  explicit HeaderSlist(const HeaderList& headers) {
    for (const auto& [name, value] : headers) {
      // Go writes these from the request itself, never from its headers.
      if (iequal(name, "Host") || iequal(name, "Content-Length") || iequal(name, "Transfer-Encoding") ||
          iequal(name, "Trailer"))
        continue;
      // "Name:" would remove libcurl's own header; "Name;" sends it empty.
      append(value.empty() ? name + ";" : name + ": " + value);
    }
    if (!find_header(headers, "Expect")) append("Expect:");  // no 100-continue round trip, as Go
  }
  ~HeaderSlist() { curl_slist_free_all(list_); }
  HeaderSlist(const HeaderSlist&) = delete;
  HeaderSlist& operator=(const HeaderSlist&) = delete;
  curl_slist* get() const noexcept { return list_; }

private:
  void append(const std::string& line) {
    curl_slist* next = curl_slist_append(list_, line.c_str());
    if (!next) throw std::bad_alloc();
    list_ = next;
  }
  curl_slist* list_ = nullptr;
};

}  // namespace

// A transfer handle with a multi handle of its own, whose connection cache
// keeps connections open between calls. Used by one call at a time.
struct Client::Handles {
  CURLM* multi = curl_multi_init();
  CURL* easy = curl_easy_init();
  ~Handles() {
    if (easy) curl_easy_cleanup(easy);
    if (multi) curl_multi_cleanup(multi);
  }
};

// Idle handles, the most recently used first (its connections are the warmest).
class Client::Pool {
public:
  explicit Pool(size_t keep) : keep_(keep) {}
  std::unique_ptr<Handles> take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Handles> h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    auto h = std::make_unique<Handles>();
    if (!h->multi || !h->easy) phost::fail(507, "http: libcurl could not make a transfer handle");
    return h;
  }
  void give(std::unique_ptr<Handles> h) noexcept {
    std::lock_guard lock(mutex_);
    if (idle_.size() < keep_) idle_.push_back(std::move(h));
  }

private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Handles>> idle_;
  size_t keep_;
};

Client::Client(Config config)
    : config_(std::move(config)),
      policy_(config_.allow, config_.deny, config_.deny_defaults),
      pool_(std::make_unique<Pool>(static_cast<size_t>(config_.pool_size))) {}

Client::~Client() = default;

Response Client::send(const Request& request, const phost::Call& call, const LineSink* sink) {
  const phost_call_info info = call.info();
  const int64_t start = phost::api().clock_ns();
  const int64_t own_deadline = config_.timeout_ms > 0 ? start + config_.timeout_ms * 1000000 : 0;
  const int64_t deadline = info.deadline_ns == 0   ? own_deadline
                           : own_deadline == 0      ? info.deadline_ns
                                                    : std::min(own_deadline, info.deadline_ns);
  std::string method = request.method;
  std::string url = request.url;
  HeaderList headers = request.headers;
  std::optional<std::string> body = request.body;
  UrlParts first;
  parts_of(url, first);

  const auto where = [&] { return "http: " + method + " " + url.substr(0, 500); };
  const auto timed_out = [&]() -> std::string {
    const std::string after = " after " + std::to_string((phost::api().clock_ns() - start) / 1000000) + " ms";
    if (deadline == own_deadline) return where() + ": timeout_ms (" + std::to_string(config_.timeout_ms) + ") passed" + after;
    return where() + ": the call's deadline passed" + after;
  };

  std::unique_ptr<Handles> handles = pool_->take();
  struct GiveBack {
    Pool& pool;
    std::unique_ptr<Handles>& h;
    ~GiveBack() {
      curl_easy_reset(h->easy);  // drops the pointers into this call's state
      pool.give(std::move(h));
    }
  } give_back{*pool_, handles};
  CURL* easy = handles->easy;

  for (int64_t redirects = 0;; ++redirects) {
    UrlParts parts;
    if (!parts_of(url, parts)) return Response{0, {}, {}, where() + ": not a valid URL"};
    if (!iequal(parts.scheme, "http") && !iequal(parts.scheme, "https"))
      return Response{0, {}, {}, where() + ": unsupported protocol scheme \"" + parts.scheme + "\""};
    Hop hop;
    hop.policy = &policy_;
    hop.max_body = static_cast<size_t>(config_.max_response_bytes);
    hop.sink = sink;
    hop.easy = easy;
    if (std::string why = policy_.check_host(parts.host, hop.name_allowed); !why.empty())
      phost::fail(403, where() + ": refused: " + why);
    const int64_t now = phost::api().clock_ns();
    if (call.cancelled() || (deadline && now >= deadline)) {
      if (deadline && now >= deadline) phost::fail(408, timed_out());
      phost::fail(499, where() + ": cancelled");
    }

    char error[CURL_ERROR_SIZE] = {};
    HeaderSlist slist(headers);
    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    // The options the security rules stand on: refuse to go on without them.
    if (curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &open_socket) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &hop) != CURLE_OK)
      phost::fail(500, where() + ": this libcurl (" + curl_version_info(CURLVERSION_NOW)->version +
                    ") lacks an option the plugin needs (7.85 or later)");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &hop);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
    if (!sink) curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(config_.max_response_bytes));
    curl_easy_setopt(easy, CURLOPT_USERAGENT, config_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, slist.get());
    if (deadline) {
      const long ms = static_cast<long>(std::max<int64_t>(1, (deadline - now + 999999) / 1000000));
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, ms);
      curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
    }
    // As Go: ask for compressed bodies and undo the compression, unless the
    // script asked for an encoding itself (then it gets the bytes as sent).
    const bool decode = !find_header(headers, "Accept-Encoding");
    if (decode) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (!config_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, config_.ca_file.c_str());
    if (config_.proxy) curl_easy_setopt(easy, CURLOPT_PROXY, config_.proxy->c_str());
    if (config_.no_proxy) curl_easy_setopt(easy, CURLOPT_NOPROXY, config_.no_proxy->c_str());
    if (method == "GET") {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
      if (!body) body.emplace();  // lives until the function returns, as libcurl reads it in place
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    // Drive the transfer, waking every kPollMs to honour cancellation.
    CURLcode result = CURLE_OK;
    bool stopped = false;
    if (curl_multi_add_handle(handles->multi, easy) != CURLM_OK) phost::fail(500, where() + ": libcurl refused the transfer");
    for (bool done = false; !done;) {
      int running = 0;
      if (curl_multi_perform(handles->multi, &running) != CURLM_OK) {
        result = CURLE_FAILED_INIT;
        break;
      }
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(handles->multi, &left)) {
        if (msg->msg == CURLMSG_DONE) {
          result = msg->data.result;
          done = true;
        }
      }
      if (done) break;
      if (call.cancelled()) {
        stopped = true;
        break;
      }
      curl_multi_poll(handles->multi, nullptr, 0, kPollMs, nullptr);
    }
    curl_multi_remove_handle(handles->multi, easy);

    if (stopped) {
      if (deadline && phost::api().clock_ns() >= deadline) phost::fail(408, timed_out());
      phost::fail(499, where() + ": cancelled");
    }
    if (hop.sink_error) std::rethrow_exception(hop.sink_error);
    if (!hop.sink_failure.empty()) return Response{0, {}, {}, hop.sink_failure};
    if (hop.sink_stopped) return Response{};  // the handler had enough
    if (result == CURLE_OK && hop.streaming == 1) {
      try {
        feed_lines(&hop, true);
      } catch (...) {
        hop.sink_error = std::current_exception();
      }
      if (hop.sink_error) std::rethrow_exception(hop.sink_error);
      if (!hop.sink_failure.empty()) return Response{0, {}, {}, hop.sink_failure};
    }
    if (hop.too_big || result == CURLE_FILESIZE_EXCEEDED)
      phost::fail(413, where() + ": the response body is larger than max_response_bytes (" +
                    std::to_string(config_.max_response_bytes) + ")");
    if (!hop.refused.empty() && !hop.opened && result == CURLE_COULDNT_CONNECT)
      phost::fail(403, where() + ": refused: " + hop.refused);
    if (result == CURLE_OPERATION_TIMEDOUT) phost::fail(408, timed_out());
    // libcurl refuses a header line over 100 KB as out of memory, saying nothing more.
    if (result == CURLE_OUT_OF_MEMORY && !error[0])
      return Response{0, {}, {}, where() + ": out of memory, or a response header longer than libcurl accepts (100 KB)"};
    if (result != CURLE_OK)
      return Response{0, {}, {}, where() + ": " + (error[0] ? std::string(error) : curl_easy_strerror(result))};

    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    const char* location = nullptr;
    curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location);
    const bool redirect = location && is_redirect(status);
    if (redirect && config_.max_redirects > 0) {
      if (redirects == config_.max_redirects)
        return Response{0, {}, {}, where() + ": stopped after " + std::to_string(redirects) + " redirects (max_redirects)"};
      if (status <= 303 && method != "GET" && method != "HEAD") {
        method = "GET";
        body.reset();
        remove_header(headers, "Content-Type");
        remove_header(headers, "Content-Length");
      }
      url = location;
      UrlParts next;
      if (parts_of(url, next) && !same_domain(first.host, next.host))
        for (const char* secret : {"Authorization", "Www-Authenticate", "Cookie", "Cookie2"})
          remove_header(headers, secret);
      continue;
    }

    Response response;
    response.status = status;
    response.body = std::move(hop.body);
    bool decoded = false;
    for (curl_header* prev = nullptr; (prev = curl_easy_nextheader(easy, CURLH_HEADER, -1, prev));) {
      if (decode && iequal(prev->name, "Content-Encoding")) {
        decoded = true;
        continue;
      }
      response.headers.emplace_back(prev->name, prev->value);
    }
    if (decoded) remove_header(response.headers, "Content-Length");  // of the encoded body, as Go drops it
    return response;
  }
}

}  // namespace phost_http
