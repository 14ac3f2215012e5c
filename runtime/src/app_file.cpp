#include "app_file.hpp"

#include <fstream>

namespace phost::v8rt {

AppFileRead read_app_file(const std::filesystem::path& path, size_t limit, std::string& text, std::error_code& ec) {
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return AppFileRead::missing;
  if (size > limit) return AppFileRead::too_large;
  std::ifstream in(path, std::ios::binary);
  if (!in) return AppFileRead::unreadable;
  text.clear();
  text.reserve(static_cast<size_t>(size));
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > limit) return AppFileRead::too_large;  // it grew since
  }
  return in.bad() ? AppFileRead::unreadable : AppFileRead::ok;
}

}  // namespace phost::v8rt
