// The second of the two translation units (see double_include_a.cpp), with main.
#include <phost/host.hpp>
#include <phost/host_spdlog.hpp>
#include <phost/json.hpp>
#include <phost/plugin.hpp>
#include <phost/value.hpp>

#include <cstdio>
#include <string>

std::string double_include_a();

int main() {
  phost::Host host;  // sets phost::api() for the value wrappers
  host.add("abi.twice", "Built in the second unit", [](phost::Call&) { return phost::Value::string("b"); });
  const std::string a = double_include_a();
  const std::string b = host.call("abi.twice").to_json();
  const std::string c = boost::json::serialize(phost::to_boost_json(phost::Value::integer(3)));
  if (a != R"({"a":[1,true]})" || b != R"("b")" || c != "3") {
    std::fprintf(stderr, "unexpected: %s %s %s\n", a.c_str(), b.c_str(), c.c_str());
    return 1;
  }
  return 0;
}
