// The worker protocol's encoding: frames of a 4-byte length, a type byte and
// a payload of varints, zigzag integers, raw doubles and length-prefixed
// bytes. Values are encoded and rebuilt through the ABI table (phost_api), so
// the encoding does not depend on how libphost lays out its values.
#pragma once

#include <phost/plugin_api.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace phost::worker {

enum class Type : uint8_t {
  kLoad = 1,        // host -> worker: plugin path, config, log level
  kReady = 2,       // worker -> host: plugin name and version, its processes
  kLoadFailed = 3,  // worker -> host: status, code, message
  kCall = 4,        // either way: id, via, deadline, name, session, subject, global, args
  kResult = 5,      // id, value
  kError = 6,       // id, status, code, message
  kCancel = 7,      // host -> worker: cancel the call with this id
  kLog = 8,         // worker -> host: level, logger, message
  kShutdown = 9,    // host -> worker: unload the plugin and exit
  kDeadline = 10,   // worker -> host: id, a sooner deadline its handler set (ctx_set_deadline)
};

// Builds one frame; the length is filled in by finish().
class Writer {
public:
  explicit Writer(Type type);
  void u64(uint64_t v);
  void i64(int64_t v);  // zigzag
  void bytes(std::string_view b);
  // A value (or NULL, encoded as absent); throws Error beyond kMaxDepth.
  void value(const phost_value* v);
  // The whole frame, length filled in; the writer is spent.
  std::string finish();

private:
  void value_at(const phost_value* v, size_t depth);
  std::string buffer_;
};

// Reads one frame's payload (after the length); throws Error on malformed input.
class Reader {
public:
  explicit Reader(std::string_view frame);
  Type type() const noexcept { return type_; }
  uint64_t u64();
  int64_t i64();
  std::string_view bytes();
  // A new reference, or nullptr for an absent value.
  phost_value* value();
  bool done() const noexcept { return at_ == end_; }

private:
  phost_value* value_at(size_t depth);
  const char* at_;
  const char* end_;
  Type type_;
};

// The longest frame either side accepts: a bigger value is refused, not buffered.
inline constexpr size_t kMaxFrame = size_t{1} << 30;

}  // namespace phost::worker
