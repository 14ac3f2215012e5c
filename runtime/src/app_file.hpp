// An app's file read whole within a size bound: its size is looked at before
// reading (a file of gigabytes is never read), and the reading stops at the
// bound should the file grow meanwhile. Scripts and their .json imports.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>

namespace phost::v8rt {

enum class AppFileRead { ok, missing, too_large, unreadable };

// text: the file when ok. missing: its size cannot be had (ec says why).
AppFileRead read_app_file(const std::filesystem::path& path, size_t limit, std::string& text, std::error_code& ec);

}  // namespace phost::v8rt
