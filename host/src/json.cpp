// JSON text <-> values, on Boost.JSON. The escape hatch, not the hot path.
#include "value.hpp"

#include "error.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <string>
#include <type_traits>

namespace phost {
namespace json = boost::json;
namespace {

ValuePtr from_boost(const json::value& j, size_t depth) {
  if (depth > kMaxValueDepth)
    throw Error(PHOST_E_LIMIT, "JSON nests deeper than " + std::to_string(kMaxValueDepth));
  switch (j.kind()) {
    case json::kind::null: return make_value(PHOST_NULL);
    case json::kind::bool_: {
      ValuePtr v = make_value(PHOST_BOOL);
      v->b = j.get_bool();
      return v;
    }
    case json::kind::int64: {
      ValuePtr v = make_value(PHOST_INT);
      v->i = j.get_int64();
      return v;
    }
    case json::kind::uint64: {  // Past int64: keep the magnitude as a double.
      ValuePtr v = make_value(PHOST_DOUBLE);
      v->d = static_cast<double>(j.get_uint64());
      return v;
    }
    case json::kind::double_: {
      ValuePtr v = make_value(PHOST_DOUBLE);
      v->d = j.get_double();
      return v;
    }
    case json::kind::string: {
      ValuePtr v = make_value(PHOST_STRING);  // Boost.JSON already checked UTF-8.
      v->text.assign(j.get_string().data(), j.get_string().size());
      return v;
    }
    case json::kind::array: {
      ValuePtr v = make_value(PHOST_ARRAY);
      v->items.reserve(j.get_array().size());
      for (const json::value& item : j.get_array()) push(v.get(), from_boost(item, depth + 1).release());
      return v;
    }
    case json::kind::object: {
      ValuePtr v = make_value(PHOST_OBJECT);
      for (const auto& [key, item] : j.get_object())
        set(v.get(), std::string_view(key.data(), key.size()), from_boost(item, depth + 1).release());
      return v;
    }
  }
  throw Error(PHOST_E_INTERNAL, "unknown JSON kind");
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= uint8_t(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Written by hand rather than with json::serialize: Boost 1.81 prints 2.5 as
// "2.5E0". Doubles take the shortest form that reads back the same.
void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

template <class Number>
void write_number(std::string& out, Number n) {
  char buffer[32];
  const std::string_view text(buffer, std::to_chars(buffer, buffer + sizeof buffer, n).ptr);
  out += text;
  // A double keeps looking like one, so JSON reads it back as a double.
  if (std::is_floating_point_v<Number> && text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void write_json(std::string& out, const phost_value* v, size_t depth) {
  if (depth > kMaxValueDepth)
    throw Error(PHOST_E_LIMIT, "value nests deeper than " + std::to_string(kMaxValueDepth));
  switch (v->kind) {
    case PHOST_NULL: out += "null"; return;
    case PHOST_BOOL: out += v->b ? "true" : "false"; return;
    case PHOST_INT: write_number(out, v->i); return;
    case PHOST_DOUBLE: write_number(out, v->d); return;
    case PHOST_STRING: write_string(out, v->text); return;
    case PHOST_BYTES: write_string(out, base64(v->text)); return;
    case PHOST_ARRAY:
      out += '[';
      for (size_t i = 0; i < v->items.size(); ++i) {
        if (i) out += ',';
        write_json(out, v->items[i], depth + 1);
      }
      out += ']';
      return;
    case PHOST_OBJECT:
      out += '{';
      for (size_t i = 0; i < v->items.size(); ++i) {
        if (i) out += ',';
        write_string(out, v->keys[i]);
        out += ':';
        write_json(out, v->items[i], depth + 1);
      }
      out += '}';
      return;
    default: throw Error(PHOST_E_INTERNAL, "unknown value kind");
  }
}

}  // namespace

ValuePtr from_json(std::string_view text) {
  json::parse_options options;
  options.max_depth = kMaxValueDepth + 1;
  boost::system::error_code ec;
  json::monotonic_resource scratch;
  json::value parsed = json::parse(json::string_view(text.data(), text.size()), ec, &scratch, options);
  // Too deep is a limit (413, with the limit named), as for values, not malformed input.
  if (ec == json::error::too_deep)
    throw Error(PHOST_E_LIMIT, "JSON nests deeper than " + std::to_string(kMaxValueDepth));
  if (ec) throw Error(PHOST_E_INVALID_ARG, "invalid JSON: " + ec.message());
  return from_boost(parsed, 0);
}

std::string to_json(const phost_value* v) {
  if (!v) throw Error(PHOST_E_INVALID_ARG, "value_to_json: value is NULL");
  std::string out;
  write_json(out, v, 0);
  return out;
}

}  // namespace phost
