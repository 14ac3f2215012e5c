// The fs plugin called from JavaScript through the V8 plugin: Process("fs.data.ReadFile", ...).
#include "plugin_support.hpp"
#include "runtime/runtime_support.hpp"

using phost::Value;
using plugin_test::TempDir;

TEST_CASE("fs plugin: scripts call fs processes with Process() and see their error codes") {
  TempDir dir("fs-js");
  plugin_test::write_file(dir / "a.txt", "from a script");
  rt_test::Runtime rt;
  rt.host().load_plugin(PHOST_FS_PLUGIN, Value::from_json(R"({"roots": {"data": ")" + dir.str() + "\"}}"));
  rt.load("files", "function Read(p) { return Process('fs.data.ReadFile', p); }\n"
                   "function Copy(a, b) { return Process('fs.data.WriteFile', b, Process('fs.data.ReadFile', a)); }\n"
                   "function Escape() { try { Process('fs.data.ReadFile', '../x'); } catch (e) { return [e.code, e.message]; } }\n"
                   "function Gou() { Process('fs.data.WriteFileBuffer', '/notes/b.bin', new Uint8Array([0, 255]));\n"
                   "  const b = Process('fs.data.ReadFileBuffer', '/notes/b.bin');\n"
                   "  return [Process('fs.data.ReadDir', '/', true), b instanceof Uint8Array, Array.from(b)]; }");
  CHECK(rt.json("scripts.files.Read", phost::args("a.txt")) == "\"from a script\"");
  CHECK(rt.json("scripts.files.Copy", phost::args("a.txt", "b.txt")) == "13");
  CHECK(plugin_test::read_file(dir / "b.txt") == "from a script");
  CHECK(rt.json("scripts.files.Escape") == R"json([400,"fs.data.ReadFile: '../x' escapes the root ('..' above it)"])json");
  CHECK(rt.error_of("scripts.files.Read", phost::args("missing.txt")).code == 404);
  CHECK(rt.json("scripts.files.Gou") == R"([["/a.txt","/b.txt","/notes","/notes/b.bin"],true,[0,255]])");
}
