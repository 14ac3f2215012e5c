// Errors across the JS boundary, one translation each way:
//  - a value a script threw becomes the phost::Error its caller gets (code
//    from a `code` property of 100-599, message, file:line:col, and the stack:
//    the frames of this call's scripts, innermost first);
//  - a failed process becomes the Error a script catches, with its code and
//    the process's own message (without the " (at ...)" and " (while calling
//    ...)" this translation appended), and marked as forwarded so that
//    translating it back restores the whole message and puts the failed
//    process's stack before the frames that called it.
// Nothing here sets a property through a setter a script could have planted;
// reading runs under the call's deadline like the script itself.
#pragma once

#include <phost/value.hpp>

#include <v8-exception.h>
#include <v8-isolate.h>
#include <v8-object.h>
#include <v8-persistent-handle.h>

#include <string_view>

namespace phost::v8rt {

// The file name of the bridge's own JS (Process()): stack traces and error
// locations skip its frames.
inline constexpr std::string_view kBridgeFile = "phost:bridge";
// The file name of gou's script library (runtime/js/globals.js).
inline constexpr std::string_view kGlobalsFile = "phost:globals";
// phost's own JS, never a script's: error locations name the script's frame.
inline bool internal_file(std::string_view file) noexcept { return file.starts_with("phost:"); }

// A property of object (own or inherited; a getter runs, a Proxy is not
// asked); empty when it is missing or reading it threw.
v8::Local<v8::Value> read_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object,
                                   std::string_view key);

class JsErrors {
public:
  explicit JsErrors(v8::Isolate* isolate);

  // The exception try_catch holds, as the caller's error; what (if not
  // empty) says what was being done. Not for a terminated call.
  Error translate(v8::Local<v8::Context> context, v8::TryCatch& try_catch, std::string_view what) const;

  // Throws a JS Error with message and code in the current context.
  // forwarded_from: the process whose error it is, passed on unchanged with
  // its stack; status: the failed process's, which its caller gets back if
  // the script lets the error go (a cancelled call stays cancelled).
  void throw_error(v8::Isolate* isolate, std::string_view message, int32_t code,
                   std::string_view forwarded_from = {}, phost_status status = PHOST_E_PROCESS,
                   std::string_view stack = {}) const;

  // A new Error object with a code (the Exception() global).
  v8::MaybeLocal<v8::Object> make(v8::Local<v8::Context> context, v8::Local<v8::String> message, int32_t code,
                                  bool named_exception) const;

private:
  v8::Global<v8::Private> forwarded_;         // the failed process's name
  v8::Global<v8::Private> forwarded_status_;  // and its status
  v8::Global<v8::Private> forwarded_stack_;   // and its stack
  v8::Global<v8::Private> forwarded_message_; // and its message, when e.message lacks where it failed
};

}  // namespace phost::v8rt
