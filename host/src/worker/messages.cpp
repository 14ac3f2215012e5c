#include "messages.hpp"

#include "../error.hpp"

#include <new>

namespace phost::worker {

std::string encode_call(uint64_t id, uint64_t via, int64_t deadline_ns, std::string_view name,
                        const CallScope* scope, const phost_value* args) {
  Writer w(Type::kCall);
  w.u64(id);
  w.u64(via);
  w.i64(deadline_ns);
  w.bytes(name);
  w.bytes(scope ? scope->session : std::string_view());
  w.value(scope ? scope->subject : nullptr);
  w.value(scope ? scope->global : nullptr);
  w.value(args);
  return w.finish();
}

CallFrame decode_call(std::string_view frame) {
  Reader r(frame);
  if (r.type() != Type::kCall) throw Error(PHOST_E_INTERNAL, "worker protocol: expected a call");
  CallFrame call;
  call.id = r.u64();
  call.via = r.u64();
  call.deadline_ns = r.i64();
  call.name = r.bytes();
  call.session = r.bytes();
  call.subject.reset(r.value());
  call.global.reset(r.value());
  call.args.reset(r.value());
  return call;
}

std::string encode_result(uint64_t id, const phost_value* value) {
  try {
    Writer w(Type::kResult);
    w.u64(id);
    w.value(value);
    return w.finish();
  } catch (...) {
    return encode_current_exception(id);
  }
}

std::string encode_error(uint64_t id, phost_status status, int32_t code, std::string_view message) {
  Writer w(Type::kError);
  w.u64(id);
  w.u64(static_cast<uint32_t>(status));
  w.i64(code);
  w.bytes(message);
  return w.finish();
}

std::string encode_current_exception(uint64_t id) {
  try {
    throw;
  } catch (const Error& e) {
    return encode_error(id, e.status(), e.code(), e.message());
  } catch (const std::bad_alloc&) {
    return encode_error(id, PHOST_E_NO_MEMORY, 507, "out of memory");
  } catch (const std::exception& e) {
    return encode_error(id, PHOST_E_INTERNAL, 500, e.what());
  } catch (...) {
    return encode_error(id, PHOST_E_INTERNAL, 500, "unknown exception");
  }
}

phost_value* decode_reply(std::string_view frame) {
  Reader r(frame);
  r.u64();  // the id, already routed on
  if (r.type() == Type::kResult) {
    phost_value* v = r.value();
    if (!v) throw Error(PHOST_E_INTERNAL, "worker protocol: a result without a value");
    return v;
  }
  if (r.type() != Type::kError) throw Error(PHOST_E_INTERNAL, "worker protocol: expected a reply");
  const auto status = static_cast<phost_status>(r.u64());
  const auto code = static_cast<int32_t>(r.i64());
  const std::string_view message = r.bytes();
  const bool known = status > PHOST_OK && status <= PHOST_E_INTERNAL;
  throw Error(known ? status : PHOST_E_PROCESS, std::string(message), code);
}

std::string encode_id(Type type, uint64_t id) {
  Writer w(type);
  w.u64(id);
  return w.finish();
}

Peek peek(std::string_view frame) {
  Reader r(frame);
  Peek p{r.type()};
  if (p.type == Type::kCall || p.type == Type::kResult || p.type == Type::kError || p.type == Type::kCancel ||
      p.type == Type::kDeadline)
    p.id = r.u64();
  if (p.type == Type::kCall) p.via = r.u64();
  return p;
}

}  // namespace phost::worker
