// The worker protocol's messages, on top of wire.hpp: what a call, a reply
// and an error carry across the process boundary.
#pragma once

#include "../call_context.hpp"
#include "../value.hpp"
#include "wire.hpp"

#include <string>
#include <string_view>

namespace phost::worker {

// A call as received. Views point into the frame it was decoded from.
struct CallFrame {
  uint64_t id = 0;   // the sender's
  uint64_t via = 0;  // the receiver's call this one is nested in (run by the thread waiting for it); 0: none
  int64_t deadline_ns = 0;  // the monotonic clock (CLOCK_MONOTONIC, shared by both processes); 0: none
  std::string_view name, session;
  ValuePtr subject, global, args;
};

// Every field of the call context crosses but the cancellation flag, which
// follows as kCancel. scope may be NULL (no session, subject or global).
std::string encode_call(uint64_t id, uint64_t via, int64_t deadline_ns, std::string_view name,
                        const CallScope* scope, const phost_value* args);
CallFrame decode_call(std::string_view frame);

// A value that cannot cross (too deep) becomes an error frame instead.
std::string encode_result(uint64_t id, const phost_value* value);
std::string encode_error(uint64_t id, phost_status status, int32_t code, std::string_view message);
// The error of whatever the current exception is (call inside a catch).
std::string encode_current_exception(uint64_t id);
// kResult: a new reference; kError: throws it, status, code and message kept.
phost_value* decode_reply(std::string_view frame);

std::string encode_id(Type type, uint64_t id);  // kCancel

// The type and first number of a frame (the id of a call or reply), and for
// a call its via, without decoding the rest.
struct Peek {
  Type type;
  uint64_t id = 0;
  uint64_t via = 0;
};
Peek peek(std::string_view frame);

}  // namespace phost::worker
