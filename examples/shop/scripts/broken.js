// Broken on purpose: one bad file never stops an app from loading. The
// other scripts load; a call to scripts.broken.Main gets this file's
// SyntaxError with its line, and `phost run runtime.scripts` lists it as failed.
function Main() {
  return 1 +;
}
