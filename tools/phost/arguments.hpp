// The JSON values a command line passes on: a literal ('{"id": 7}'), "-" for
// one value read from stdin, "@FILE" for one value read from FILE, as curl
// and gcc read arguments from files. Used for call arguments and --config.
#pragma once

#include <phost/plugin.hpp>

#include <string>
#include <vector>

namespace phost::cli {

class ArgumentReader {
public:
  // One value; what names it in messages ("argument 2", "--config of fs").
  // Throws Failure: kUsage for invalid JSON or a second "-", kIo when the file
  // or stdin cannot be read.
  Value read(const std::string& text, const std::string& what);
  // An array of every text's value; numbered from 1, as everywhere in phost.
  Value read_all(const std::vector<std::string>& texts);

private:
  bool stdin_taken_ = false;
};

}  // namespace phost::cli
