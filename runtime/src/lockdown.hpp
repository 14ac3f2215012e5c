// Hardens the intrinsics of a shared context once, at its creation: every
// built-in reachable from the global object (constructors, prototypes,
// iterator, generator and Intl.Segmenter prototypes) gets Object.freeze's
// integrity, the global's own built-in properties become read-only, the
// legacy RegExp statics and WebAssembly go. One script can then no longer
// change Array.prototype.map or globalThis.JSON for every other script.
//
// Freezing alone breaks ordinary code through the "override mistake"
// (assigning Foo.prototype.toString fails when Object.prototype.toString is
// read-only), so, as SES does, the commonly overridden properties of the
// shared prototypes become accessors whose setter defines an own property.
#pragma once

#include <v8-context.h>
#include <v8-local-handle.h>

#include <string_view>

namespace phost::v8rt {

// The script name of the hardened built-ins' wrappers (JSON.parse, sort,
// join...): their frames are left out of the stacks of scripts' errors.
inline constexpr std::string_view kBuiltinsFile = "phost:builtins";

// Returns false (with the exception pending) if the lockdown script failed.
bool lock_down(v8::Local<v8::Context> context);

}  // namespace phost::v8rt
