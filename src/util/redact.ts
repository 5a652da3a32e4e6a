/*
 * Secret redaction for everything posted to Slack. The agent runs commands whose output can
 * print tokens (a `.env`, `git remote -v`, `env`, a failing curl) and the model can repeat
 * them; a thread is read by many people and kept for years. Every text goes through
 * `redactSecrets` (SlackPoster applies `redactBlocks` at its one choke point).
 *
 * Patterns aim at formats that are recognisable by their shape (a provider prefix, a PEM
 * armour, a credential slot) rather than at entropy, so that git shas, uuids, hashes and
 * ordinary code survive. Every quantifier that can run over a long line is bounded or
 * anchored by a literal prefix, so a 100 KB line costs linear time.
 */

export const REDACTED = '[redacted]';

interface Rule {
  name: string;
  pattern: RegExp;
  /** Replacement; `$1` etc. keep the non-secret part (a key name, a scheme). */
  replace: string;
}

const B = '(?<![A-Za-z0-9_-])'; // start of a token: not inside a longer word

const RULES: Rule[] = [
  {
    name: 'private key (PEM)',
    // An armour cut short (the end fell off a truncated output) is redacted to the end.
    pattern: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----|$)/g,
    replace: REDACTED,
  },
  // xoxb/xoxp/xoxa/xoxo/xoxs/xoxr, xoxe(.xoxb), and the browser session pair xoxc/xoxd (the
  // latter usually URL-encoded, hence `%`).
  { name: 'Slack token', pattern: new RegExp(`${B}xox(?:[abposrcd]|e(?:\\.xox[bp])?)-[A-Za-z0-9%-]{8,}`, 'g'), replace: REDACTED },
  { name: 'Slack app token', pattern: new RegExp(`${B}xapp-[0-9]+-[A-Za-z0-9-]{8,}`, 'g'), replace: REDACTED },
  { name: 'Slack webhook', pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{8,}/g, replace: REDACTED },
  // sk-…, sk-proj-…, sk-svcacct-…, sk-ant-…: at least 20 characters with a digit in them.
  { name: 'OpenAI-style key', pattern: new RegExp(`${B}sk-(?=[A-Za-z0-9_-]{0,200}[0-9])[A-Za-z0-9_-]{20,}`, 'g'), replace: REDACTED },
  { name: 'Stripe key', pattern: new RegExp(`${B}[rs]k_(?:live|test)_[A-Za-z0-9]{16,}`, 'g'), replace: REDACTED },
  { name: 'GitHub token', pattern: new RegExp(`${B}gh[pousr]_[A-Za-z0-9]{20,}`, 'g'), replace: REDACTED },
  { name: 'GitHub fine-grained token', pattern: new RegExp(`${B}github_pat_[A-Za-z0-9_]{20,}`, 'g'), replace: REDACTED },
  { name: 'GitLab token', pattern: new RegExp(`${B}glpat-[A-Za-z0-9_-]{20,}`, 'g'), replace: REDACTED },
  { name: 'npm token', pattern: new RegExp(`${B}npm_[A-Za-z0-9]{30,}`, 'g'), replace: REDACTED },
  { name: 'Hugging Face token', pattern: new RegExp(`${B}hf_[A-Za-z0-9]{30,}`, 'g'), replace: REDACTED },
  { name: 'SendGrid key', pattern: new RegExp(`${B}SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}`, 'g'), replace: REDACTED },
  { name: 'Google OAuth client secret', pattern: new RegExp(`${B}GOCSPX-[A-Za-z0-9_-]{20,}`, 'g'), replace: REDACTED },
  { name: 'Google API key', pattern: new RegExp(`${B}AIza[0-9A-Za-z_-]{35}`, 'g'), replace: REDACTED },
  { name: 'AWS access key id', pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, replace: REDACTED },
  {
    name: 'AWS secret access key',
    pattern: /(aws_?secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{20,}/gi,
    replace: `$1${REDACTED}`,
  },
  { name: 'JWT', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, replace: REDACTED },
  {
    name: 'Authorization header',
    pattern: /(authorization["']?\s*[:=]\s*["'`]?\s*(?:bearer|basic|token|bot)\s+)(?![$"'`{])[^\s"'`]+/gi,
    replace: `$1${REDACTED}`,
  },
  { name: 'bearer token', pattern: /(\bbearer\s+)(?![$"'`{])[A-Za-z0-9._~+/-]{20,}=*/gi, replace: `$1${REDACTED}` },
  // `curl -u user:pass`, `--user=user:pass`, `-uuser:pass`, `--proxy-user user:pass`.
  {
    name: 'command-line user:password',
    pattern: /((?:^|[\s"'`])(?:-u|--user|--proxy-user)(?:[ \t]+|=)?["']?[^\s:"'`$]{1,200}:)(?![$"'`{])[^\s"'`]{1,300}/g,
    replace: `$1${REDACTED}`,
  },
  // A token as the URL's user name (`https://ghp_…@github.com/…`): long, with letters and digits.
  {
    name: 'URL token user',
    pattern: /(\b[a-z][a-z0-9+.-]{0,20}:\/\/)(?=[^\s/:@]{0,200}[0-9])(?=[^\s/:@]{0,200}[A-Za-z])[^\s/:@$]{16,200}@/gi,
    replace: `$1${REDACTED}@`,
  },
  // npm's `.npmrc`: `_auth=<base64 user:pass>`, `//host/:_authToken=…`, `//host/:_password=…`.
  { name: 'npm auth', pattern: /((?:^|[\s:])_(?:auth|authToken|password)[ \t]*=[ \t]*)(["']?)(?![$"'{<])[^\s"']+/gim, replace: `$1$2${REDACTED}` },
  // Docker's `config.json`: `"auth": "<base64 user:pass>"`.
  { name: 'docker auth', pattern: /("auth"\s*:\s*")[^"\s]{4,}(")/g, replace: `$1${REDACTED}$2` },
  {
    name: 'URL credentials',
    pattern: /(\b[a-z][a-z0-9+.-]{0,20}:\/\/[^\s/:@]{1,200}:)[^\s/@]{1,300}@/gi,
    replace: `$1${REDACTED}@`,
  },
];

// password=…, secret: "…", API_KEY=…, "apiKey": "…", client_secret=… and the like.
const KEY = '[A-Za-z0-9_.-]{0,40}?(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?)';
/** A quoted value: at least 8 characters, no spaces, not a template placeholder. */
const QUOTED_ASSIGNMENT = new RegExp(`(${B}${KEY}["']?\\s*[:=]\\s*)(["'])(?![$<{])([^\\s"'\\\\]{8,})\\2`, 'gi');
/** An unquoted value: at least 12 characters mixing letters and digits (not `process.env.X`, not a type). */
const BARE_ASSIGNMENT = new RegExp(
  `(${B}${KEY}\\s*[:=](?![=>])\\s*)(?![$<{"'])(?=[^\\s"'\`,;(){}<>]{0,300}[0-9])(?=[^\\s"'\`,;(){}<>]{0,300}[A-Za-z])([^\\s"'\`,;(){}<>]{12,})`,
  'gi',
);

/*
 * Key bodies without their armour. A PEM or OpenSSH key is base64 in lines of 64 or 70
 * characters; once its BEGIN line fell off (a tail, a quote in a message), only the shape of
 * its lines is left: a line made only of base64 characters, 40 to 100 long, with upper case,
 * lower case and digits in it (git shas and hex hashes have no upper case). Such a line is
 * redacted, and so are the base64-only lines right before and after it (the short last line
 * of the body, a line cut in two by a tail), whatever their length.
 */
const B64_ONLY = /^[A-Za-z0-9+/]+={0,2}$/;
const KEY_LINE = /^(?=[A-Za-z0-9+/=]{0,100}[A-Z])(?=[A-Za-z0-9+/=]{0,100}[a-z])(?=[A-Za-z0-9+/=]{0,100}[0-9])[A-Za-z0-9+/]{40,100}={0,2}$/;
/** Base64 of `-----BEGIN` (a key or certificate encoded once more, as Kubernetes secrets hold them). */
const BASE64_PEM = new RegExp(`${B}LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}`, 'g');
/** One key line quoted inside other text: a base64 word of 60+ characters of all three kinds (not `sha512-…`). */
const KEY_WORD = /(?<![A-Za-z0-9+/=_-])(?=[A-Za-z0-9+/]{0,100}[A-Z])(?=[A-Za-z0-9+/]{0,100}[a-z])(?=[A-Za-z0-9+/]{0,100}[0-9])[A-Za-z0-9+/]{60,100}={0,2}(?![A-Za-z0-9+/=_-])/g;
/** A key body inside a JSON or env string, its lines joined by literal `\\n`. */
const ESCAPED_KEY_BODY = /(?:[A-Za-z0-9+/]{40,100}={0,2}\\n){2,}[A-Za-z0-9+/]{0,100}={0,2}/g;

function redactKeyBodies(text: string): string {
  if (!/[A-Za-z0-9+/]{40}/.test(text)) return text; // no line can qualify: skip the split
  const lines = text.split('\n');
  const body = lines.map((line) => KEY_LINE.test(line.trim()));
  if (!body.includes(true)) return text;
  const b64 = lines.map((line) => line.trim() !== '' && B64_ONLY.test(line.trim()));
  // Grow every run of key lines over the base64-only lines next to it.
  for (let i = 0; i < lines.length; i++) {
    if (!body[i]) continue;
    for (let j = i - 1; j >= 0 && !body[j] && b64[j]; j--) body[j] = true;
    for (let j = i + 1; j < lines.length && !body[j] && b64[j]; j++) body[j] = true;
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!body[i]) out.push(lines[i]!);
    else if (i === 0 || !body[i - 1]) out.push(`${/^\s*/.exec(lines[i]!)![0]}${REDACTED}`);
  }
  return out.join('\n');
}

/*
 * Named assignments. In an env file or an `env` dump (`NAME=value` at the start of a line,
 * upper-case names), a name that says password or secret hides any value, even a short one;
 * a name ending in KEY, TOKEN, AUTH, PASS or PWD hides any value that is not a flag or a
 * small number. Elsewhere (code, YAML, JSON, any case) a name with key, secret, token,
 * password or auth in it hides a value that looks random: 16+ characters, two kinds of
 * letters or digits, and at least 3.5 bits of entropy per character.
 */
const ENV_LINE = /^([ \t]*(?:export[ \t]+)?([A-Z][A-Z0-9_]{0,80})[ \t]*=[ \t]*)(["']?)([^\s"'#][^\s"']{0,500})/gm;
const ENV_ANY_VALUE = /PASSWORD|PASSWD|PASSPHRASE|SECRET|CREDENTIAL/;
const ENV_NAMED = /(?:KEY|TOKEN|AUTH|PASS|PWD|_PW)$/;
const ENV_HARMLESS = /^(?:true|false|yes|no|on|off|null|none|\d{1,6})$/i;

const NAMED_VALUE = /((?<![A-Za-z0-9])[A-Za-z0-9_.-]{0,60}?(?:key|secret|token|passw(?:or)?d|passphrase|auth|credentials?)[A-Za-z0-9_]{0,30}["']?\s*[:=](?![=>])\s*)(["'`]?)(?![$<{])([A-Za-z0-9+/=_.~:!@#%^&*-]{16,300})/gi;
const MEMBER_EXPRESSION = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/** Shannon entropy of `s`, in bits per character. */
export function entropyBits(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function looksRandom(value: string): boolean {
  if (value.includes(REDACTED) || MEMBER_EXPRESSION.test(value)) return false;
  const kinds = Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/[0-9]/.test(value));
  return kinds >= 2 && entropyBits(value) >= 3.5;
}

/**
 * Replaces likely secrets in `text` with `[redacted]`, keeping whatever names the slot
 * (`password=[redacted]`, `Authorization: Bearer [redacted]`, `https://user:[redacted]@host`).
 * Run it on the whole text before any cut: a cut can take away what makes a secret
 * recognisable (a PEM's BEGIN line, a `password=`), and what is left still gives it away.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace);
  out = out.replace(BASE64_PEM, REDACTED);
  out = out.replace(ESCAPED_KEY_BODY, REDACTED);
  out = redactKeyBodies(out);
  out = out.replace(KEY_WORD, REDACTED);
  out = out.replace(QUOTED_ASSIGNMENT, (_m, key: string, q: string, value: string) => (value === REDACTED ? `${key}${q}${value}${q}` : `${key}${q}${REDACTED}${q}`));
  out = out.replace(BARE_ASSIGNMENT, (m, key: string, value: string) => (value.startsWith(REDACTED) ? m : `${key}${REDACTED}`));
  out = out.replace(ENV_LINE, (m, head: string, name: string, q: string, value: string) => {
    if (value.startsWith(REDACTED) || /^[$<{]/.test(value)) return m;
    if (ENV_ANY_VALUE.test(name) || (ENV_NAMED.test(name) && !ENV_HARMLESS.test(value))) return `${head}${q}${REDACTED}`;
    return m;
  });
  out = out.replace(NAMED_VALUE, (m, head: string, q: string, value: string) => (looksRandom(value) ? `${head}${q}${REDACTED}` : m));
  return out;
}

/**
 * Removes the user information (`user:password@`, `token@`) from every URL in `text`, for
 * error messages and logs, where even the user name of a credential is not needed.
 */
export function stripUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]{0,20}:\/\/)[^\s/?#@'"`<>]{1,400}@/gi, '$1');
}

/** Keys whose strings are identifiers Slack needs intact, never text a person wrote. */
const ID_KEYS = new Set(['type', 'action_id', 'block_id', 'style', 'event_type', 'channel', 'thread_ts', 'ts', 'user', 'user_id', 'team', 'team_id']);

/**
 * Returns a copy of any JSON-like structure (blocks, a view, a message's metadata) with every
 * string redacted, except the identifier fields Slack matches on. Use it on built blocks at the
 * choke point, and on raw inputs too where a cut could split a secret before it is seen.
 */
export function redactDeep<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') return key !== undefined && ID_KEYS.has(key) ? value : redactSecrets(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, undefined));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  }
  return value;
}

/** `redactDeep` for a blocks array: every text field of every block is redacted. */
export function redactBlocks<T>(blocks: T): T {
  return redactDeep(blocks);
}
