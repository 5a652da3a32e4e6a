import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderCommandLog } from '../../src/blocks/thread.js';
import { lastLines } from '../../src/agent/tools/output-format.js';
import { redactBlocks, redactDeep, redactSecrets } from '../../src/util/redact.js';

/* Fake credentials in the providers' shapes; none of them is real. */
const slackBot = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
const slackUser = ['xoxp', '123456789012', '1234567890123', '1234567890123', 'abcdef0123456789abcdef0123456789'].join('-');
const slackApp = ['xapp', '1', 'A0123456789', '1234567890123', 'abcdef0123456789abcdef'].join('-');
const openai = `sk-${'AbCdEf0123456789'.repeat(3)}`;
const openaiProject = `sk-proj-${'Ab12Cd34Ef56Gh78'.repeat(6)}_-xyz`;
const ghp = `ghp_${'16C7e42F292c6912E7710c838347Ae178B4a'}`;
const ghs = `ghs_${'aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'}`;
const gho = `gho_${'ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210'}`;
const pat = `github_pat_${'11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV0123'}`;
const akia = 'AKIAIOSFODNN7EXAMPLE';
const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const pem = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', 'QyNTUxOQAAACBcZXJ0aWZpY2F0ZQ==', '-----END OPENSSH PRIVATE KEY-----'].join('\n');

describe('redactSecrets: positives', () => {
  it.each([
    ['Slack bot token', `SLACK_BOT_TOKEN=${slackBot}`, 'SLACK_BOT_TOKEN=[redacted]'],
    ['Slack user token', `token ${slackUser} used`, 'token [redacted] used'],
    ['Slack app token', `app: ${slackApp}`, 'app: [redacted]'],
    ['OpenAI key', `OPENAI_API_KEY="${openai}"`, 'OPENAI_API_KEY="[redacted]"'],
    ['OpenAI project key', `key=${openaiProject}`, 'key=[redacted]'],
    ['GitHub classic token', `push with ${ghp}`, 'push with [redacted]'],
    ['GitHub app token', `${ghs}`, '[redacted]'],
    ['GitHub OAuth token', `oauth ${gho}.`, 'oauth [redacted].'],
    ['GitHub fine-grained token', `GH=${pat}`, 'GH=[redacted]'],
    ['AWS access key id', `aws_access_key_id = ${akia}`, 'aws_access_key_id = [redacted]'],
    ['AWS secret key', `aws_secret_access_key = ${awsSecret}`, 'aws_secret_access_key = [redacted]'],
    ['AWS secret key (env)', `AWS_SECRET_ACCESS_KEY="${awsSecret}"`, 'AWS_SECRET_ACCESS_KEY="[redacted]"'],
    ['Bearer header', 'curl -H "Authorization: Bearer abc.def-123_456/789+xyz="', 'curl -H "Authorization: Bearer [redacted]"'],
    ['token header', 'Authorization: token 0123456789abcdef', 'Authorization: token [redacted]'],
    ['Basic header', "headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' }", "headers: { authorization: 'Basic [redacted]' }"],
    ['git remote with credentials', 'origin https://x-access-token:s3cr3t-v4lue@github.com/acme/billing.git (fetch)', 'origin https://x-access-token:[redacted]@github.com/acme/billing.git (fetch)'],
    ['database URL', 'DATABASE_URL=postgres://app:hunter2@db:5432/app', 'DATABASE_URL=postgres://app:[redacted]@db:5432/app'],
    ['password assignment', 'DB_PASSWORD=S3cure!Pass99', 'DB_PASSWORD=[redacted]'],
    ['secret in YAML', 'client_secret: 9f8e7d6c5b4a39281706', 'client_secret: [redacted]'],
    ['api_key in JSON', '{"api_key": "abc123def456", "name": "x"}', '{"api_key": "[redacted]", "name": "x"}'],
    ['token in a query', 'GET /hook?token=a1b2c3d4e5f6g7h8 200', 'GET /hook?token=[redacted] 200'],
    ['quoted password', "password: 'correct-horse-battery'", "password: '[redacted]'"],
    ['JWT', `session=${jwt};`, 'session=[redacted];'],
    ['Slack webhook', 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX', '[redacted]'],
  ])('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('redacts a private key block, and one cut off before its end', () => {
    expect(redactSecrets(`before\n${pem}\nafter`)).toBe('before\n[redacted]\nafter');
    expect(redactSecrets(`cat id_ed25519\n${pem.split('\n').slice(0, 2).join('\n')}`)).toBe('cat id_ed25519\n[redacted]');
  });

  it('redacts every secret in a long env dump', () => {
    const env = [`SLACK_BOT_TOKEN=${slackBot}`, `OPENAI_API_KEY=${openai}`, `GITHUB_TOKEN=${ghp}`, 'HOME=/home/agent', 'PATH=/usr/bin:/bin'].join('\n');
    const out = redactSecrets(env);
    expect(out).toBe(['SLACK_BOT_TOKEN=[redacted]', 'OPENAI_API_KEY=[redacted]', 'GITHUB_TOKEN=[redacted]', 'HOME=/home/agent', 'PATH=/usr/bin:/bin'].join('\n'));
  });
});

