// Everything the CLI prints on stdout goes through here: JSON (indented for a
// terminal, one line for a pipe), raw strings, text. A failed write (a full
// disk, a closed pipe) is an I/O failure with the system's reason, not a bug.
#pragma once

#include <phost/value.hpp>

#include <string>
#include <string_view>

namespace phost::cli {

bool stdout_is_terminal();

// JSON text of value: indented by two spaces when pretty, else compact.
std::string to_json(View value, bool pretty);

// Writes text to stdout; throws Failure(kIo) when stdout refuses it.
void write_stdout(std::string_view text);
// Flushes stdout; throws Failure(kIo) when the last bytes cannot be written.
void flush_stdout();

}  // namespace phost::cli
