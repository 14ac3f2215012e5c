// The http plugin (plugins/http), loaded into a phost::Host as an application
// would, against a server the test starts on 127.0.0.1 (http_test_server.hpp).
#include "http_test_server.hpp"
#include "plugin_support.hpp"

#include <phost/phost.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

using phost::Value;
using plugin_test::contains;
using plugin_test::Failure;

namespace {

constexpr std::string_view kJson = R"({"message":"hi","items":[1,2.5,"x",null,true],"big":9007199254740993})";

// The routes every test's server answers.
http_test::Reply routes(const http_test::Request& req) {
  using Reply = http_test::Reply;
  const auto json = [](int status, const std::string& body) {
    return Reply{status, {{"Content-Type", "application/json; charset=utf-8"}}, body};
  };
  const std::string& p = req.path;
  if (p == "/json") return json(200, std::string(kJson));
  if (p.rfind("/status/", 0) == 0)
    return json(std::stoi(p.substr(8)), R"({"message":"status )" + p.substr(8) + R"(","ok":false})");
  if (p == "/text") return Reply{200, {{"Content-Type", "text/plain"}}, "hello"};
  if (p == "/bytes") return Reply{200, {{"Content-Type", "application/octet-stream"}}, std::string("\0\1\xff\xfe", 4)};
  if (p == "/empty") return Reply{204, {}, ""};
  if (p == "/badjson") return json(200, "{bad");
  if (p == "/headers")
    return Reply{200, {{"set-cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"x-custom-thing", "yes"}}, "ok"};
  if (p == "/echo") {
    Value headers = Value::object();
    for (const auto& [name, value] : req.headers) {
      std::string joined = value;
      if (const phost::View old = headers[name]) joined = std::string(old.as_string()) + ", " + value;
      headers.set(name, Value::string(joined));
    }
    Value out = Value::object();
    out.set("method", Value::string(req.method));
    out.set("path", Value::string(req.path));
    out.set("query", Value::string(req.query));
    out.set("headers", std::move(headers));
    out.set("body", Value::string(req.body));
    return json(200, out.to_json());
  }
  if (p.rfind("/redirect/", 0) == 0) {
    const int n = std::stoi(p.substr(10));
    return Reply{302, {{"Location", n > 0 ? "/redirect/" + std::to_string(n - 1) : "/json"}}, ""};
  }
  if (p == "/lines") return Reply{200, {{"Content-Type", "text/event-stream"}}, "a\nb\r\n\n" + std::string(3000, 'c'), true};
  if (p == "/latin1") return Reply{200, {}, "caf\xe9\n"};
  if (p == "/to-lines") return Reply{302, {{"Location", "/lines"}}, "redirect body\n"};
  if (p == "/see-other") return Reply{303, {{"Location", "/echo"}}, ""};
  if (p == "/temporary") return Reply{307, {{"Location", "/echo"}}, ""};
  if (p == "/to-metadata") return Reply{302, {{"Location", "http://169.254.169.254/latest/"}}, ""};
  if (p == "/slow") return Reply{200, {}, "", false, true};
  if (p == "/big") return Reply{200, {{"Content-Type", "application/octet-stream"}}, std::string(std::stoul(req.query), 'b')};
  if (p == "/bigheader") return Reply{200, {{"X-Big", std::string(std::stoul(req.query), 'h')}}, "ok"};
  if (p == "/chunked")
    return Reply{200, {{"Content-Type", "application/octet-stream"}}, std::string(std::stoul(req.query), 'c'), true};
  return json(404, R"({"message":"no route"})");
}

// A host with the http plugin loaded with config (JSON) and a server.
struct Fixture {
  explicit Fixture(const std::string& config = "{}") : host(plugin_test::quiet()), server(routes) {
    Value c = Value::from_json(config);
    if (!c["proxy"]) c.set("proxy", Value::string(""));  // never the environment's proxy for 127.0.0.1
    host.load_plugin(PHOST_HTTP_PLUGIN, c);
  }
  Value call(std::string_view name, const Value& args, const phost::CallOptions& options = {}) {
    return host.call(name, args, options);
  }
  std::string json(std::string_view name, const Value& args) { return plugin_test::json(host, name, args); }
  Failure error(std::string_view name, const Value& args, const phost::CallOptions& options = {}) {
    try {
      host.call(name, args, options);
      return {};
    } catch (const phost::Error& e) {
      return {e.code(), e.what()};
    }
  }
  std::string url(std::string_view path) const { return server.url(path); }
  phost::Host host;
  http_test::Server server;
};

std::string str(phost::View v) { return v ? std::string(v.as_string()) : std::string("<absent>"); }

Failure load_error(const std::string& config) {
  phost::Host host(plugin_test::quiet());
  return plugin_test::load_error(host, PHOST_HTTP_PLUGIN, Value::from_json(config));
}

}  // namespace

TEST_SUITE("http plugin") {

TEST_CASE("configuration: unknown keys, bad types and bad rules are refused at load") {
  CHECK(contains(load_error(R"({"timeout": 5})").message, "unknown key 'timeout'"));
  CHECK(contains(load_error(R"({"max_redirects": -1})").message, "max_redirects must be an integer of at least 0"));
  CHECK(contains(load_error(R"({"max_response_bytes": "1MB"})").message, "max_response_bytes must be an integer"));
  CHECK(contains(load_error(R"({"deny": "10.0.0.0/8"})").message, "deny must be an array"));
  CHECK(contains(load_error(R"({"deny": ["10.0.0.0/33"]})").message, "deny: '10.0.0.0/33' has a bad prefix length"));
  CHECK(contains(load_error(R"({"allow": ["exa mple.com"]})").message, "allow: 'exa mple.com' is not a host name"));
  CHECK(contains(load_error(R"({"ca_file": "/no/such/ca.pem"})").message, "ca_file '/no/such/ca.pem'"));
  CHECK(contains(load_error(R"({"file_root": "/no/such/dir"})").message, "file_root '/no/such/dir'"));
  CHECK(load_error(R"({"deny": ["10.0.0.0/8"]})").code == 400 - 400);
  CHECK(load_error(R"({"allow": ["*.example.com", "fd00::/8", "::ffff:10.0.0.0/104"], "deny_defaults": false,
                       "timeout_ms": 0, "proxy": "", "pool_size": 0})").code == 0);
}

TEST_CASE("a JSON response is decoded into the result, shaped as gou's") {
  Fixture f;
  const Value r = f.call("http.Get", phost::args(f.url("/json")));
  CHECK(r["status"].as_int() == 200);
  CHECK(r["code"].as_int() == 200);
  CHECK(str(r["message"]) == "hi");
  CHECK(r["data"].to_json() == R"({"message":"hi","items":[1,2.5,"x",null,true],"big":9007199254740993})");
  CHECK(r["headers"]["Content-Type"].to_json() == R"(["application/json; charset=utf-8"])");
  CHECK(r.key_at(0) == "status");  // gou's field order
  CHECK(r.size() == 5);
  CHECK(f.json("http.Get", phost::args(f.url("/badjson"))) ==  // as gou: a result with code 0
        R"({"status":0,"data":null,"headers":{},"code":0,"message":"http: GET )" + f.url("/badjson") +
            R"(: the response is not valid JSON: syntax error"})");
}

TEST_CASE("HTTP error statuses are results with their code, not errors") {
  Fixture f;
  for (const int status : {400, 401, 404, 409, 500, 503}) {
    CAPTURE(status);
    const Value r = f.call("http.Get", phost::args(f.url("/status/" + std::to_string(status))));
    CHECK(r["code"].as_int() == status);
    CHECK(r["status"].as_int() == status);
    CHECK(str(r["message"]) == "status " + std::to_string(status));
  }
  const Value empty = f.call("http.Get", phost::args(f.url("/empty")));
  CHECK(empty["code"].as_int() == 204);
  CHECK(empty["data"].is_null());
}

TEST_CASE("non-JSON bodies come back as bytes, HEAD has no data") {
  Fixture f;
  const Value bin = f.call("http.Get", phost::args(f.url("/bytes")));
  CHECK(bin["data"].kind() == PHOST_BYTES);
  CHECK(bin["data"].as_string() == std::string_view("\0\1\xff\xfe", 4));
  const Value text = f.call("http.Get", phost::args(f.url("/text")));
  CHECK(text["data"].kind() == PHOST_BYTES);
  CHECK(text["data"].as_string() == "hello");
  const Value head = f.call("http.Head", phost::args(f.url("/json")));
  CHECK(head["code"].as_int() == 200);
  CHECK(head["data"].is_null());
  CHECK(head["headers"]["Content-Length"].to_json() == "[\"" + std::to_string(kJson.size()) + "\"]");
}

TEST_CASE("query arguments in every gou shape merge with the URL's query, sorted by name") {
  Fixture f;
  const auto query_of = [&](const Value& query) {
    const Value r = f.call("http.Get", phost::args(f.url("/echo?z=1&a=x%20y"), query.retain()));
    return str(r["data"]["query"]);
  };
  CHECK(query_of(Value::from_json(R"({"k":"v w","n":1,"d":0.5,"b":true})")) == "a=x+y&b=true&d=0.5&k=v+w&n=1&z=1");
  CHECK(query_of(Value::string("?k=1&k=2&e=%26")) == "a=x+y&e=%26&k=1&k=2&z=1");
  CHECK(query_of(Value::from_json(R"(["k=1", {"k": 2}, "j=3"])")) == "a=x+y&j=3&k=1&k=2&z=1");
  CHECK(query_of(Value::null()) == "a=x+y&z=1");
  // Put, Patch, Delete, Head: query is argument 3; Post: argument 4.
  CHECK(str(f.call("http.Put", phost::args(f.url("/echo"), Value::null(), "q=1"))["data"]["query"]) == "q=1");
  CHECK(str(f.call("http.Post", phost::args(f.url("/echo"), Value::null(), Value::null(), "q=2"))["data"]["query"]) ==
        "q=2");
  CHECK(str(f.call("http.Send", phost::args("get", f.url("/echo"), Value::null(), "q=3"))["data"]["query"]) == "q=3");
}

TEST_CASE("headers go out as objects or arrays and come back canonical, as arrays") {
  Fixture f;
  Value r = f.call("http.Get", phost::args(f.url("/echo"), Value::null(),
                                            Value::from_json(R"({"X-One": "1", "Authorization": "Bearer t",
                                                                 "Host": "169.254.169.254", "Content-Length": "99"})")));
  CHECK(str(r["data"]["headers"]["host"]) == "127.0.0.1:" + std::to_string(f.server.port()));  // as Go: from the URL
  CHECK(str(r["data"]["headers"]["content-length"]) == "<absent>");
  CHECK(str(r["data"]["headers"]["x-one"]) == "1");
  CHECK(str(r["data"]["headers"]["authorization"]) == "Bearer t");
  CHECK(str(r["data"]["headers"]["content-type"]) == "application/json; charset=utf-8");  // gou's default for Get
  CHECK(str(r["data"]["method"]) == "GET");
  r = f.call("http.Get", phost::args(f.url("/echo"), Value::null(), Value::from_json(R"([{"X-A": "1"}, {"X-A": "2"}])")));
  CHECK(str(r["data"]["headers"]["x-a"]) == "1, 2");
  r = f.call("http.Get", phost::args(f.url("/headers")));
  CHECK(r["headers"]["Set-Cookie"].to_json() == R"(["a=1","b=2"])");
  CHECK(r["headers"]["X-Custom-Thing"].to_json() == R"(["yes"])");
}

TEST_CASE("payloads are encoded by Content-Type as gou encodes them") {
  Fixture f;
  const auto echo = [&](std::string_view process, const Value& args) { return f.call(process, args)["data"].retain(); };
  // JSON by default.
  Value d = echo("http.Post", phost::args(f.url("/echo"), Value::from_json(R"({"a":1,"b":[true]})")));
  CHECK(str(d["method"]) == "POST");
  CHECK(str(d["body"]) == R"({"a":1,"b":[true]})");
  CHECK(str(d["headers"]["content-type"]) == "application/json; charset=utf-8");
  // A form.
  d = echo("http.Put", phost::args(f.url("/echo"), Value::from_json(R"({"b":"x y","a":2})"), Value::null(),
                                   Value::from_json(R"({"Content-Type":"application/x-www-form-urlencoded"})")));
  CHECK(str(d["method"]) == "PUT");
  CHECK(str(d["body"]) == "a=2&b=x+y");
  // Strings and bytes go as they are.
  d = echo("http.Patch", phost::args(f.url("/echo"), "raw text"));
  CHECK(str(d["body"]) == "raw text");
  d = echo("http.Send", phost::args("POST", f.url("/echo"), Value::bytes(std::string_view("\x01\x02", 2)), Value::null(),
                                    Value::from_json(R"({"Content-Type":"application/octet-stream"})")));
  CHECK(d["body"].as_string() == std::string_view("\x01\x02", 2));
  // Send without a type: text/plain; an object then goes as JSON.
  d = echo("http.Send", phost::args("DELETE", f.url("/echo"), Value::from_json(R"({"id":7})")));
  CHECK(str(d["method"]) == "DELETE");
  CHECK(str(d["headers"]["content-type"]) == "text/plain");
  CHECK(str(d["body"]) == R"({"id":7})");
  // Multipart: Send's files (base64 or bytes) and the payload's fields.
  d = echo("http.Send", phost::args("POST", f.url("/echo"), Value::from_json(R"({"field":"v"})"), Value::null(),
                                    Value::null(),
                                    Value::from_json(R"([{"name":"up","path":"/x/a.txt","data":"aGVsbG8="}])")));
  const std::string body = str(d["body"]);
  CHECK(contains(str(d["headers"]["content-type"]), "multipart/form-data; boundary="));
  CHECK(contains(body, "Content-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\nhello\r\n"));
  CHECK(contains(body, "Content-Disposition: form-data; name=\"field\"\r\n\r\nv\r\n"));
}

TEST_CASE("files are uploaded from disk only from under file_root") {
  plugin_test::TempDir root("http-root");
  plugin_test::write_file(root / "a.txt", "from disk");
  Fixture f(R"({"file_root": ")" + root.str() + R"("})");
  const Value d =
      f.call("http.Post", phost::args(f.url("/echo"), Value::null(), Value::from_json(R"({"doc": "/a.txt"})")))["data"].retain();
  CHECK(contains(str(d["body"]), "name=\"doc\"; filename=\"a.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nfrom disk"));
  const Failure outside = f.error("http.Post", phost::args(f.url("/echo"), Value::null(),
                                                           Value::from_json(R"({"doc": "../../../../etc/passwd"})")));
  CHECK(outside.code == 403);
  CHECK(contains(outside.message, "leaves file_root"));
  Fixture no_root;
  const Failure off = no_root.error("http.Post", phost::args(no_root.url("/echo"), Value::null(),
                                                             Value::from_json(R"({"doc": "a.txt"})")));
  CHECK(off.code == 403);
  CHECK(contains(off.message, "needs the plugin's file_root setting"));
}

TEST_CASE("redirects are followed up to max_redirects, with gou's method rules") {
  Fixture f(R"({"max_redirects": 3})");
  Value r = f.call("http.Get", phost::args(f.url("/redirect/2")));  // 3 redirects, to /json
  CHECK(r["code"].as_int() == 200);
  CHECK(str(r["message"]) == "hi");
  r = f.call("http.Get", phost::args(f.url("/redirect/3")));
  CHECK(r["code"].as_int() == 0);  // as gou: a result with code 0
  CHECK(str(r["message"]) == "http: GET " + f.url("/redirect/0") + ": stopped after 3 redirects (max_redirects)");
  r = f.call("http.Post", phost::args(f.url("/see-other"), Value::from_json(R"({"a":1})")));
  CHECK(str(r["data"]["method"]) == "GET");
  CHECK(str(r["data"]["body"]).empty());
  r = f.call("http.Post", phost::args(f.url("/temporary"), Value::from_json(R"({"a":1})")));
  CHECK(str(r["data"]["method"]) == "POST");
  CHECK(str(r["data"]["body"]) == R"({"a":1})");

  Fixture none(R"({"max_redirects": 0})");
  r = none.call("http.Get", phost::args(none.url("/redirect/1")));
  CHECK(r["code"].as_int() == 302);
  CHECK(r["headers"]["Location"].to_json() == R"(["/redirect/0"])");
}

TEST_CASE("the call's deadline is the transfer's, and timeout_ms bounds every call") {
  Fixture f;
  phost::CallOptions options;
  options.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const Failure e = f.error("http.Get", phost::args(f.url("/slow")), options);
  CHECK(e.code == 408);
  CHECK(contains(e.message, "http: GET " + f.url("/slow") + ": the call's deadline passed after"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));

  Fixture g(R"({"timeout_ms": 200})");
  const Failure own = g.error("http.Get", phost::args(g.url("/slow")));
  CHECK(own.code == 408);
  CHECK(contains(own.message, "timeout_ms (200) passed"));
  CHECK(g.json("http.Get", phost::args(g.url("/text"))) != "");  // the plugin keeps serving
}

TEST_CASE("a cancelled call aborts its transfer with 499") {
  Fixture f;
  phost_cancel* cancel = phost_cancel_new();
  REQUIRE(cancel != nullptr);
  phost::CallOptions options;
  options.cancel = cancel;
  auto pending = std::async(std::launch::async, [&] { return f.error("http.Get", phost::args(f.url("/slow")), options); });
  REQUIRE(f.server.wait_held());
  const auto start = std::chrono::steady_clock::now();
  phost_cancel_trigger(cancel);
  REQUIRE(pending.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  const Failure e = pending.get();
  CHECK(e.code == 499);
  CHECK(e.message == "http: GET " + f.url("/slow") + ": cancelled");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  phost_cancel_free(cancel);
}

TEST_CASE("a response larger than max_response_bytes is a 413") {
  Fixture f(R"({"max_response_bytes": 1000})");
  CHECK(f.call("http.Get", phost::args(f.url("/big?1000")))["data"].size() == 0);  // bytes: size() is for arrays
  CHECK(f.call("http.Get", phost::args(f.url("/big?1000")))["data"].as_string().size() == 1000);
  const Failure declared = f.error("http.Get", phost::args(f.url("/big?5000")));
  CHECK(declared.code == 413);
  CHECK(contains(declared.message, "the response body is larger than max_response_bytes (1000)"));
  const Failure streamed = f.error("http.Get", phost::args(f.url("/chunked?5000")));
  CHECK(streamed.code == 413);
}

TEST_CASE("denied hosts are refused before any connection") {
  Fixture f(R"({"deny": ["localhost", "*.example.com"]})");
  const std::string url = "http://localhost:" + std::to_string(f.server.port()) + "/json";
  const Failure e = f.error("http.Get", phost::args(url));
  CHECK(e.code == 403);
  CHECK(e.message == "http: GET " + url + ": refused: host 'localhost' is denied");
  CHECK(f.error("http.Get", phost::args("http://api.EXAMPLE.com./")).code == 403);
  CHECK(f.server.connections() == 0);
  Fixture only(R"({"allow": ["api.example.com"]})");
  CHECK(contains(only.error("http.Get", phost::args(only.url("/json"))).message, "refused: address 127.0.0.1 is not in the allow list"));
  CHECK(contains(only.error("http.Get", phost::args("http://localhost:1/")).message, "refused: host 'localhost' is not in the allow list"));

  // Allowed by network, or by name whatever the address; deny wins over allow.
  Fixture by_network(R"({"allow": ["127.0.0.0/8"]})");
  CHECK(by_network.call("http.Get", phost::args(by_network.url("/json")))["code"].as_int() == 200);
  Fixture by_name(R"({"allow": ["LocalHost"]})");
  const std::string local = "http://localhost:" + std::to_string(by_name.server.port()) + "/json";
  // localhost may resolve to ::1 first, where nothing listens; libcurl then tries 127.0.0.1.
  CHECK(by_name.call("http.Get", phost::args(local))["code"].as_int() == 200);
  Fixture both(R"({"allow": ["127.0.0.0/8"], "deny": ["127.0.0.1"]})");
  CHECK(contains(both.error("http.Get", phost::args(both.url("/json"))).message,
                 "refused: address 127.0.0.1 is in the denied network 127.0.0.1"));
}

TEST_CASE("denied networks are refused at the address actually connected to") {
  // localhost resolves (to 127.0.0.1 or ::1): the check is on the address.
  Fixture f(R"({"deny": ["127.0.0.0/8", "::1"]})");
  const Failure by_name = f.error("http.Get", phost::args("http://localhost:" + std::to_string(f.server.port()) + "/"));
  CHECK(by_name.code == 403);
  CHECK(contains(by_name.message, "refused: address "));
  CHECK(contains(by_name.message, "is in the denied network"));
  CHECK(f.error("http.Get", phost::args(f.url("/json"))).code == 403);
  CHECK(f.server.connections() == 0);

  // Link-local and the metadata address, by default, also through a redirect
  // and as an IPv4-mapped IPv6 literal.
  Fixture d;
  Failure e = d.error("http.Get", phost::args("http://169.254.169.254/latest/meta-data/"));
  CHECK(e.code == 403);
  CHECK(contains(e.message, "address 169.254.169.254 is in the denied network 169.254.0.0/16"));
  CHECK(d.error("http.Get", phost::args("http://[::ffff:169.254.169.254]/")).code == 403);
  // IPv6 forms that carry the address: IPv4-compatible, NAT64 (a gateway would connect to it) and 6to4.
  e = d.error("http.Get", phost::args("http://[64:ff9b::169.254.169.254]/"));
  CHECK(e.code == 403);
  CHECK(contains(e.message, "address 64:ff9b::a9fe:a9fe (169.254.169.254) is in the denied network 169.254.0.0/16"));
  CHECK(d.error("http.Get", phost::args("http://[::169.254.169.254]/")).code == 403);
  CHECK(d.error("http.Get", phost::args("http://[2002:a9fe:a9fe::1]/")).code == 403);
  CHECK(d.error("http.Get", phost::args("http://2852039166/")).code == 403);  // 169.254.169.254 as a number
  CHECK(d.error("http.Get", phost::args("http://0251.0376.0251.0376/")).code == 403);  // and in octal
  e = d.error("http.Get", phost::args(d.url("/to-metadata")));
  CHECK(e.code == 403);
  CHECK(contains(e.message, "http: GET http://169.254.169.254/latest/: refused"));
  CHECK(d.json("http.Get", phost::args(d.url("/text"))) != "");
}

TEST_CASE("a response header over libcurl's limit is a transport failure that says so") {
  Fixture f;
  CHECK(str(f.call("http.Get", phost::args(f.url("/bigheader?1000")))["data"]) == "ok");
  const Value r = f.call("http.Get", phost::args(f.url("/bigheader?2000000")));
  CHECK(r["code"].as_int() == 0);
  CHECK(contains(str(r["message"]), "a response header longer than libcurl accepts (100 KB)"));
}

TEST_CASE("a closed port is a result with code 0, as gou reports transport failures") {
  int port = 0;
  {
    http_test::Server closed([](const http_test::Request&) { return http_test::Reply{}; });
    port = closed.port();
  }
  Fixture f;
  const Value r = f.call("http.Get", phost::args("http://127.0.0.1:" + std::to_string(port) + "/"));
  CHECK(r["code"].as_int() == 0);
  CHECK(r["status"].as_int() == 0);
  CHECK(r["data"].is_null());
  CHECK(contains(str(r["message"]), "Couldn't connect to server"));
}

TEST_CASE("Stream hands the body line by line to a process, which may stop or fail it") {
  Fixture f(R"({"stream_handlers": ["app.*"]})");
  std::vector<std::string> lines;
  int64_t verdict = 1;
  f.host.add("app.line", "collects lines", [&](phost::Call& call) {
    const phost::View line = call.args()[0];
    lines.push_back(line.kind() == PHOST_BYTES ? "bytes:" + std::string(line.as_string()) : std::string(line.as_string()));
    if (verdict == 409) throw phost::Error(409, "handler refused");
    return lines.size() == 2 ? Value::integer(verdict) : Value::null();
  });
  CHECK(f.json("http.Stream", phost::args("GET", f.url("/to-lines"), "app.line")) ==
        R"({"status":200,"data":null,"headers":{},"code":200,"message":"ok"})");
  CHECK(lines == std::vector<std::string>{"a", "b", "", std::string(3000, 'c')});  // the redirect's body is not a line

  lines.clear();
  verdict = 0;  // stop after the second line
  CHECK(f.call("http.Stream", phost::args("GET", f.url("/lines"), "app.line"))["code"].as_int() == 200);
  CHECK(lines.size() == 2);
  lines.clear();
  verdict = -1;
  const Value failed = f.call("http.Stream", phost::args("GET", f.url("/lines"), "app.line"));
  CHECK(failed["code"].as_int() == 400);
  CHECK(str(failed["message"]) == "handler return error -1");
  lines.clear();
  verdict = 409;
  const Failure thrown = f.error("http.Stream", phost::args("GET", f.url("/lines"), "app.line"));
  CHECK(thrown.code == 409);
  CHECK(thrown.message == "handler refused");
  lines.clear();
  verdict = 1;
  f.call("http.Stream", phost::args("GET", f.url("/latin1"), "app.line"));
  CHECK(lines == std::vector<std::string>{"bytes:caf\xe9"});

  const Failure denied = f.error("http.Stream", phost::args("GET", f.url("/lines"), "runtime.unload"));
  CHECK(denied.code == 403);
  CHECK(denied.message == "http: Stream: handler 'runtime.unload' is not in stream_handlers");
  Fixture defaults;  // only scripts.* by default
  CHECK(defaults.error("http.Stream", phost::args("GET", defaults.url("/lines"), "app.line")).code == 403);
}

TEST_CASE("bad arguments are 400 errors naming the argument") {
  Fixture f(R"({"max_request_bytes": 100})");
  const auto message = [&](std::string_view process, const Value& args) {
    const Failure e = f.error(process, args);
    CHECK(e.code == 400);
    return e.message;
  };
  CHECK(message("http.Get", phost::args()) == "http: argument 1 (url) is missing");
  CHECK(message("http.Get", phost::args(42)) == "http: argument 1 (url) must be a string");
  CHECK(message("http.Get", phost::args("ftp://x/")) == "http: argument 1 (url) must be an http:// or https:// URL, not 'ftp://x/'");
  CHECK(contains(message("http.Get", phost::args("http://exa mple.com/")), "argument 1 (url) is not a valid URL"));
  CHECK(message("http.Get", phost::args(f.url("/") + std::string("\0/elsewhere", 11))) ==
        "http: argument 1 (url) contains a NUL character");
  CHECK(contains(message("http.Get", phost::args(f.url("/"), 5)), "argument 2 (query): must be an object"));
  CHECK(contains(message("http.Get", phost::args(f.url("/"), "a=%zz")), "argument 2 (query): invalid URL escape \"%zz\""));
  CHECK(contains(message("http.Get", phost::args(f.url("/"), Value::null(), Value::from_json(R"({"X": "a\r\nB: c"})"))),
                 "argument 3 (headers): the value of 'X' holds a line break"));
  CHECK(contains(message("http.Get", phost::args(f.url("/"), Value::null(), Value::from_json(R"({"A B": "x"})"))),
                 "argument 3 (headers): 'A B' is not a header name"));
  CHECK(message("http.Get", phost::args(f.url("/"), Value::null(), Value::null(), 1)) ==
        "http: 4 arguments given, at most 3 taken");
  CHECK(message("http.Send", phost::args("GE T", f.url("/"))) == "http: argument 1 (method) 'GE T' is not an HTTP method");
  CHECK(contains(message("http.Send", phost::args("POST", f.url("/"), Value::null(), Value::null(), Value::null(), 3)),
                 "argument 6 (files) must be an array"));
  CHECK(contains(message("http.Send", phost::args("POST", f.url("/"), Value::null(), Value::null(), Value::null(),
                                                  Value::from_json(R"([{"name":"f","data":"***"}])"))),
                 "argument 6 (files)[0].data is not base64"));
  CHECK(contains(message("http.Post", phost::args(f.url("/"), Value::from_json("[1]"), Value::null(), Value::null(),
                                                  Value::from_json(R"({"Content-Type":"application/x-www-form-urlencoded"})"))),
                 "argument 2 (payload): a form payload"));
  const Failure big = f.error("http.Post", phost::args(f.url("/echo"), std::string(101, 'x')));
  CHECK(big.code == 413);
  CHECK(contains(big.message, "larger than max_request_bytes (100)"));
  CHECK(f.server.requests() == 0);
}

TEST_CASE("connections are reused across calls") {
  Fixture f;
  for (int i = 0; i < 5; ++i) CHECK(f.call("http.Get", phost::args(f.url("/json")))["code"].as_int() == 200);
  CHECK(f.server.requests() == 5);
  CHECK(f.server.connections() == 1);
  Fixture fresh(R"({"pool_size": 0})");
  for (int i = 0; i < 3; ++i) fresh.call("http.Get", phost::args(fresh.url("/json")));
  CHECK(fresh.server.connections() == 3);
}

TEST_CASE("calls from many threads at once") {
  Fixture f;
  std::vector<std::future<int64_t>> calls;
  for (int i = 0; i < 8; ++i)
    calls.push_back(std::async(std::launch::async, [&f] {
      int64_t sum = 0;
      for (int k = 0; k < 20; ++k) sum += f.call("http.Get", phost::args(f.url("/json")))["code"].as_int();
      return sum;
    }));
  for (auto& c : calls) CHECK(c.get() == 20 * 200);
  CHECK(f.server.requests() == 160);
  CHECK(f.server.connections() <= 8);
}

}  // TEST_SUITE
