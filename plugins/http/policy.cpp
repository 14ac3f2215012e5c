#include "policy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace phost_http {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A host as compared: lower case, without a trailing dot or IPv6 brackets.
std::string normal_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return lower(host);
}

bool parse_address(const std::string& text, Address& out) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out = Address{};
    std::memcpy(out.bytes.data(), &v4, 4);
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    out = Address{};
    out.v6 = true;
    std::memcpy(out.bytes.data(), &v6, 16);
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out.bytes.data(), kMapped, 12) == 0) {  // ::ffff:a.b.c.d is a.b.c.d
      out.v6 = false;
      std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
      std::fill(out.bytes.begin() + 4, out.bytes.end(), 0);
    }
    return true;
  }
  return false;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

// A host-name rule matches the name itself, or any name below "*.name".
bool name_matches(const std::string& rule, const std::string& host) {
  if (rule.rfind("*.", 0) == 0) {
    const std::string_view suffix = std::string_view(rule).substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return rule == host;
}

bool any_name(const std::vector<std::string>& rules, const std::string& host) {
  return std::any_of(rules.begin(), rules.end(), [&](const std::string& r) { return name_matches(r, host); });
}

const Network* find_network(const std::vector<Network>& networks, const Address& a) {
  for (const Network& n : networks)
    if (n.contains(a)) return &n;
  return nullptr;
}

// Adds one configured entry to names or networks.
void add_entry(const std::string& entry, const char* list, std::vector<std::string>& names,
               std::vector<Network>& networks) {
  const auto bad = [&](const std::string& why) {
    throw std::invalid_argument(std::string(list) + ": '" + entry + "' " + why);
  };
  std::string text = normal_host(entry);
  const size_t slash = text.find('/');
  Network net;
  net.text = entry;
  if (parse_address(text.substr(0, slash), net.base)) {
    // An IPv4-mapped entry ("::ffff:10.0.0.0/104") is held as IPv4.
    const bool mapped = !net.base.v6 && text.find(':') != std::string::npos;
    const int bits = net.base.v6 || mapped ? 128 : 32;
    int prefix = bits;
    if (slash != std::string::npos) {
      const std::string digits = text.substr(slash + 1);
      const bool numeric = !digits.empty() && digits.size() <= 3 &&
                           std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!numeric || std::stoi(digits) > bits) bad("has a bad prefix length (0 to " + std::to_string(bits) + ")");
      prefix = std::stoi(digits);
    }
    net.prefix = mapped ? std::max(0, prefix - 96) : prefix;
    networks.push_back(net);
    return;
  }
  if (slash != std::string::npos) bad("is not a network (CIDR such as 10.0.0.0/8 or fd00::/8)");
  const std::string_view name = text.rfind("*.", 0) == 0 ? std::string_view(text).substr(2) : std::string_view(text);
  if (!valid_name(name)) bad("is not a host name, address or network");
  names.push_back(text);
}

// The IPv4 address an IPv6 one carries, for the deny rules: IPv4-compatible
// (::a.b.c.d), NAT64's well-known prefix (64:ff9b::a.b.c.d, RFC 6052: a
// NAT64 gateway connects to a.b.c.d) and 6to4 (2002:aabb:ccdd::/48).
bool embedded_v4(const Address& a, Address& out) {
  if (!a.v6) return false;
  const uint8_t* b = a.bytes.data();
  static constexpr uint8_t kZero[12] = {};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  const uint8_t* v4 = nullptr;
  if (std::memcmp(b, kZero, 12) == 0 && (b[12] | b[13] | b[14]) != 0) v4 = b + 12;  // not :: or ::1
  else if (std::memcmp(b, kNat64, 12) == 0) v4 = b + 12;
  else if (b[0] == 0x20 && b[1] == 0x02) v4 = b + 2;
  if (!v4) return false;
  out = Address{};
  std::memcpy(out.bytes.data(), v4, 4);
  return true;
}

}  // namespace

std::string Address::to_string() const {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), out, sizeof out);
  return out;
}

bool Network::contains(const Address& a) const {
  if (a.v6 != base.v6) return false;
  const int full = prefix / 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a.bytes[static_cast<size_t>(full)] & mask) == (base.bytes[static_cast<size_t>(full)] & mask);
}

const std::vector<std::string_view>& Policy::default_denied() {
  static const std::vector<std::string_view> list = {"169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128",
                                                     "100.100.100.200/32"};
  return list;
}

Policy::Policy(const std::vector<std::string>& allow, const std::vector<std::string>& deny, bool deny_defaults) {
  allow_all_ = allow.empty();
  for (const std::string& entry : allow) add_entry(entry, "allow", allow_names_, allow_networks_);
  for (const std::string& entry : deny) add_entry(entry, "deny", deny_names_, deny_networks_);
  if (deny_defaults)
    for (const std::string_view entry : default_denied())
      add_entry(std::string(entry), "deny", deny_names_, deny_networks_);
}

std::string Policy::check_host(std::string_view raw, bool& name_allowed) const {
  const std::string host = normal_host(raw);
  Address literal;
  if (parse_address(host, literal)) {
    // An address in the URL: only the network rules apply (at connect time,
    // with check_address), so that "http://[::ffff:169.254.169.254]/" is
    // judged as the address it is.
    name_allowed = allow_all_;
    return {};
  }
  if (any_name(deny_names_, host)) return "host '" + host + "' is denied";
  name_allowed = allow_all_ || any_name(allow_names_, host);
  if (!name_allowed && allow_networks_.empty()) return "host '" + host + "' is not in the allow list";
  return {};
}

std::string Policy::check_address(const Address& address, bool name_allowed) const {
  if (const Network* n = find_network(deny_networks_, address))
    return "address " + address.to_string() + " is in the denied network " + n->text;
  if (Address v4; embedded_v4(address, v4))
    if (const Network* n = find_network(deny_networks_, v4))
      return "address " + address.to_string() + " (" + v4.to_string() + ") is in the denied network " + n->text;
  if (!name_allowed && !find_network(allow_networks_, address))
    return "address " + address.to_string() + " is not in the allow list";
  return {};
}

bool Policy::address_of(const sockaddr* sa, Address& out) {
  char text[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  } else {
    return false;
  }
  return parse_address(text, out);
}

}  // namespace phost_http
