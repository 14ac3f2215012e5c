#include "js_error.hpp"

#include "lockdown.hpp"
#include "v8_text.hpp"

#include <v8-context.h>
#include <v8-debug.h>
#include <v8-message.h>
#include <v8-primitive.h>

namespace phost::v8rt {
namespace {

v8::Local<v8::String> key(v8::Isolate* isolate, std::string_view name) {
  return v8::String::NewFromUtf8(isolate, name.data(), v8::NewStringType::kInternalized, static_cast<int>(name.size()))
      .FromMaybe(v8::String::Empty(isolate));
}

// Messages are cut at 64 KB: a thrown string may be a gigabyte.
constexpr size_t kMaxMessage = 64 * 1024;
// A forwarded error names the hops it came through, the innermost few: a
// deep chain would otherwise grow its message by a line per hop.
constexpr size_t kMaxHopsNamed = 4;
constexpr std::string_view kMoreHops = " (...)";

size_t hops_named(std::string_view message) {
  size_t n = 0;
  for (size_t at = message.find(" (while calling "); at != std::string_view::npos;
       at = message.find(" (while calling ", at + 1))
    ++n;
  return n;
}

// Whether a frame of stack ("    at fn (file:line:col)" or "    at
// file:line:col", one a line) is at loc; at its file and line only when loc
// ends with ':' (a thrown Error's frame is where it was made, not thrown).
bool has_frame(std::string_view stack, std::string_view loc) {
  while (!stack.empty()) {
    const size_t eol = std::min(stack.find('\n'), stack.size());
    std::string_view frame = stack.substr(0, eol);
    stack.remove_prefix(std::min(eol + 1, stack.size()));
    if (frame.ends_with(')')) frame.remove_suffix(1);
    while (loc.ends_with(':') && !frame.empty() && frame.back() >= '0' && frame.back() <= '9') frame.remove_suffix(1);
    if ((frame.ends_with(loc) && frame.substr(0, frame.size() - loc.size()).ends_with(" (")) ||
        (frame.starts_with("    at ") && frame.substr(7) == loc))
      return true;
  }
  return false;
}

// A forwarded error's message without what translate appended to it on its
// way: " (at file:line:col)" where it was thrown and a " (while calling ...
// from file:line:col)" per hop, each told by its frame in the error's stack,
// so that text a native process wrote itself is never taken for one.
std::string_view bare_message(std::string_view message, std::string_view stack) {
  std::string_view bare = message;
  const bool more = bare.ends_with(kMoreHops);
  if (more) bare.remove_suffix(kMoreHops.size());
  bool hop = false;
  while (bare.ends_with(')')) {
    const size_t from = bare.rfind(" from ");
    const size_t call = from == std::string_view::npos ? from : bare.rfind(" (while calling ", from);
    if (call != std::string_view::npos && has_frame(stack, bare.substr(from + 6, bare.size() - from - 7))) {
      bare = bare.substr(0, call);
      hop = true;
      continue;
    }
    const size_t at = bare.rfind(" (at ");
    if (at == std::string_view::npos) break;
    const std::string_view loc = bare.substr(at + 5, bare.size() - at - 6);
    const size_t column = loc.rfind(':');
    if (column != std::string_view::npos && has_frame(stack, loc.substr(0, column + 1))) bare = bare.substr(0, at);
    break;
  }
  return more && !hop ? message : bare;
}

std::string text_of(v8::Isolate* isolate, v8::Local<v8::Value> v) {
  if (v.IsEmpty() || !v->IsString()) return {};
  return utf8_prefix(isolate, v.As<v8::String>(), kMaxMessage);
}

// "    at fn (file:line:col)", one line per frame of the scripts this call
// runs, innermost first: the bridge's own frames are skipped, and the frames
// below a Process() call belong to the caller, which adds them itself when
// the error reaches it.
std::string own_frames(v8::Isolate* isolate, v8::Local<v8::StackTrace> frames) {
  std::string out;
  if (frames.IsEmpty()) return out;
  bool own = false;
  for (int i = 0; i < frames->GetFrameCount(); ++i) {
    const v8::Local<v8::StackFrame> frame = frames->GetFrame(isolate, i);
    std::string file = text_of(isolate, frame->GetScriptName());
    if (file == kBuiltinsFile) continue;  // a wrapped built-in: the frame calling it says where
    if (file == kBridgeFile) {
      if (own) break;  // where this call came in through Process()
      continue;
    }
    own = true;
    if (file.empty()) file = "<anonymous>";
    const std::string at = file + ":" + std::to_string(frame->GetLineNumber()) + ":" + std::to_string(frame->GetColumn());
    const std::string function = text_of(isolate, frame->GetFunctionName());
    if (!out.empty()) out += '\n';
    out += function.empty() ? "    at " + at : "    at " + function + " (" + at + ")";
  }
  return out;
}

}  // namespace

v8::Local<v8::Value> read_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object,
                                   std::string_view name) {
  if (object->IsProxy()) return {};
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch ignore(isolate);
  v8::Local<v8::Value> value;
  if (!object->Get(context, key(isolate, name)).ToLocal(&value)) return {};
  return value;
}

