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

namespace phost::v8rt {

// Returns false (with the exception pending) if the lockdown script failed.
bool lock_down(v8::Local<v8::Context> context);

}  // namespace phost::v8rt
