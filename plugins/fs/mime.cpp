#include "mime.hpp"

#include <magic.h>

#include <memory>
#include <mutex>

namespace fsplugin {

namespace {

struct Magic {
  std::mutex mutex;  // a magic_t is not thread-safe
  magic_t cookie = nullptr;
  std::string load_error;
  ~Magic() {
    if (cookie) magic_close(cookie);
  }
};

// Loaded at the first call: the database costs a few milliseconds and most apps never ask.
Magic& magic() {
  static Magic m;
  static std::once_flag once;
  std::call_once(once, [] {
    m.cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_MIME_ENCODING | MAGIC_ERROR);
    if (!m.cookie) {
      m.load_error = "libmagic: cannot initialise";
    } else if (magic_load(m.cookie, nullptr) != 0) {
      m.load_error = std::string("libmagic: ") + (magic_error(m.cookie) ? magic_error(m.cookie) : "cannot load");
      magic_close(m.cookie);
      m.cookie = nullptr;
    }
  });
  return m;
}

}  // namespace

std::optional<std::string> mime_type(int fd, std::string& why) {
  Magic& m = magic();
  if (!m.cookie) {
    why = m.load_error;
    return std::nullopt;
  }
  std::lock_guard lock(m.mutex);
  const char* type = magic_descriptor(m.cookie, fd);
  if (!type) {
    const char* error = magic_error(m.cookie);
    why = std::string("libmagic: ") + (error ? error : "cannot tell");
    return std::nullopt;
  }
  std::string out(type);
  constexpr std::string_view kBinary = "; charset=binary";
  if (out.size() > kBinary.size() && out.compare(out.size() - kBinary.size(), kBinary.size(), kBinary) == 0)
    out.resize(out.size() - kBinary.size());
  return out;
}

}  // namespace fsplugin
