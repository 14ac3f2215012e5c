// Query parameters and header lists as gou builds them (Go's url.Values and
// gou's cast.AnyToURLValues): a query or header argument may be an object,
// a "k=v&k2=v2" string, or an array of such strings and objects.
#pragma once

#include <phost/value.hpp>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phost_http {

// Name -> values in the order given. Encode() sorts by name, as Go does.
using UrlValues = std::map<std::string, std::vector<std::string>>;
// Header lines in the order given (names as given; lookups ignore case).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Go's url.QueryEscape: unreserved bytes kept, space as '+', the rest %XX.
std::string query_escape(std::string_view text);
// Go's url.Values.Encode: "a=1&a=2&b=x+y", names sorted.
std::string encode(const UrlValues& values);
// Go's url.ParseQuery into out (appending). Throws std::invalid_argument
// naming the bad part ("invalid URL escape \"%zz\"").
void parse_query(std::string_view query, UrlValues& out);

// A scalar as Go's fmt "%v" writes it (strings as they are, numbers, true,
// false); null is empty; arrays and objects are their JSON text.
std::string format_value(phost::View value);

// gou's cast.AnyToURLValues: null, an object, a query string (a leading '?'
// is dropped), or an array of those. Appends to out in the order given.
// Throws std::invalid_argument for any other kind.
void append_values(phost::View value, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace phost_http