JsErrors::JsErrors(v8::Isolate* isolate)
    : forwarded_(isolate, v8::Private::ForApi(isolate, key(isolate, "phost.forwarded"))),
      forwarded_status_(isolate, v8::Private::ForApi(isolate, key(isolate, "phost.forwarded_status"))),
      forwarded_stack_(isolate, v8::Private::ForApi(isolate, key(isolate, "phost.forwarded_stack"))),
      forwarded_message_(isolate, v8::Private::ForApi(isolate, key(isolate, "phost.forwarded_message"))) {}

Error JsErrors::translate(v8::Local<v8::Context> context, v8::TryCatch& try_catch, std::string_view what) const {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch inner(isolate);  // nothing below may leave an exception behind
  const v8::Local<v8::Value> exception = try_catch.Exception();
  int32_t code = 500;
  std::string message;
  bool forwarded = false;
  std::string process;  // the failed process a forwarded error came from
  phost_status status = PHOST_E_PROCESS;
  std::string stack;    // a forwarded error's: the failed process's
  if (!exception.IsEmpty() && exception->IsObject() && !exception->IsProxy()) {
    auto object = exception.As<v8::Object>();
    forwarded = object->HasPrivate(context, forwarded_.Get(isolate)).FromMaybe(false);
    if (v8::Local<v8::Value> name; forwarded && object->GetPrivate(context, forwarded_.Get(isolate)).ToLocal(&name))
      process = text_of(isolate, name);
    if (v8::Local<v8::Value> s; forwarded && object->GetPrivate(context, forwarded_status_.Get(isolate)).ToLocal(&s) &&
                                s->IsInt32())
      status = static_cast<phost_status>(s.As<v8::Int32>()->Value());
    if (v8::Local<v8::Value> s; forwarded && object->GetPrivate(context, forwarded_stack_.Get(isolate)).ToLocal(&s))
      stack = text_of(isolate, s);
    if (auto c = read_property(context, object, "code"); !c.IsEmpty() && c->IsInt32()) {
      const int32_t value = c.As<v8::Int32>()->Value();
      if (value >= 400 && value <= 599) code = value;  // a failure is never a 2xx or 3xx
    }
    message = text_of(isolate, read_property(context, object, "message"));
    // Unless the script changed it: the message with where it came from.
    if (v8::Local<v8::Value> full;
        forwarded && object->GetPrivate(context, forwarded_message_.Get(isolate)).ToLocal(&full)) {
      std::string whole = text_of(isolate, full);
      if (!whole.empty() && bare_message(whole, stack) == message) message = std::move(whole);
    }
    if (!forwarded) {
      const std::string name = text_of(isolate, read_property(context, object, "name"));
      if (!name.empty() && name != "Exception") message = message.empty() ? name : name + ": " + message;
      if (message.empty()) message = "uncaught exception (an object without a message)";
    }
  } else if (!exception.IsEmpty()) {
    v8::Local<v8::String> s;
    if (!exception->IsSymbol() && exception->ToString(context).ToLocal(&s)) {
      message = "uncaught " + utf8_prefix(isolate, s, kMaxMessage);
    } else if (exception->IsSymbol()) {  // ToString throws for a symbol; its description is plain data
      const v8::Local<v8::Value> description = exception.As<v8::Symbol>()->Description(isolate);
      message = "uncaught Symbol(" +
                (description->IsString() ? utf8_prefix(isolate, description.As<v8::String>(), kMaxMessage) : "") + ")";
    } else {
      message = "uncaught exception";
    }
  }
  if (isolate->IsExecutionTerminating()) return Error(500, "stopped", PHOST_E_PROCESS);  // the guard says why
  if (!what.empty()) message = std::string(what) + ": " + message;
  // Where it was thrown, in the script's own file; a forwarded error keeps
  // the failed process's message and adds where that process was called.
  const v8::Local<v8::Message> where = try_catch.Message();
  if (!where.IsEmpty()) {
    if (std::string own = own_frames(isolate, where->GetStackTrace()); !own.empty()) {
      if (!stack.empty()) stack += '\n';
      stack += own;
      if (stack.size() > kMaxMessage) {  // whole frames only
        const size_t cut = stack.rfind('\n', kMaxMessage);
        stack.resize(cut == std::string::npos ? kMaxMessage : cut);
      }
    }
    std::string file = text_of(isolate, where->GetScriptResourceName());
    int line = where->GetLineNumber(context).FromMaybe(0);
    int column = where->GetStartColumn(context).FromMaybe(0) + 1;
    // Thrown inside phost's own JS (a failed Process(), a bad argument to a
    // library object): the script's frame that called it. A forwarded error,
    // even rethrown elsewhere: where the failed process was called, a frame
    // of its stack (a catching script's e.message is told from it).
    const v8::Local<v8::StackTrace> frames = where->GetStackTrace();
    bool pick = forwarded || internal_file(file);
    for (int i = 0; pick && !frames.IsEmpty() && i < frames->GetFrameCount(); ++i) {
      const v8::Local<v8::StackFrame> frame = frames->GetFrame(isolate, i);
      const std::string name = text_of(isolate, frame->GetScriptName());
      if (internal_file(name)) continue;
      file = name;
      line = frame->GetLineNumber();
      column = frame->GetColumn();
      pick = false;
    }
    const std::string at = file + ":" + std::to_string(line) + ":" + std::to_string(column);
    if (!file.empty() && line > 0) {
      if (!forwarded) message += " (at " + at + ")";
      else if (hops_named(message) < kMaxHopsNamed)
        message += " (while calling " + (process.empty() ? std::string("a process") : process) + " from " + at + ")";
      else if (!message.ends_with(kMoreHops)) message += kMoreHops;  // the stack has every frame
    }
  }
  return Error(code, message, status, std::move(stack));  // which keeps a NUL (a process name may hold one too)
}

