#include "wire.hpp"

#include "../api.hpp"
#include "../error.hpp"
#include "../value.hpp"

#include <cstring>

namespace phost::worker {
namespace {

enum Tag : uint8_t { kAbsent = 0, kNull, kFalse, kTrue, kInt, kDouble, kString, kBytes, kArray, kObject };

const phost_api& api() noexcept { return *api_table(); }

[[noreturn]] void malformed(const char* what) {
  throw Error(PHOST_E_INTERNAL, std::string("worker protocol: malformed frame (") + what + ")");
}

// Turns a failed table call into the Error it recorded.
void check(phost_status status) {
  if (status == PHOST_OK) return;
  const LastError& e = last_error();
  throw Error(status, e.message, e.code);
}

}  // namespace

Writer::Writer(Type type) {
  buffer_.reserve(256);
  buffer_.append(4, '\0');
  buffer_.push_back(static_cast<char>(type));
}

void Writer::u64(uint64_t v) {
  while (v >= 0x80) {
    buffer_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  buffer_.push_back(static_cast<char>(v));
}

void Writer::i64(int64_t v) { u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }

void Writer::bytes(std::string_view b) {
  u64(b.size());
  buffer_.append(b);
}

void Writer::value(const phost_value* v) { value_at(v, 0); }

void Writer::value_at(const phost_value* v, size_t depth) {
  if (!v) {
    buffer_.push_back(kAbsent);
    return;
  }
  if (depth > kMaxValueDepth)
    throw Error(PHOST_E_LIMIT, "value nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  const phost_api& a = api();
  switch (a.value_kind(v)) {
    case PHOST_NULL: buffer_.push_back(kNull); return;
    case PHOST_BOOL: {
      int32_t b = 0;
      a.value_get_bool(v, &b);
      buffer_.push_back(b ? kTrue : kFalse);
      return;
    }
    case PHOST_INT: {
      int64_t i = 0;
      a.value_get_int(v, &i);
      buffer_.push_back(kInt);
      i64(i);
      return;
    }
    case PHOST_DOUBLE: {
      double d = 0;
      a.value_get_double(v, &d);
      char raw[sizeof d];
      std::memcpy(raw, &d, sizeof d);
      buffer_.push_back(kDouble);
      buffer_.append(raw, sizeof raw);
      return;
    }
    case PHOST_STRING:
    case PHOST_BYTES: {
      phost_str s{};
      a.value_get_str(v, &s);
      buffer_.push_back(a.value_kind(v) == PHOST_STRING ? kString : kBytes);
      bytes(std::string_view(s.ptr, s.len));
      return;
    }
    case PHOST_ARRAY:
    case PHOST_OBJECT: {
      const bool object = a.value_kind(v) == PHOST_OBJECT;
      const size_t n = a.value_len(v);
      buffer_.push_back(object ? kObject : kArray);
      u64(n);
      for (size_t i = 0; i < n; ++i) {
        phost_str key{};
        const phost_value* item = a.value_at(v, i, &key);
        if (object) bytes(std::string_view(key.ptr, key.len));
        value_at(item, depth + 1);
      }
      return;
    }
    default: throw Error(PHOST_E_INTERNAL, "worker protocol: a value of unknown kind");
  }
}

std::string Writer::finish() {
  const size_t length = buffer_.size() - 4;
  if (length > kMaxFrame) throw Error(PHOST_E_LIMIT, "a message to or from a worker exceeds 1 GiB");
  for (int i = 0; i < 4; ++i) buffer_[i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return std::move(buffer_);
}

Reader::Reader(std::string_view frame) : at_(frame.data()), end_(frame.data() + frame.size()) {
  if (frame.empty()) malformed("empty");
  type_ = static_cast<Type>(static_cast<uint8_t>(*at_++));
}

uint64_t Reader::u64() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at_ == end_) malformed("truncated number");
    const auto byte = static_cast<uint8_t>(*at_++);
    v |= uint64_t{byte & 0x7Fu} << shift;
    if (!(byte & 0x80)) return v;
  }
  malformed("number too long");
}

int64_t Reader::i64() {
  const uint64_t z = u64();
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::string_view Reader::bytes() {
  const uint64_t n = u64();
  if (n > static_cast<uint64_t>(end_ - at_)) malformed("truncated bytes");
  const std::string_view b(at_, n);
  at_ += n;
  return b;
}

phost_value* Reader::value() { return value_at(0); }

phost_value* Reader::value_at(size_t depth) {
  if (at_ == end_) malformed("truncated value");
  if (depth > kMaxValueDepth) malformed("value too deep");
  const auto tag = static_cast<uint8_t>(*at_++);
  const phost_api& a = api();
  phost_value* out = nullptr;
  switch (tag) {
    case kAbsent: return nullptr;
    case kNull: check(a.value_null(&out)); return out;
    case kFalse:
    case kTrue: check(a.value_bool(tag == kTrue, &out)); return out;
    case kInt: {
      const int64_t i = i64();
      check(a.value_int(i, &out));
      return out;
    }
    case kDouble: {
      double d = 0;
      if (end_ - at_ < static_cast<ptrdiff_t>(sizeof d)) malformed("truncated double");
      std::memcpy(&d, at_, sizeof d);
      at_ += sizeof d;
      check(a.value_double(d, &out));
      return out;
    }
    case kString:
    case kBytes: {
      const std::string_view b = bytes();
      check((tag == kString ? a.value_string : a.value_bytes)(phost_str{b.data(), b.size()}, &out));
      return out;
    }
    case kArray:
    case kObject: {
      const uint64_t n = u64();
      if (n > static_cast<uint64_t>(end_ - at_)) malformed("container longer than its frame");
      check((tag == kArray ? a.value_array : a.value_object)(n, &out));
      ValuePtr container(out);
      for (uint64_t i = 0; i < n; ++i) {
        std::string_view key;
        if (tag == kObject) key = bytes();
        phost_value* item = value_at(depth + 1);
        if (!item) malformed("absent item");
        check(tag == kArray ? a.value_push(container.get(), item)
                            : a.value_set(container.get(), phost_str{key.data(), key.size()}, item));
      }
      return container.release();
    }
    default: malformed("unknown value tag");
  }
}

}  // namespace phost::worker
