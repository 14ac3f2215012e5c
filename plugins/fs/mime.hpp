// MimeType by content, as gou's fs.MimeType (which sniffs content too), with libmagic.
#pragma once

#include <optional>
#include <string>

namespace fsplugin {

// The MIME type of the open file fd ("image/png", "text/plain; charset=utf-8"); binary files carry no
// charset, as gou's. nullopt with why set when libmagic fails. Thread-safe.
std::optional<std::string> mime_type(int fd, std::string& why);

}  // namespace fsplugin