v8::MaybeLocal<v8::Object> JsErrors::make(v8::Local<v8::Context> context, v8::Local<v8::String> message,
                                          int32_t code, bool named_exception) const {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> error = v8::Exception::Error(message);
  if (error.IsEmpty() || !error->IsObject()) return {};
  auto object = error.As<v8::Object>();
  // Defined, never set: a setter planted on Error.prototype must not run.
  if (object->CreateDataProperty(context, key(isolate, "code"), v8::Integer::New(isolate, code)).IsNothing())
    return {};
  if (named_exception &&
      object->CreateDataProperty(context, key(isolate, "name"), key(isolate, "Exception")).IsNothing())
    return {};
  return object;
}

void JsErrors::throw_error(v8::Isolate* isolate, std::string_view message, int32_t code,
                           std::string_view forwarded_from, phost_status status, std::string_view stack) const {
  if (isolate->IsExecutionTerminating()) return;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  stack = stack.substr(0, kMaxMessage);
  // A script catching it reads the process's own message (gou's); where it
  // failed is in the stack, and back in the message if the error goes on.
  const std::string_view bare = forwarded_from.empty() ? message : bare_message(message, stack);
  v8::Local<v8::String> text;
  if (!v8::String::NewFromUtf8(isolate, bare.data(), v8::NewStringType::kNormal,
                               static_cast<int>(std::min<size_t>(bare.size(), 1u << 20)))
           .ToLocal(&text))
    text = key(isolate, "error message unavailable");
  v8::Local<v8::Object> error;
  if (!make(context, text, code, false).ToLocal(&error)) return;  // out of memory: its own exception is pending
  if (!forwarded_from.empty()) {
    (void)error->SetPrivate(context, forwarded_.Get(isolate), v8_string_or_empty(isolate, forwarded_from));
    (void)error->SetPrivate(context, forwarded_status_.Get(isolate), v8::Int32::New(isolate, status));
    if (!stack.empty())
      (void)error->SetPrivate(context, forwarded_stack_.Get(isolate), v8_string_or_empty(isolate, stack));
    if (bare.size() != message.size())
      (void)error->SetPrivate(context, forwarded_message_.Get(isolate), v8_string_or_empty(isolate, message));
    // e.stack: where the process failed, which e.message no longer says.
    if (!stack.empty())
      (void)error
          ->DefineOwnProperty(context, key(isolate, "stack"),
                              v8_string_or_empty(isolate, "Error: " + std::string(bare) + "\n" + std::string(stack)),
                              v8::DontEnum)
          .FromMaybe(false);
  }
  isolate->ThrowException(error);
}

}  // namespace phost::v8rt
