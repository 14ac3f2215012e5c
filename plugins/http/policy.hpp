// Which hosts and networks scripts may reach. Host-name rules are checked
// against each URL (every redirect hop) before connecting; network rules
// against the address libcurl actually connects to (its open-socket
// callback), so a name that resolves, or re-resolves, to a denied address
// (DNS rebinding) is refused too.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;

namespace phost_http {

// An IPv4 or IPv6 address; IPv4-mapped IPv6 addresses are held as IPv4.
struct Address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4: the first 4
  std::string to_string() const;
};

struct Network {
  Address base;
  int prefix = 0;
  std::string text;  // as configured
  bool contains(const Address& a) const;
};

class Policy {
public:
  // Networks denied unless deny_defaults is false: link-local (169.254.0.0/16
  // holds the cloud metadata endpoint 169.254.169.254; fe80::/10), AWS's
  // IPv6 metadata address and Alibaba Cloud's metadata address.
  static const std::vector<std::string_view>& default_denied();

  // Entries: a host name ("api.example.com"), a wildcard ("*.example.com":
  // any name below it), an address ("10.1.2.3", "::1") or a network in CIDR
  // form ("10.0.0.0/8", "fd00::/8"). Throws std::invalid_argument naming a
  // bad entry.
  Policy(const std::vector<std::string>& allow, const std::vector<std::string>& deny, bool deny_defaults);

  // The verdict on a URL's host (lower case, IPv6 literals without brackets)
  // before connecting: empty when it may go on, else why not. name_allowed
  // says whether the name itself is allowed (then any address not denied is).
  std::string check_host(std::string_view host, bool& name_allowed) const;
  // The verdict on the address about to be connected to: empty or why not.
  std::string check_address(const Address& address, bool name_allowed) const;

  // The address of a socket address (AF_INET or AF_INET6); false otherwise.
  static bool address_of(const sockaddr* sa, Address& out);

private:
  std::vector<std::string> allow_names_, deny_names_;
  std::vector<Network> allow_networks_, deny_networks_;
  bool allow_all_ = true;  // no allow list given
};

}  // namespace phost_http
