// Loads the plugin into a host, as an application would, and checks a
// result, an error code and the configuration. Usage: greeter_smoke <path of libgreeter.so>
#include <phost/host.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PLUGIN\n", argv[0]);
    return 2;
  }
  try {
    phost::Host host;
    host.load_plugin(argv[1]);

    const phost::Value r = host.call("greeter.repeat", phost::args("ab", 3));
    expect(r.kind() == PHOST_STRING && r.as_string() == "ababab",
           "greeter.repeat(\"ab\", 3) is \"ababab\", got " + r.to_json());

    try {
      host.call("greeter.hello", phost::args(""));
      expect(false, "greeter.hello(\"\") fails");
    } catch (const phost::Error& e) {
      expect(e.code() == 422,
             "greeter.hello(\"\") fails with 422, got " + std::to_string(e.code()) + ": " + e.what());
    }

    // Configuration: a known key takes effect, an unknown one fails the load.
    phost::Host configured;
    configured.load_plugin(argv[1], phost::Value::from_json(R"({"greeting": "Hi"})"));
    const phost::Value hi = configured.call("greeter.hello", phost::args("you"));
    expect(hi.as_string() == "Hi, you!", "greeting \"Hi\" gives \"Hi, you!\", got " + hi.to_json());
    try {
      phost::Host misspelt;
      misspelt.load_plugin(argv[1], phost::Value::from_json(R"({"greting": "Hi"})"));
      expect(false, "an unknown configuration key fails the load");
    } catch (const phost::Error& e) {
      expect(std::string(e.what()).find("unknown key 'greting'") != std::string::npos,
             std::string("the load names the unknown key: ") + e.what());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: %s\n", e.what());
    return 1;
  }
  if (failures == 0) std::puts("ok");
  return failures == 0 ? 0 : 1;
}
