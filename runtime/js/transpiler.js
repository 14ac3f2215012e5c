// phost's TypeScript stripper and top-level scanner, bundled with sucrase into
// one IIFE that runs in a bare V8 context (no Node API). Installs
// globalThis.phostTranspiler = {strip, scan}; both throw an Error whose
// message starts with "line:col: " (1-based, UTF-16 columns, V8's rules).
import {transform} from "sucrase";
import TokenProcessor from "sucrase/dist/esm/TokenProcessor.js";
import {parse} from "sucrase/dist/esm/parser/index.js";
import {state as parserState} from "sucrase/dist/esm/parser/traverser/base.js";
import {IdentifierRole} from "sucrase/dist/esm/parser/tokenizer/index.js";
import {ContextualKeyword} from "sucrase/dist/esm/parser/tokenizer/keywords.js";
import {TokenType as tt} from "sucrase/dist/esm/parser/tokenizer/types.js";

// Line and column of a UTF-16 offset, counting line terminators as V8 does
// (\n, \r\n, \r, U+2028, U+2029); sucrase's own location counts \n only.
function location(source, pos) {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(pos, source.length);
  for (let i = 0; i < end; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 0x2028 || c === 0x2029 || (c === 13 && source.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return {line, column: end - lineStart + 1};
}

// A sucrase error as "line:col: message" (its own " (l:c)" suffix dropped).
function positioned(source, error) {
  if (error instanceof Error && typeof error.pos === "number") {
    const {line, column} = location(source, error.pos);
    const message = error.message.replace(/ \(\d+:\d+\)$/, "");
    return new Error(`${line}:${column}: ${message}`);
  }
  if (error instanceof RangeError && parserState && typeof parserState.start === "number") {
    // Too deep for the recursive parser: where it was when the stack ran out.
    const {line, column} = location(source, parserState.start);
    return new Error(`${line}:${column}: nesting too deep (${error.message})`);
  }
  // Transformer invariants carry no position: name the file's start.
  return new Error(`1:1: ${error instanceof Error ? error.message : String(error)}`);
}

// sucrase deletes a removed token and the blanks before it, keeping only line
// breaks: lines stay, but every column after a type on the same line moves.
// Blanking instead keeps columns too, so V8's positions are the .ts file's.
const blank = (text) => text.replace(/[^\r\n\u2028\u2029]/g, " ");
TokenProcessor.prototype.removeToken = function () {
  const token = this.currentToken();
  token.removed = true;  // for scanTokens: what V8 will not see
  this.replaceToken(blank(this.code.slice(token.start, token.end)));
};
TokenProcessor.prototype.removeInitialToken = TokenProcessor.prototype.removeToken;

class Unsupported extends Error {
  constructor(token, message) {
    super(message);
    this.pos = token.start;
  }
}

const isKeyword = (t, keyword) => t && t.type === tt.name && t.contextualKeyword === keyword;
const isDeclare = (t) => t && (t.type === tt._declare || isKeyword(t, ContextualKeyword._declare));

// Would the namespace whose keyword is tokens[i] emit code? TypeScript erases a
// namespace of types only; sucrase erases every namespace, values included.
function namespaceHasValues(tokens, i) {
  let j = i + 1;
  while (j < tokens.length && tokens[j].type !== tt.braceL) j++;
  for (let depth = 0; j < tokens.length; j++) {
    const t = tokens[j];
    if (t.type === tt.braceL) depth++;
    else if (t.type === tt.braceR && --depth === 0) return false;
    const declaration = t.type === tt._function || t.type === tt._class || t.type === tt._var ||
      t.type === tt._let || t.type === tt._const || t.type === tt._enum;
    if (declaration && !isDeclare(tokens[j - 1])) return true;
  }
  return false;
}

// What sucrase would turn into wrong code without a word: refused with a position.
function checkSupported(tokens) {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const next = tokens[i + 1];
    if (t.type === tt.at) throw new Unsupported(t, "decorators are not supported");
    if (t.type === tt._export && next && next.type === tt.eq) {
      throw new Unsupported(t, "`export =` is CommonJS; use `export default`");
    }
    if (t.type === tt._import && next && next.type === tt.name && tokens[i + 2] && tokens[i + 2].type === tt.eq &&
        isKeyword(tokens[i + 3], ContextualKeyword._require)) {
      throw new Unsupported(t, "`import = require()` is CommonJS; use an ES import");
    }
    const namespace = isKeyword(t, ContextualKeyword._namespace) || isKeyword(t, ContextualKeyword._module);
    if (namespace && t.isType && next && next.type === tt.name && !isDeclare(tokens[i - 1]) &&
        namespaceHasValues(tokens, i)) {
      throw new Unsupported(t, "a namespace holding values is not supported (sucrase would drop it); use a module or an object");
    }
  }
}

// The top level of the last source stripped, read from the same tokens, so
// that scan(source, true) right after strip(source) costs no second parse.
let lastStripped = null;

function stripTypes(source) {
  lastStripped = null;
  try {
    const code = transform(source, {transforms: ["typescript"], disableESTransforms: true}).code;
    // transform() leaves its parser's state behind: the TypeScript tokens, read here without a second parse.
    const tokens = parserState.tokens;
    checkSupported(tokens);
    lastStripped = {source, topLevel: scanTokens(source, tokens)};
    return code;
  } catch (error) {
    throw positioned(source, error);
  }
}

function strip(source, fileName) {
  try {
    return stripTypes(source);
  } catch (error) {
    error.message = `${fileName}:${error.message}`;
    throw error;
  }
}

// The string token closing a static import or a re-export, searched from token
// index i up to the end of the statement (a top-level `;` or the next statement keyword).
function specifierAfter(tokens, i) {
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.scopeDepth !== 0 || t.isType) continue;
    if (t.type === tt.semi || t.type === tt._import || t.type === tt._export) return null;
    if (t.type === tt.string) {
      const prev = tokens[i - 1];
      const afterFrom = prev.type === tt.name && prev.contextualKeyword === ContextualKeyword._from;
      return afterFrom || prev.type === tt._import ? t : null;
    }
  }
  return null;
}

