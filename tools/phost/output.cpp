#include "output.hpp"

#include "exit_codes.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace phost::cli {
namespace {

void indent(std::string& out, int depth) {
  out += '\n';
  out.append(static_cast<size_t>(depth) * 2, ' ');
}

void append_pretty(std::string& out, View value, int depth) {
  const phost_kind kind = value.kind();
  if ((kind != PHOST_ARRAY && kind != PHOST_OBJECT) || value.size() == 0) {
    out += value.to_json();
    return;
  }
  out += kind == PHOST_ARRAY ? '[' : '{';
  for (size_t i = 0; i < value.size(); ++i) {
    if (i > 0) out += ',';
    indent(out, depth + 1);
    if (kind == PHOST_OBJECT) {
      out += Value::string(value.key_at(i)).to_json();
      out += ": ";
    }
    append_pretty(out, value[i], depth + 1);
  }
  indent(out, depth);
  out += kind == PHOST_ARRAY ? ']' : '}';
}

[[noreturn]] void write_failed(int error) {
  throw Failure(kIo, std::string("cannot write the output: ") + std::strerror(error));
}

}  // namespace

bool stdout_is_terminal() {
#ifdef _WIN32
  return _isatty(_fileno(stdout)) != 0;
#else
  return isatty(fileno(stdout)) != 0;
#endif
}

std::string to_json(View value, bool pretty) {
  if (!pretty) return value.to_json();
  std::string out;
  append_pretty(out, value, 0);
  return out;
}

void write_stdout(std::string_view text) {
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) write_failed(errno);
}

void flush_stdout() {
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) write_failed(errno);
}

}  // namespace phost::cli
