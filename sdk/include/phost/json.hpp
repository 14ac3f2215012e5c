// phost C++ layer: conversion between phost values and boost::json::value.
// Include only where Boost.JSON is available (link Boost::json).
#pragma once

#include <phost/value.hpp>

#include <boost/json.hpp>

namespace phost {

// Bytes become base64 strings (as value_to_json writes them); integers stay integers.
inline boost::json::value to_boost_json(View v) {
  return boost::json::parse(v.to_json());
}

inline Value from_boost_json(const boost::json::value& j) {
  switch (j.kind()) {
    case boost::json::kind::null: return Value::null();
    case boost::json::kind::bool_: return Value::boolean(j.get_bool());
    case boost::json::kind::int64: return Value::integer(j.get_int64());
    case boost::json::kind::uint64: return Value::number(static_cast<double>(j.get_uint64()));
    case boost::json::kind::double_: return Value::number(j.get_double());
    case boost::json::kind::string: return Value::string(std::string_view(j.get_string()));
    case boost::json::kind::array: {
      Value a = Value::array(j.get_array().size());
      for (const auto& item : j.get_array()) a.push(from_boost_json(item));
      return a;
    }
    case boost::json::kind::object: {
      Value o = Value::object(j.get_object().size());
      for (const auto& [key, item] : j.get_object()) o.set(std::string_view(key), from_boost_json(item));
      return o;
    }
  }
  return Value::null();
}

}  // namespace phost
