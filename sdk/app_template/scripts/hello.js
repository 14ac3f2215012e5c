// scripts/hello.js: every top-level function is a process, named after the
// file: scripts.hello.Hello. Try it:
//   phost --app . run scripts.hello.Hello '"world"'
//   phost --app . run scripts.hello.Count '[1, 2, 3]'

function Hello(name) {
  if (typeof name !== "string" || name === "") {
    // Exception(message, code): the caller sees the code (HTTP-like).
    throw new Exception("Hello: a name is needed", 400);
  }
  console.log("greeting", name);  // to stderr in the phost CLI
  return "Hello, " + name + "!";
}

// Calls another process: Process(name, ...args) works for scripts and plugins.
function Count(items) {
  return { count: items.length, first: Process("scripts.hello.Hello", String(items[0])) };
}
