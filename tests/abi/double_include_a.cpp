// Every C++ header, included by two translation units of one program
// (double_include_b.cpp has the same list): a header function without
// `inline` would be defined twice and fail the link.
#include <phost/host.hpp>
#include <phost/host_spdlog.hpp>
#include <phost/json.hpp>
#include <phost/plugin.hpp>
#include <phost/value.hpp>

#include <string>

std::string double_include_a() {
  phost::Value v = phost::from_boost_json(boost::json::parse(R"({"a":[1,true]})"));
  return v.to_json();
}