const slackC = ['xoxc', '123456789012', '1234567890123', '1234567890123', 'abcdef0123456789abcdef0123456789'].join('-');
const slackD = `xoxd-${'AbC%2FdEf%2BgHi0123456789'.repeat(2)}%3D`;
const hf = `hf_${'aBcDeFgHiJkLmNoPqRsTuVwXyZ01234567'}`;
const sendgrid = `SG.${'aBcDeFgHiJkLmNoPqRsTuV'}.${'0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ_-abcde'}`;
const gocspx = `GOCSPX-${'aBcDeFgHiJkLmNoPqRsTuV0123_'}`;

/** A fresh RSA key in PKCS#1 PEM (25 lines of base64 for 2048 bits) and its body lines. */
function rsaKey(): { pem: string; body: string[] } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return { pem: privateKey, body: privateKey.split('\n').filter((l) => l !== '' && !l.startsWith('-----')) };
}

describe('redactSecrets: formats added by the hardening', () => {
  it.each([
    ['Slack browser token (xoxc)', `token: ${slackC}`, 'token: [redacted]'],
    ['Slack browser cookie (xoxd)', `d=${slackD};`, 'd=[redacted];'],
    ['curl -u', 'curl -u admin:hunter2 https://api.example.com', 'curl -u admin:[redacted] https://api.example.com'],
    ['curl --user=', 'curl --user=deploy:pa55 https://x', 'curl --user=deploy:[redacted] https://x'],
    ['curl -uuser:pass', 'curl -sS -uadmin:pw https://x', 'curl -sS -uadmin:[redacted] https://x'],
    ['token as URL user', `git clone https://${ghp.slice(4)}@github.com/acme/x.git`, 'git clone https://[redacted]@github.com/acme/x.git'],
    ['GitHub token as URL user', `https://${ghp}@github.com/a/b`, 'https://[redacted]@github.com/a/b'],
    ['Laravel APP_KEY', 'APP_KEY=base64:q1W2e3R4t5Y6u7I8o9P0aSdFgHjKlZxC+vBnM=', 'APP_KEY=[redacted]'],
    ['ENCRYPTION_KEY', 'ENCRYPTION_KEY=0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'ENCRYPTION_KEY=[redacted]'],
    ['npm _auth', '_auth=dXNlcjpwYXNzd29yZA==', '_auth=[redacted]'],
    ['npm _authToken', '//registry.example.com/:_authToken=abcdef', '//registry.example.com/:_authToken=[redacted]'],
    ['docker auth', '{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNzd29yZA=="}}}', '{"auths":{"https://index.docker.io/v1/":{"auth":"[redacted]"}}}'],
    ['Hugging Face token', `HF=${hf}`, 'HF=[redacted]'],
    ['SendGrid key', `key ${sendgrid} sent`, 'key [redacted] sent'],
    ['Google OAuth client secret', `"client": "${gocspx}"`, '"client": "[redacted]"'],
    ['short .env password', 'DB_PASSWORD=hunter2', 'DB_PASSWORD=[redacted]'],
    ['short exported password', 'export POSTGRES_PASSWORD="pg"', 'export POSTGRES_PASSWORD="[redacted]"'],
    ['.env secret', 'JWT_SECRET=changeme', 'JWT_SECRET=[redacted]'],
    ['high-entropy key in code', "const signingKey = 'Zx8qP2mN7vL4kR9tW3yB';", "const signingKey = '[redacted]';"],
    ['high-entropy token in YAML', 'refreshToken: Qm9zZ3VzLXRva2VuLTEyMzQ1Njc4', 'refreshToken: [redacted]'],
    ['GitHub app token', `x ${ghs}`, 'x [redacted]'],
    ['GitHub OAuth token', `x ${gho}`, 'x [redacted]'],
    ['GitHub fine-grained token', `x ${pat}`, 'x [redacted]'],
    ['GitHub classic token', `x ${ghp}`, 'x [redacted]'],
  ])('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('redacts a key body whose BEGIN line was cut away, and its short last line', () => {
    const { pem, body } = rsaKey();
    const lines = pem.trimEnd().split('\n');
    const tail = `$ cat key.pem\n${lines.slice(12).join('\n')}\ncat: exit 1`;
    const out = redactSecrets(tail);
    for (const line of body) expect(out).not.toContain(line);
    expect(out).toBe('$ cat key.pem\n[redacted]\n-----END RSA PRIVATE KEY-----\ncat: exit 1');
  });

  it('redacts a tail that starts in the middle of a key line', () => {
    const { body } = rsaKey();
    const text = `${body[3]!.slice(30)}\n${body.slice(4).join('\n')}`;
    expect(redactSecrets(text)).toBe('[redacted]');
  });

  it('redacts a single key line quoted alone, and an indented body', () => {
    const { body } = rsaKey();
    expect(redactSecrets(`The key starts with ${body[0]}`)).not.toContain(body[0]);
    expect(redactSecrets(`  key: |\n    ${body.slice(0, 5).join('\n    ')}\n  other: 1`)).toBe('  key: |\n    [redacted]\n  other: 1');
  });

  it('redacts a base64-encoded PEM and a key body in an escaped JSON string', () => {
    const { pem, body } = rsaKey();
    const encoded = Buffer.from(pem).toString('base64');
    expect(redactSecrets(`tls.key: ${encoded}`)).toBe('tls.key: [redacted]');
    const json = JSON.stringify({ private_key_id: 'abc', body: body.join('\n') });
    const out = redactSecrets(json);
    for (const line of body) expect(out).not.toContain(line);
  });

  it('redacts the whole text before lastLines cuts it, so no part of a key survives the tail', () => {
    const { pem, body } = rsaKey();
    const output = `${pem}\nError: permission denied\n`;
    const unsafe = lastLines(output);
    expect(body.some((l) => unsafe.includes(l))).toBe(true); // the cut alone leaks key lines
    expect(body.some((l) => redactSecrets(unsafe).includes(l.slice(0, 20)))).toBe(false); // the body rule catches a cut tail
    const safe = lastLines(redactSecrets(output));
    for (const line of body) expect(safe).not.toContain(line);
  });
});

