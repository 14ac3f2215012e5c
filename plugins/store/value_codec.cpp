#include "value_codec.hpp"

#include <cstring>

namespace storeplugin::codec {

namespace {

// One byte of kind, then: int and double 8 bytes little-endian; string and bytes a varint length
// and the bytes; array a varint count and the items; object a varint count and (key, value) pairs.
enum Tag : char { kNull = 'n', kFalse = 'f', kTrue = 't', kInt = 'i', kDouble = 'd', kString = 's', kBytes = 'b',
                  kArray = 'a', kObject = 'o' };

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
void put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

void encode_into(std::string& out, phost::View v, const std::string& where, std::string& at, int depth) {
  if (depth > kMaxDepth)
    throw phost::Error(400, where + ": the value nests deeper than " + std::to_string(kMaxDepth) + " (at value" + at + ")",
                       PHOST_E_INVALID_ARG);
  switch (v.kind()) {
    case PHOST_NULL: out += kNull; return;
    case PHOST_BOOL: out += v.as_bool() ? kTrue : kFalse; return;
    case PHOST_INT:
      out += kInt;
      put_u64(out, static_cast<uint64_t>(v.as_int()));
      return;
    case PHOST_DOUBLE: {
      out += kDouble;
      const double d = v.as_double();
      uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      put_u64(out, bits);
      return;
    }
    case PHOST_STRING:
      out += kString;
      put_text(out, v.as_string());
      return;
    case PHOST_BYTES:
      out += kBytes;
      put_text(out, v.as_string());
      return;
    case PHOST_ARRAY: {
      out += kArray;
      put_varint(out, v.size());
      const size_t mark = at.size();
      for (size_t i = 0; i < v.size(); ++i) {
        at.resize(mark);
        at += "[" + std::to_string(i) + "]";
        encode_into(out, v[i], where, at, depth + 1);
      }
      at.resize(mark);
      return;
    }
    case PHOST_OBJECT: {
      out += kObject;
      put_varint(out, v.size());
      const size_t mark = at.size();
      for (size_t i = 0; i < v.size(); ++i) {
        put_text(out, v.key_at(i));
        at.resize(mark);
        at += "." + std::string(v.key_at(i));
        encode_into(out, v[i], where, at, depth + 1);
      }
      at.resize(mark);
      return;
    }
    default: break;
  }
  throw phost::Error(400, where + ": a value of unknown kind (at value" + at + ")", PHOST_E_INVALID_ARG);
}

class Reader {
public:
  explicit Reader(std::string_view data) : data_(data) {}

  phost::Value value(int depth) {
    if (depth > kMaxDepth) bad();
    switch (byte()) {
      case kNull: return phost::Value::null();
      case kFalse: return phost::Value::boolean(false);
      case kTrue: return phost::Value::boolean(true);
      case kInt: return phost::Value::integer(static_cast<int64_t>(u64()));
      case kDouble: {
        const uint64_t bits = u64();
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return phost::Value::number(d);
      }
      case kString: return phost::Value::string(text());
      case kBytes: return phost::Value::bytes(text());
      case kArray: {
        const uint64_t n = count();
        phost::Value out = phost::Value::array(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n; ++i) out.push(value(depth + 1));
        return out;
      }
      case kObject: {
        const uint64_t n = count();
        phost::Value out = phost::Value::object(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n; ++i) {
          const std::string_view key = text();
          out.set(key, value(depth + 1));
        }
        return out;
      }
      default: bad();
    }
  }
  bool done() const noexcept { return pos_ == data_.size(); }
  size_t pos() const noexcept { return pos_; }
  // Moves past one value without building it.
  void skip(int depth) {
    if (depth > kMaxDepth) bad();
    switch (byte()) {
      case kNull:
      case kFalse:
      case kTrue: return;
      case kInt:
      case kDouble: u64(); return;
      case kString:
      case kBytes: text(); return;
      case kArray:
        for (uint64_t n = count(); n > 0; --n) skip(depth + 1);
        return;
      case kObject:
        for (uint64_t n = count(); n > 0; --n) {
          text();
          skip(depth + 1);
        }
        return;
      default: bad();
    }
  }
  uint64_t array_count() {
    if (byte() != kArray) bad();
    return count();
  }
  [[noreturn]] static void bad() { throw phost::Error(500, "store: a stored value is not a valid encoding", PHOST_E_PROCESS); }
  uint64_t u64() {
    if (data_.size() - pos_ < 8) bad();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(data_[pos_ + static_cast<size_t>(i)])} << (8 * i);
    pos_ += 8;
    return v;
  }
  char byte() {
    if (pos_ >= data_.size()) bad();
    return data_[pos_++];
  }

private:
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto b = static_cast<unsigned char>(byte());
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) return v;
    }
    bad();
  }
  // A count of items, each at least one byte: more than the bytes left is corrupt.
  uint64_t count() {
    const uint64_t n = varint();
    if (n > data_.size() - pos_) bad();
    return n;
  }
  std::string_view text() {
    const uint64_t n = varint();
    if (n > data_.size() - pos_) bad();
    const std::string_view out = data_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

std::string encode(phost::View v, const std::string& where) {
  std::string out, at;
  encode_into(out, v, where, at, 0);
  return out;
}

phost::Value decode(std::string_view data) {
  Reader r(data);
  phost::Value out = r.value(0);
  if (!r.done()) Reader::bad();
  return out;
}

std::optional<int64_t> as_int(std::string_view data) {
  if (data.size() != 9 || data[0] != kInt) return std::nullopt;
  Reader r(data);
  r.byte();
  return static_cast<int64_t>(r.u64());
}

std::optional<std::vector<std::string_view>> array_items(std::string_view data) {
  if (data.empty() || data[0] != kArray) return std::nullopt;
  Reader r(data);
  std::vector<std::string_view> out;
  for (uint64_t n = r.array_count(); n > 0; --n) {
    const size_t begin = r.pos();
    r.skip(1);
    out.push_back(data.substr(begin, r.pos() - begin));
  }
  return out;
}

std::string encode_array(const std::vector<std::string_view>& items) {
  std::string out(1, kArray);
  put_varint(out, items.size());
  for (const std::string_view item : items) out.append(item);
  return out;
}

std::string encode_int(int64_t i) {
  std::string out(1, kInt);
  put_u64(out, static_cast<uint64_t>(i));
  return out;
}

}  // namespace storeplugin::codec
