// JSON text <-> values, on Boost.JSON. The escape hatch, not the hot path.
#include "value.hpp"

#include "error.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>

#include <charconv>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace phost {
namespace json = boost::json;
namespace {

// Builds values straight from Boost.JSON's SAX parser. A double is read
// again from its text with std::from_chars: Boost 1.81's own conversion can
// be an ULP off (exact only from 1.83, number_precision::precise), so a
// value's JSON did not always read back as the same value; and it turns a
// number past the double range into an infinity, which is not a value.
class Builder {
  using error_code = boost::system::error_code;

public:
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);

  ValuePtr result;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return open(PHOST_ARRAY); }
  bool on_array_end(std::size_t, error_code&) { return close(); }
  bool on_object_begin(error_code&) { return open(PHOST_OBJECT); }
  bool on_object_end(std::size_t, error_code&) { return close(); }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    ValuePtr v = make_value(PHOST_STRING);  // Boost.JSON already checked UTF-8.
    text_.append(s.data(), s.size());
    v->text.swap(text_);
    text_.clear();
    return add(std::move(v));
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    text_.append(s.data(), s.size());
    stack_.back().key.swap(text_);
    text_.clear();
    return true;
  }
  bool on_number_part(json::string_view s, error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, json::string_view, error_code&) {
    text_.clear();
    return add(make_int(i));
  }
  bool on_uint64(uint64_t u, json::string_view s, error_code& ec) {  // past int64: a double
    return on_double(static_cast<double>(u), s, ec);
  }
  bool on_double(double approximate, json::string_view s, error_code&) {
    text_.append(s.data(), s.size());
    double d = 0;
    const auto [end, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Below the smallest denormal rounds to zero; past the largest double is refused.
      if (!std::isfinite(approximate) || std::fabs(approximate) >= 1)
        throw Error(PHOST_E_INVALID_ARG, "invalid JSON: number " + text_.substr(0, 40) + " is out of the double range");
      d = text_[0] == '-' ? -0.0 : 0.0;
    } else if (ec != std::errc() || end != text_.data() + text_.size()) {
      d = approximate;  // not expected: Boost.JSON checked the syntax
    }
    text_.clear();
    ValuePtr v = make_value(PHOST_DOUBLE);
    v->d = d;
    return add(std::move(v));
  }
  bool on_bool(bool b, error_code&) {
    return add(make_bool(b));
  }
  bool on_null(error_code&) { return add(make_null()); }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

private:
  struct Open {
    ValuePtr container;
    std::string key;  // objects: the key of the member being read
  };

  void check_depth() const {
    if (stack_.size() > kMaxValueDepth)
      throw Error(PHOST_E_LIMIT, "JSON nests deeper than " + std::to_string(kMaxValueDepth));
  }
  bool open(phost_kind kind) {
    check_depth();
    stack_.push_back({make_value(kind), {}});
    return true;
  }
  bool close() {
    ValuePtr done = std::move(stack_.back().container);
    stack_.pop_back();
    return add(std::move(done));
  }
  bool add(ValuePtr v) {
    if (stack_.empty()) {
      result = std::move(v);
      return true;
    }
    check_depth();
    Open& parent = stack_.back();
    if (parent.container->kind == PHOST_ARRAY) push(parent.container.get(), v.release());
    else set(parent.container.get(), parent.key, v.release());
    return true;
  }

  std::vector<Open> stack_;
  std::string text_;  // the parts of a string, key or number read so far
};

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
  switch (kind_of(v)) {
    case PHOST_NULL: out += "null"; return;
    case PHOST_BOOL: out += bool_of(v) ? "true" : "false"; return;
    case PHOST_INT: write_number(out, int_of(v)); return;
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
  json::basic_parser<Builder> parser(options);
  boost::system::error_code ec;
  const size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  // Too deep is a limit (413, with the limit named), as for values, not malformed input.
  if (ec == json::error::too_deep)
    throw Error(PHOST_E_LIMIT, "JSON nests deeper than " + std::to_string(kMaxValueDepth));
  if (ec) throw Error(PHOST_E_INVALID_ARG, "invalid JSON: " + ec.message());
  return std::move(parser.handler().result);
}

std::string to_json(const phost_value* v) {
  if (!v) throw Error(PHOST_E_INVALID_ARG, "value_to_json: value is NULL");
  std::string out;
  write_json(out, v, 0);
  return out;
}

}  // namespace phost
