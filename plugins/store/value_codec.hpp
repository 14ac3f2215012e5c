// The store's value encoding: every phost value kind, exactly (int64 stays int64, bytes stay
// bytes, doubles keep every bit), as a compact tagged binary string. It is what the store keeps in
// memory and writes to SQLite as a BLOB; version-1 files hold JSON text, which still reads.
#pragma once

#include <phost/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storeplugin::codec {

constexpr int kMaxDepth = 512;

// The encoding of v. Throws phost::Error 400 naming where (".a[3]") when v nests deeper than kMaxDepth.
std::string encode(phost::View v, const std::string& where);
// The value encoded by data; throws phost::Error 500 when data is not an encoding.
phost::Value decode(std::string_view data);
// The int64 encoded by data, nullopt when data encodes another kind.
std::optional<int64_t> as_int(std::string_view data);
std::string encode_int(int64_t i);

// The encodings of the items of the array data encodes; nullopt when data encodes another kind.
std::optional<std::vector<std::string_view>> array_items(std::string_view data);
// The encoding of the array of these (encoded) items.
std::string encode_array(const std::vector<std::string_view>& items);

}  // namespace storeplugin::codec
