// The phost CLI's exit statuses, one per class of failure, so that scripts can
// tell "no such process" from "the script threw" from "bad input". Listed in
// --help and in phost(1); the numbers never change.
#pragma once

#include <phost/value.hpp>

#include <stdexcept>
#include <string>

namespace phost::cli {

enum ExitCode : int {
  kOk = 0,
  kInternal = 1,       // a bug in phost or a plugin (PHOST_E_INTERNAL, unexpected exceptions)
  kUsage = 2,          // the command line is wrong
  kLoad = 3,           // a plugin could not be found or loaded
  kNotFound = 4,       // no such process (404)
  kBadArguments = 5,   // the call was refused: 400, 422 and other 4xx codes
  kTimeout = 6,        // the deadline passed (408) or the call was cancelled (499)
  kProcessFailed = 7,  // the process failed: a script threw, a 5xx code
  kIo = 8,             // reading an argument file or stdin, writing the output
};

// A failure with its class; main() prints "phost: <what>" and exits with code.
struct Failure : std::runtime_error {
  Failure(ExitCode exit_code, const std::string& message) : std::runtime_error(message), code(exit_code) {}
  ExitCode code;
};

// The class of a failed call, from the code it carries across every hop.
inline ExitCode exit_code_of(const Error& e) {
  if (e.status() == PHOST_E_INTERNAL) return kInternal;
  switch (e.code()) {
    case 404: return kNotFound;
    case 408:
    case 499: return kTimeout;
    default: break;
  }
  if (e.code() >= 400 && e.code() < 500) return kBadArguments;
  return kProcessFailed;
}

}  // namespace phost::cli
