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
  { name: 'Slack token', pattern: new RegExp(`${B}xox(?:[abposr]|e(?:\\.xox[bp])?)-[A-Za-z0-9-]{8,}`, 'g'), replace: REDACTED },
  { name: 'Slack app token', pattern: new RegExp(`${B}xapp-[0-9]+-[A-Za-z0-9-]{8,}`, 'g'), replace: REDACTED },
  { name: 'Slack webhook', pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{8,}/g, replace: REDACTED },
  // sk-…, sk-proj-…, sk-svcacct-…, sk-ant-…: at least 20 characters with a digit in them.
  { name: 'OpenAI-style key', pattern: new RegExp(`${B}sk-(?=[A-Za-z0-9_-]{0,200}[0-9])[A-Za-z0-9_-]{20,}`, 'g'), replace: REDACTED },
  { name: 'Stripe key', pattern: new RegExp(`${B}[rs]k_(?:live|test)_[A-Za-z0-9]{16,}`, 'g'), replace: REDACTED },
  { name: 'GitHub token', pattern: new RegExp(`${B}gh[pousr]_[A-Za-z0-9]{20,}`, 'g'), replace: REDACTED },
  { name: 'GitHub fine-grained token', pattern: new RegExp(`${B}github_pat_[A-Za-z0-9_]{20,}`, 'g'), replace: REDACTED },
  { name: 'GitLab token', pattern: new RegExp(`${B}glpat-[A-Za-z0-9_-]{20,}`, 'g'), replace: REDACTED },
  { name: 'npm token', pattern: new RegExp(`${B}npm_[A-Za-z0-9]{30,}`, 'g'), replace: REDACTED },
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

/**
 * Replaces likely secrets in `text` with `[redacted]`, keeping whatever names the slot
 * (`password=[redacted]`, `Authorization: Bearer [redacted]`, `https://user:[redacted]@host`).
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace);
  out = out.replace(QUOTED_ASSIGNMENT, (_m, key: string, q: string, value: string) => (value === REDACTED ? `${key}${q}${value}${q}` : `${key}${q}${REDACTED}${q}`));
  out = out.replace(BARE_ASSIGNMENT, (m, key: string, value: string) => (value.startsWith(REDACTED) ? m : `${key}${REDACTED}`));
  return out;
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
