// fuzz_process_name: bytes as a process name, against a host with an exact
// process ("app.exact.Run") and a group ("grp").
//   phost_call:     a value from the right handler (exact wins, then the
//                   group with id lower-cased and method as written), or
//                   PHOST_E_INVALID_ARG (400) / PHOST_E_NOT_FOUND (404) with a
//                   message; which one is predicted by a reference parser.
//   phost_register: as an exact process and as a group. Succeeds exactly when
//                   the reference parser says it may; the finalizer runs once
//                   by the time a failed registration returns, never while
//                   the process is registered, and once after unregistering.
//   phost_alias:    the name as an alias of the exact process.
#include "fuzz_support.hpp"

#include <vector>

using namespace fuzz;

namespace {

// The README's rules, written independently of host/src/process_name.cpp.
struct Expected {
  bool valid = false;
  std::string lower;
  std::vector<std::string> segments;  // lower-cased, but the method as written
};

Expected reference_parse(std::string_view name) {
  Expected e;
  if (name.empty() || name.size() > 256) return e;
  std::string segment;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '$';
    if (c == '.') {
      if (segment.empty()) return e;
      e.segments.push_back(segment);
      segment.clear();
    } else if (ok) {
      segment += c;
    } else {
      return e;
    }
  }
  if (segment.empty()) return e;
  e.segments.push_back(segment);
  for (const char c : name) e.lower += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  e.valid = true;
  return e;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

phost_host* g_host = nullptr;

// Handlers answer "<tag>" (exact) or "<tag>:<id>:<method>" (group).
phost_status PHOST_CALL answer(void* tag, phost_call_ctx* ctx, const phost_value*, phost_value** out) {
  phost_call_info info{};
  info.struct_size = sizeof info;
  if (api().ctx_info(ctx, &info) != PHOST_OK) return PHOST_E_INTERNAL;
  std::string text = static_cast<const char*>(tag);
  if (info.id.len || info.method.len) text += ":" + std::string(V(info.id)) + ":" + std::string(V(info.method));
  return api().value_string(S(text), out);
}

struct Finalized {
  int count = 0;
};
void PHOST_CALL count_finalize(void* data) { ++static_cast<Finalized*>(data)->count; }

phost_process_desc desc_of(std::string_view name, const char* tag, uint32_t flags, Finalized* fin) {
  phost_process_desc d{};
  d.struct_size = sizeof d;
  d.flags = flags;
  d.name = S(name);
  d.description = S("fuzz");
  d.handler = &answer;
  d.user_data = fin ? static_cast<void*>(fin) : const_cast<char*>(tag);
  d.finalize = fin ? &count_finalize : nullptr;
  return d;
}

// A handler whose user_data is a Finalized counter still needs its tag.
phost_status PHOST_CALL answer_mine(void*, phost_call_ctx* ctx, const phost_value* args, phost_value** out) {
  return answer(const_cast<char*>("mine"), ctx, args, out);
}

void check_error(phost_status status, const Err& e, std::string_view name, const char* what) {
  const std::string where = std::string(what) + " '" + shown(name, 120) + "': " + err_text(e);
  FUZZ_CHECK(e.status == status, where);
  FUZZ_CHECK(!e.message.empty(), where);
  FUZZ_CHECK(valid_utf8(e.message), where);
  const int32_t code = status == PHOST_E_INVALID_ARG ? 400 : status == PHOST_E_NOT_FOUND ? 404 : 409;
  FUZZ_CHECK(e.code == code, where);
}

std::string call_text(std::string_view name, phost_status& status, Err& error) {
  phost_value* out = nullptr;
  status = phost_call(g_host, S(name), nullptr, nullptr, &out);
  error = last_error();
  const Ref result(out);
  if (status != PHOST_OK) {
    FUZZ_CHECK(out == nullptr, "a failed call returned a value");
    return {};
  }
  phost_str s{};
  FUZZ_CHECK(api().value_get_str(result.get(), &s) == PHOST_OK, "handler result is not a string");
  return std::string(V(s));
}

void init() {
  phost_host_config config{};
  config.struct_size = sizeof config;
  config.log = [](void*, int32_t, phost_str, phost_str) {};
  config.log_level = PHOST_LOG_ERROR;
  if (phost_host_create(&config, &g_host) != PHOST_OK) std::abort();
  const phost_process_desc exact = desc_of("app.exact.Run", "exact", 0, nullptr);
  const phost_process_desc group = desc_of("grp", "group", PHOST_PROCESS_GROUP, nullptr);
  if (phost_register(g_host, &exact) != PHOST_OK || phost_register(g_host, &group) != PHOST_OK) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  const Expected expected = reference_parse(name);
  const bool is_exact = expected.valid && expected.lower == "app.exact.run";
  const bool in_group = expected.valid && expected.segments.size() >= 3 && lower(expected.segments[0]) == "grp";

  // 1. Calling it.
  phost_status status;
  Err error;
  std::string text = call_text(name, status, error);
  if (!expected.valid) {
    check_error(PHOST_E_INVALID_ARG, error, name, "call");
  } else if (is_exact) {
    FUZZ_CHECK(status == PHOST_OK && text == "exact", "call '" + shown(name) + "': " + err_text(error) + text);
  } else if (in_group) {
    std::string id;
    for (size_t i = 1; i + 1 < expected.segments.size(); ++i) id += (i > 1 ? "." : "") + lower(expected.segments[i]);
    const std::string want = "group:" + id + ":" + expected.segments.back();
    FUZZ_CHECK(status == PHOST_OK && text == want,
               "call '" + shown(name) + "': got '" + text + "', want '" + want + "'; " + err_text(error));
  } else {
    check_error(PHOST_E_NOT_FOUND, error, name, "call");
  }

  // 2. Registering it as an exact process.
  {
    Finalized fin;
    phost_process_desc d = desc_of(name, "mine", 0, &fin);
    d.handler = &answer_mine;
    status = phost_register(g_host, &d);
    error = last_error();
    if (!expected.valid || is_exact) {
      check_error(expected.valid ? PHOST_E_EXISTS : PHOST_E_INVALID_ARG, error, name, "register");
      FUZZ_CHECK(fin.count == 1, "refused registration finalized " + std::to_string(fin.count) + " times");
    } else {
      FUZZ_CHECK(status == PHOST_OK, "register '" + shown(name) + "': " + err_text(error));
      FUZZ_CHECK(fin.count == 0, "finalized while registered");
      text = call_text(name, status, error);
      FUZZ_CHECK(status == PHOST_OK && text == "mine", "exact name must win: '" + text + "' " + err_text(error));
      FUZZ_CHECK(phost_unregister(g_host, S(name)) == PHOST_OK, err_text(last_error()));
      FUZZ_CHECK(fin.count == 1, "unregistered process finalized " + std::to_string(fin.count) + " times");
    }
  }

  // 3. Registering it as a group (a single segment only).
  {
    Finalized fin;
    phost_process_desc d = desc_of(name, "mine", PHOST_PROCESS_GROUP, &fin);
    d.handler = &answer_mine;
    status = phost_register(g_host, &d);
    error = last_error();
    const bool single = expected.valid && expected.segments.size() == 1;
    if (!single || expected.lower == "grp") {
      check_error(single ? PHOST_E_EXISTS : PHOST_E_INVALID_ARG, error, name, "register group");
      FUZZ_CHECK(fin.count == 1, "refused group finalized " + std::to_string(fin.count) + " times");
    } else {
      FUZZ_CHECK(status == PHOST_OK, "register group '" + shown(name) + "': " + err_text(error));
      const std::string member = std::string(name) + ".Id.M";
      text = call_text(member, status, error);
      if (member.size() <= 256)
        FUZZ_CHECK(status == PHOST_OK && text == "mine:id:M", "group member: '" + text + "' " + err_text(error));
      else
        check_error(PHOST_E_INVALID_ARG, error, member, "call");
      FUZZ_CHECK(fin.count == 0, "group finalized while registered");
      FUZZ_CHECK(phost_unregister(g_host, S(name)) == PHOST_OK, err_text(last_error()));
      FUZZ_CHECK(fin.count == 1, "unregistered group finalized " + std::to_string(fin.count) + " times");
    }
  }

  // 4. As an alias of the exact process.
  status = phost_alias(g_host, S("app.exact.Run"), S(name));
  error = last_error();
  if (!expected.valid || is_exact) {
    check_error(expected.valid ? PHOST_E_EXISTS : PHOST_E_INVALID_ARG, error, name, "alias");
  } else {
    FUZZ_CHECK(status == PHOST_OK, "alias '" + shown(name) + "': " + err_text(error));
    text = call_text(name, status, error);
    FUZZ_CHECK(status == PHOST_OK && text == "exact", "alias call: '" + text + "' " + err_text(error));
    FUZZ_CHECK(phost_unregister(g_host, S(name)) == PHOST_OK, err_text(last_error()));
    text = call_text("app.exact.Run", status, error);
    FUZZ_CHECK(status == PHOST_OK && text == "exact", "removing an alias removed the process");
  }
  return 0;
}
