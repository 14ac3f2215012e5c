#include "url_values.hpp"

#include <charconv>
#include <stdexcept>

namespace phost_http {

namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape.
std::string query_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      const int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        throw std::invalid_argument("invalid URL escape \"" + std::string(text.substr(i, 3)) + "\"");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string encode(const UrlValues& values) {
  std::string out;
  for (const auto& [name, list] : values) {
    const std::string key = query_escape(name);
    for (const std::string& value : list) {
      if (!out.empty()) out += '&';
      out += key;
      out += '=';
      out += query_escape(value);
    }
  }
  return out;
}

void parse_query(std::string_view query, UrlValues& out) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) throw std::invalid_argument("invalid semicolon separator in query");
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key = query_unescape(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : query_unescape(pair.substr(eq + 1));
    out[std::move(key)].push_back(std::move(value));
  }
}

std::string format_value(phost::View value) {
  switch (value.kind()) {
    case PHOST_NULL: return {};
    case PHOST_BOOL: return value.as_bool() ? "true" : "false";
    case PHOST_INT: return std::to_string(value.as_int());
    case PHOST_DOUBLE: {
      char buffer[32];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value.as_double());
      return ec == std::errc() ? std::string(buffer, end) : std::string();
    }
    case PHOST_STRING:
    case PHOST_BYTES: return std::string(value.as_string());
    default: return value.to_json();
  }
}

void append_values(phost::View value, std::vector<std::pair<std::string, std::string>>& out) {
  switch (value.kind()) {
    case PHOST_NULL: return;
    case PHOST_STRING: {
      std::string_view text = value.as_string();
      if (!text.empty() && text.front() == '?') text.remove_prefix(1);
      // Pair by pair, to keep the order of the text.
      while (!text.empty()) {
        const size_t amp = text.find('&');
        UrlValues one;
        parse_query(text.substr(0, amp), one);
        for (auto& [k, list] : one)
          for (auto& v : list) out.emplace_back(k, std::move(v));
        text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
      }
      return;
    }
    case PHOST_OBJECT:
      for (size_t i = 0; i < value.size(); ++i) out.emplace_back(std::string(value.key_at(i)), format_value(value[i]));
      return;
    case PHOST_ARRAY:
      for (size_t i = 0; i < value.size(); ++i) {
        const phost::View item = value[i];
        if (item.kind() != PHOST_STRING && item.kind() != PHOST_OBJECT && item.kind() != PHOST_NULL)
          throw std::invalid_argument("item " + std::to_string(i) + " must be a \"k=v\" string or an object");
        append_values(item, out);
      }
      return;
    default:
      throw std::invalid_argument("must be an object, a \"k=v&k2=v2\" string or an array of them");
  }
}

}  // namespace phost_http
