// What connection reuse saves in the http plugin: sequential http.Get calls
// to a server on 127.0.0.1 (tests/plugins/http_test_server.hpp) with the
// default pool of transfer handles (connections kept open) and with
// pool_size 0 (a new handle and a new TCP connection per call).
//   bench_http_call [calls per run = 2000] [runs = 5]
#include "http_test_server.hpp"

#include <phost/host.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  http_test::Server server([](const http_test::Request&) {
    return http_test::Reply{200, {{"Content-Type", "application/json"}}, R"({"message":"ok","n":[1,2,3]})"};
  });
  for (const char* config : {R"({"pool_size": 8, "proxy": ""})", R"({"pool_size": 0, "proxy": ""})"}) {
    phost::HostOptions quiet;
    quiet.log = [](int, std::string_view, std::string_view) {};
    phost::Host host(quiet);
    host.load_plugin(PHOST_HTTP_PLUGIN, phost::Value::from_json(config));
    const phost::Value args = phost::args(server.url("/json"));  // the Host has set up the value API
    host.call("http.Get", args);  // warm up
    const int before = server.connections();
    std::vector<double> us;
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < calls; ++i)
        if (host.call("http.Get", args)["code"].as_int() != 200) return 1;
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / calls);
    }
    std::sort(us.begin(), us.end());
    std::printf("%-18s %8.1f us/call median (%.1f-%.1f), %d connections for %d calls\n", config,
                us[us.size() / 2], us.front(), us.back(), server.connections() - before, calls * runs);
  }
  return 0;
}
