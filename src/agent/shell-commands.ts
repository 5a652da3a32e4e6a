import sh from 'mvdan-sh';

/*
 * The simple commands of a shell script, for the approval policy's command checks. A regular
 * expression over the raw text is easy to slip past (`/usr/bin/git push`, `sh -c 'git push'`,
 * `x && git push`, `$(git push)`, a leading space, `g"i"t push`), so the script is parsed with
 * mvdan/sh's parser (the one behind shfmt, as the `mvdan-sh` package) and every simple command
 * is listed: inside pipelines, lists (`&&`, `||`, `;`), subshells, blocks, functions, loops,
 * conditionals, command and process substitutions, and the scripts given to `sh -c`,
 * `bash -c`, `eval` and a shell reading a here-document. Each comes out normalised: the
 * program's base name (`/usr/bin/git` → `git`), quotes removed, wrappers like `env`, `command`,
 * `exec`, `nohup`, `time`, `sudo`, `timeout` and `xargs` taken off.
 *
 * These checks are advisory inside the sandbox: a command can still reach git through a file
 * it wrote (`bash script.sh`), another language (`python -c`), an alias or a variable the
 * parser cannot evaluate. The sandbox itself (no credentials, no network unless approved) is
 * the boundary; the checks only make a person look at what is obviously risky.
 */

const { syntax } = sh;

export type ShellParse =
  | { ok: true; commands: string[][] }
  /** The script could not be parsed, or names a program only known when it runs (`$GIT push`, `sh -c "$X"`). */
  | { ok: false; reason: string };

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);
const MAX_DEPTH = 8;

class Dynamic extends Error {}

/** The literal text of a word, or throws Dynamic when part of it is only known at run time. */
function literal(word: sh.Word): string {
  return word.Parts.map((part) => literalPart(part, false)).join('');
}

function literalPart(part: sh.Node, quoted: boolean): string {
  const type = syntax.NodeType(part);
  if (type === 'Lit') {
    const value = (part as sh.Lit).Value;
    // Backslashes: outside quotes each escapes the next character; inside double quotes only $ ` " \ and newline.
    return quoted ? value.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c)) : value.replace(/\\(.|\n)/g, (_m, c: string) => (c === '\n' ? '' : c));
  }
  if (type === 'SglQuoted') {
    const q = part as sh.SglQuoted;
    if (q.Dollar) throw new Dynamic(); // $'…' escapes: not worth decoding, so not trusted
    return q.Value;
  }
  if (type === 'DblQuoted') return (part as sh.DblQuoted).Parts.map((p) => literalPart(p, true)).join('');
  throw new Dynamic();
}

/** A word's source text (`$REMOTE`, `"$(cat x)"`): the parser's offsets count UTF-8 bytes. */
function sourceOf(word: sh.Word, source: Buffer): string {
  return source.subarray(word.Pos().Offset(), word.End().Offset()).toString('utf8');
}

const basename = (name: string) => name.slice(name.lastIndexOf('/') + 1);

/** Options of wrappers that take a value (`sudo -u root`, `timeout -s KILL`, `nice -n 5`). */
const WRAPPER_VALUE_OPTIONS: Record<string, Set<string>> = {
  env: new Set(['-u', '--unset', '-C', '--chdir']),
  sudo: new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T']),
  doas: new Set(['-u', '-C']),
  exec: new Set(['-a']),
  nice: new Set(['-n', '--adjustment']),
  timeout: new Set(['-s', '--signal', '-k', '--kill-after']),
  stdbuf: new Set(['-i', '-o', '-e']),
  xargs: new Set(['-a', '-d', '-E', '-e', '-I', '-i', '-L', '-l', '-n', '-P', '-s', '--arg-file', '--delimiter', '--max-args', '--max-procs', '--replace']),
  ionice: new Set(['-c', '-n', '-p']),
  chrt: new Set(['-p']),
};
const WRAPPERS = new Set([...Object.keys(WRAPPER_VALUE_OPTIONS), 'command', 'builtin', 'nohup', 'time', 'setsid', 'unbuffer', 'caffeinate']);

