#include "arguments.hpp"

#include "exit_codes.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

namespace phost::cli {
namespace {

// Arguments and configuration are JSON a person or a script wrote: more than
// this is a mistake (`@/dev/zero` grew to gigabytes), refused as it is read.
constexpr size_t kMaxInputBytes = size_t{256} << 20;

std::string read_stream(std::istream& in, const std::string& source) {
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxInputBytes)
      throw Failure(kUsage, source + " is larger than " + std::to_string(kMaxInputBytes >> 20) + " MiB");
  }
  if (in.bad()) throw Failure(kIo, "cannot read " + source + ": " + std::strerror(errno));
  return text;
}

}  // namespace

Value ArgumentReader::read(const std::string& text, const std::string& what) {
  std::string json;
  std::string source;
  if (text == "-") {
    if (stdin_taken_) throw Failure(kUsage, what + ": stdin ('-') can be read only once");
    stdin_taken_ = true;
    json = read_stream(std::cin, "stdin");
    source = " (from stdin)";
  } else if (text.starts_with("@")) {
    const std::string path = text.substr(1);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw Failure(kIo, "cannot read " + path + " (" + what + "): a directory");
    errno = 0;
    std::ifstream file(path, std::ios::binary);
    if (!file) throw Failure(kIo, "cannot read " + path + " (" + what + "): " + std::strerror(errno));
    json = read_stream(file, path);
    source = " (from " + path + ")";
  } else {
    json = text;
  }
  try {
    return Value::from_json(json);
  } catch (const Error& e) {
    std::string message = what + source + " is not valid JSON: " + e.what();
    if (source.empty())
      message += "; to pass a string, give it JSON quotes inside the shell's: '\"" + text + "\"'";
    throw Failure(kUsage, message);
  }
}

Value ArgumentReader::read_all(const std::vector<std::string>& texts) {
  Value args = Value::array(texts.size());
  for (size_t k = 0; k < texts.size(); ++k) args.push(read(texts[k], argument_name(k)));
  return args;
}

}  // namespace phost::cli