describe('redactSecrets: negatives', () => {
  it.each([
    ['git sha', 'commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)'],
    ['short sha', 'HEAD is now at 3f78685 Fix dates'],
    ['uuid', 'task 123e4567-e89b-12d3-a456-426614174000 started'],
    ['sha256', 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['npm integrity', 'sha512-3NQhfydpaCW8nG3EaN/fV1bSpE5hWVRA0VhaRh2ycl3Y9GUFCBzgVd3+9rX4dn7Tl6Znw==sha'],
    ['code reading a token', 'const token = process.env.SLACK_BOT_TOKEN ?? getToken();'],
    ['type annotation', 'password: z.string().min(8), token: string; secret?: Secret'],
    ['comparison', 'if (token === expectedToken) return;'],
    ['arrow function', 'const onToken = (token) => token.trim();'],
    ['template placeholder', 'password="${DB_PASSWORD}" token: "<your-token>"'],
    ['sk- in prose', 'install sk-learn-extras and the risk-free option'],
    ['URL without password', 'https://user@github.com/acme/repo.git and https://example.com/a:b'],
    ['ordinary TypeScript', 'export function redact(text: string): string { return text.replace(/a/g, "b"); }'],
    ['test output', 'Tests: 41 passed, 1 failed (token-bucket.test.ts)'],
    ['Bearer with a variable', 'curl -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com'],
    ['curl -u with a variable', 'curl -u "$USER:$PASS" https://x and sort -u file.txt'],
    ['hex hash on its own line', '3f786850e387550fdab836ed7e6dc881de23001b\n9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['env lines that are not secret', 'TOKEN_TTL=3600\nNODE_ENV=production\nCACHE_KEY=true\nAPI_URL=https://example.com'],
    ['env with a variable', 'DB_PASSWORD=${DB_PASSWORD}'],
    ['a key name with a plain word', "const cacheKey = 'user-profile-settings';"],
    ['a key read from the environment', 'const secretKey = process.env.SECRET_KEY_VALUE_NAME;'],
    ['URL with a plain user name', 'https://x-access-token@github.com/acme/repo.git'],
  ])('%s survives', (_name, input) => {
    expect(redactSecrets(input)).toBe(input);
  });

  it('is linear on a huge line', () => {
    const huge = `${'a1'.repeat(100_000)} ${'x'.repeat(100_000)}`;
    const started = performance.now();
    expect(redactSecrets(huge)).toBe(huge);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('redactBlocks', () => {
  it('redacts every text field of built blocks and leaves ids alone', () => {
    const msg = renderCommandLog({ commands: [{ command: `curl -u admin:${openai} https://x`, exitCode: 1, durationMs: 10, timedOut: false, outputTail: `token=${ghp}\nerror` }] });
    const redacted = redactBlocks(msg.blocks);
    const json = JSON.stringify(redacted);
    expect(json).not.toContain(openai.slice(0, 20));
    expect(json).not.toContain(ghp);
    expect(json).toContain('[redacted]');
    expect(redacted).not.toBe(msg.blocks); // a copy
    expect(JSON.stringify(msg.blocks)).toContain(ghp); // the input is untouched
  });

  it('walks any structure, keeping identifier fields intact', () => {
    const value = { type: 'xoxb-looking-type-12345678', action_id: 'codex_stop', value: `{"t":"abcd1234"}`, nested: [{ text: `key ${ghp}` }], n: 3, b: true, z: null };
    expect(redactDeep(value)).toEqual({ type: value.type, action_id: 'codex_stop', value: '{"t":"abcd1234"}', nested: [{ text: 'key [redacted]' }], n: 3, b: true, z: null });
  });
});