/** Strips wrappers off an argv (words still unresolved for the wrapper's operands). */
function unwrap(args: Array<{ text: string; dynamic: boolean }>): Array<{ text: string; dynamic: boolean }> {
  let rest = args;
  for (let guard = 0; guard < 16 && rest.length > 0; guard++) {
    const first = rest[0]!;
    if (first.dynamic) return rest;
    const name = basename(first.text);
    if (!WRAPPERS.has(name)) return rest;
    const valueOptions = WRAPPER_VALUE_OPTIONS[name] ?? new Set<string>();
    let i = 1;
    while (i < rest.length) {
      const w = rest[i]!;
      if (w.text === '--') {
        i++;
        break;
      }
      if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text)) {
        i++;
        continue;
      }
      if (name === 'env' && (w.text === '-S' || w.text === '--split-string')) {
        // env -S 'git push': the string is a command line of its own.
        return rest.slice(i + 1);
      }
      if (!w.text.startsWith('-') || w.text === '-') break;
      i += valueOptions.has(w.text) ? 2 : 1;
    }
    // timeout DURATION cmd…
    if (name === 'timeout' && i < rest.length) i++;
    rest = rest.slice(i);
  }
  return rest;
}

/** `-c` among a shell's leading options (`-c`, `-lc`, `-ec`, `-o pipefail -c`): the index of the script. */
function shellScriptIndex(args: Array<{ text: string }>): number | undefined {
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!.text;
    if (a === '--' || !a.startsWith('-') && !a.startsWith('+')) return undefined;
    if (a === '-o' || a === '+o' || a === '-O' || a === '+O') {
      i++;
      continue;
    }
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) return i + 1;
  }
  return undefined;
}

function collect(script: string, depth: number, out: string[][]): void {
  if (depth > MAX_DEPTH) throw new Dynamic();
  const file = syntax.NewParser().Parse(script, '');
  const bytes = Buffer.from(script, 'utf8');
  const nested: string[] = [];
  syntax.Walk(file, (node) => {
    if (!node) return true;
    const type = syntax.NodeType(node);
    if (type === 'Stmt') {
      // A shell reading a here-document: the document is its script.
      const stmt = node as sh.Stmt;
      if (stmt.Cmd && syntax.NodeType(stmt.Cmd) === 'CallExpr') {
        const call = stmt.Cmd as sh.CallExpr;
        const first = call.Args[0];
        if (first) {
          const args = unwrap(call.Args.filter((w): w is sh.Word => w !== null).map((w) => wordInfo(w, bytes)));
          if (args[0] && !args[0].dynamic && SHELLS.has(basename(args[0].text)) && shellScriptIndex(args) === undefined) {
            for (const r of stmt.Redirs) if (r?.Hdoc) nested.push(literal(r.Hdoc));
          }
        }
      }
      return true;
    }
    if (type !== 'CallExpr') return true;
    const call = node as sh.CallExpr;
    const words = call.Args.filter((w): w is sh.Word => w !== null);
    if (words.length === 0) return true; // only assignments
    const args = unwrap(words.map((w) => wordInfo(w, bytes)));
    if (args.length === 0) return true;
    if (args[0]!.dynamic) throw new Dynamic();
    const name = basename(args[0]!.text);
    out.push([name, ...args.slice(1).map((a) => a.text)]);
    if (SHELLS.has(name)) {
      const at = shellScriptIndex(args);
      if (at !== undefined) {
        const inner = args[at];
        if (!inner || inner.dynamic) throw new Dynamic();
        nested.push(inner.text);
      }
    } else if (name === 'eval') {
      if (args.slice(1).some((a) => a.dynamic)) throw new Dynamic();
      nested.push(args.slice(1).map((a) => a.text).join(' '));
    }
    return true;
  });
  for (const inner of nested) collect(inner, depth + 1, out);
}

function wordInfo(word: sh.Word, source: Buffer): { text: string; dynamic: boolean } {
  try {
    return { text: literal(word), dynamic: false };
  } catch (e) {
    if (!(e instanceof Dynamic)) throw e;
    return { text: sourceOf(word, source), dynamic: true };
  }
}

/** Lists every simple command of `script` as a normalised argv (see the file comment). */
export function parseShellCommands(script: string): ShellParse {
  const commands: string[][] = [];
  try {
    collect(script, 0, commands);
  } catch (e) {
    if (e instanceof Dynamic) return { ok: false, reason: 'it runs a command whose name or script is only known when it runs' };
    return { ok: false, reason: 'it could not be parsed as a shell script' };
  }
  return { ok: true, commands };
}
