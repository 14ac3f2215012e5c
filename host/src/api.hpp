// The phost_api table handed to plugins (and to applications by phost_get_api).
#pragma once

#include <phost/plugin_api.h>

namespace phost {
const phost_api* api_table() noexcept;
}