const isEnumAfter = (tokens, i) =>
  tokens[i] && (tokens[i].type === tt._enum || (tokens[i].type === tt._const && tokens[i + 1] && tokens[i + 1].type === tt._enum));

// Top-level facts of a source from sucrase's tokens (of JS, or of TypeScript
// after its transform): declarations are told apart from expressions by the
// parser's scope depth and identifier roles.
function scanTokens(source, tokens) {
  const functions = [];
  const imports = [];
  let module = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.removed && t.type === tt._export && isEnumAfter(tokens, i + 1)) module = true;  // sucrase re-emits it
    if (t.isType || t.removed) continue;  // removed: TypeScript only, or an import elided as TypeScript does
    const before = tokens[i - 1];
    if (t.type === tt.name && t.identifierRole === IdentifierRole.TopLevelDeclaration) {
      const keyword = before && before.type === tt.star ? tokens[i - 2] : before;
      if (keyword && keyword.type === tt._function && !keyword.isType) {
        const name = source.slice(t.start, t.end);
        if (!functions.includes(name)) functions.push(name);
      }
      continue;
    }
    const isMember = before && (before.type === tt.dot || before.type === tt.questionDot);
    if (t.type === tt.name && !isMember && tokens[i + 1] && tokens[i + 1].type === tt.dot &&
        source.slice(t.start, t.end) === "import") {
      module = true;  // import.meta, at any depth: module-only syntax (the parser retypes its `import`)
      continue;
    }
    if (t.scopeDepth !== 0) continue;
    let specifier = null;
    if (t.type === tt._import) {
      const next = tokens[i + 1];
      if (next && next.type === tt.parenL) continue;  // import("x"): an expression
      if (next && next.type === tt.name && tokens[i + 2] && tokens[i + 2].type === tt.eq) continue;  // TS `import A = N.B`: a const
      module = true;
      specifier = specifierAfter(tokens, i + 1);
    } else if (t.type === tt._export) {
      module = true;
      const next = tokens[i + 1];
      if (next && (next.type === tt.star || next.type === tt.braceL)) specifier = specifierAfter(tokens, i + 1);
    }
    if (specifier) {
      // The token is the literal with its quotes.
      const raw = source.slice(specifier.start + 1, specifier.end - 1);
      const {line, column} = location(source, specifier.start);
      imports.push({specifier: unescape(raw), line, column});
    }
  }
  return {module, functions, imports};
}

const simpleEscapes = {b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", 0: "\0"};

// The value of a string literal's body (the parser has checked its syntax).
function unescape(raw) {
  if (!raw.includes("\\")) return raw;
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[^])/g, (_, e) => {
    if (e.length > 1 && (e[0] === "u" || e[0] === "x")) {
      const code = parseInt(e.replace(/[ux{}]/g, ""), 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : e;
    }
    if (e === "\r\n" || e === "\n" || e === "\r" || e === "\u2028" || e === "\u2029") return "";
    return simpleEscapes[e] ?? e;
  });
}

function scan(source, typescript) {
  // A TypeScript source is scanned as the JS it strips to: type-only and
  // elided imports are gone there, as they are for V8. Positions are the same.
  if (typescript) {
    if (!lastStripped || lastStripped.source !== source) stripTypes(source);
    return lastStripped.topLevel;
  }
  let tokens;
  try {
    tokens = parse(source, false, false, false).tokens;
  } catch (error) {
    throw positioned(source, error);
  }
  return scanTokens(source, tokens);
}

globalThis.phostTranspiler = Object.freeze({strip, scan});
