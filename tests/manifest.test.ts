import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/slack/parse-command.js';

/*
 * manifest.json against Slack's published manifest schema (v1, draft-07), plus what the app
 * itself relies on: the /codex command, interactivity, the events it listens to and a scope
 * for every Web API method and event it uses.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Slack's schema, vendored with its licence (see tests/fixtures/slack-manifest-schema/README.md).
const schemaPath = resolve(repoRoot, 'tests/fixtures/slack-manifest-schema/schemas/manifest.schema.1.0.0.json');
const manifest = JSON.parse(readFileSync(resolve(repoRoot, 'manifest.json'), 'utf8')) as Manifest;

interface Manifest {
  display_information: { name: string };
  features: { bot_user?: { display_name: string }; slash_commands?: Array<{ command: string; url?: string; description: string; usage_hint?: string }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url?: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
  };
}

function validator() {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  // Unknown keywords stay errors; Slack's schema itself is not strictTypes-clean.
  const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false });
  // Slack's schema uses `format: uri`, a non-standard `regex` keyword and two annotations
  // (`_note`, `requires`); give each a meaning rather than turning strict mode off.
  ajv.addVocabulary(['_note', 'requires']);
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addKeyword({ keyword: 'regex', type: 'string', schemaType: 'string', validate: (re: string, data: string) => new RegExp(re).test(data) });
  return ajv.compile(schema);
}

const describeErrors = (errors: ErrorObject[] | null | undefined) => (errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

describe('manifest.json', () => {
  const validate = validator();

  it("validates against Slack's manifest schema 1.0.0", () => {
    const ok = validate(manifest);
    expect(describeErrors(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is checked for real: a broken manifest fails the same validator', () => {
    const broken = structuredClone(manifest) as unknown as Record<string, Record<string, unknown>>;
    delete broken.display_information!.name;
    (broken.features!.slash_commands as Array<Record<string, unknown>>)[0]!.command = 'codex';
    broken.settings!.interactivity = { request_url: 'ftp://nope' };
    expect(validate(broken)).toBe(false);
    expect(describeErrors(validate.errors).join('\n')).toMatch(/must have required property 'name'[\s\S]*must match pattern/);
  });

  it('declares /codex with a description and a usage hint', () => {
    const codex = manifest.features.slash_commands?.find((c) => c.command === '/codex');
    expect(codex?.description.length).toBeGreaterThan(10);
    expect(manifest.features.bot_user?.display_name).toBeTruthy();
  });

  it('lists every /codex verb in the usage hint, and only verbs the parser knows', () => {
    const verbs = ['task', 'plan', 'review', 'status', 'list', 'log', 'cancel', 'defaults', 'schedule', 'schedules', 'unschedule', 'help'];
    const hinted = (manifest.features.slash_commands?.find((c) => c.command === '/codex')?.usage_hint ?? '').split('|').map((alt) => alt.trim().split(/\s+/)[0]);
    expect([...hinted].sort()).toEqual([...verbs].sort());
    // Each one is a verb parseCommand takes (an unknown one answers "is not a /codex command").
    for (const verb of verbs) expect(JSON.stringify(parseCommand(`${verb} k3x9q2m1`))).not.toContain('is not a /codex command');
    expect(JSON.stringify(parseCommand('frobnicate k3x9q2m1'))).toContain('is not a /codex command');
  });

  it('turns interactivity on and sends everything to /slack/events (Bolt’s HTTP endpoint)', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    const urls = [manifest.settings.interactivity.request_url, manifest.settings.event_subscriptions.request_url, ...(manifest.features.slash_commands ?? []).map((c) => c.url)];
    for (const url of urls) expect(url).toBe('https://your-host.example.com/slack/events');
    // HTTP by default; the README explains switching to Socket Mode (SLACK_APP_TOKEN).
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('subscribes to the events the app handles', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(['agent_session_stopped', 'app_home_opened', 'app_mention', 'message.channels', 'message.groups', 'message.im', 'message.mpim', 'message.session']);
    // Declared an agent: Slack's agent sessions (and their native Stop) need it.
    expect((manifest.features as { agent_view?: { agent_description?: string } }).agent_view?.agent_description).toBeTruthy();
  });

  it('asks for a scope for every method and event the app uses, and no more', () => {
    const needed: Record<string, string> = {
      '/codex': 'commands',
      'chat.postMessage / chat.update / chat.postEphemeral / chat.startStream / chat.appendStream / chat.stopStream': 'chat:write',
      'reactions.add / reactions.remove': 'reactions:write',
      'files.getUploadURLExternal / files.completeUploadExternal': 'files:write',
      'url_private of images people attach (downloaded for the model)': 'files:read',
      'app_mention event': 'app_mentions:read',
      'message.channels event, conversations.replies in channels': 'channels:history',
      'message.groups event, conversations.replies in private channels': 'groups:history',
      'message.im event, conversations.replies in DMs': 'im:history',
      'message.mpim event, conversations.replies in group DMs': 'mpim:history',
      'agents.sessions.setStatus (agent_view)': 'assistant:write',
      'agents.conversations.create / setProperties / setView / archive (Slack Code channels, slack.codeChannels)': 'code_channels:manage',
    };
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...new Set(Object.values(needed))].sort());
  });

  it('uses no Web API method outside that list (a users.* call would need users:read)', () => {
    const src = resolve(repoRoot, 'src');
    const used = new Set<string>();
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(resolve(src, file), 'utf8');
      for (const m of text.matchAll(/\bclient\s*\.\s*(users|conversations|chat|reactions|files|views|auth|apps|team|usergroups|pins|bookmarks|dnd|emoji|search|stars|reminders|agents\.sessions|agents\.conversations)\s*\.\s*([A-Za-z0-9]+)/g)) used.add(`${m[1]}.${m[2]}`);
    }
    // views.open (the App Home's schedule modal) needs no scope, like views.publish.
    const allowed = ['auth.test', 'chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.getPermalink', 'reactions.add', 'reactions.remove', 'files.uploadV2', 'conversations.replies', 'views.publish', 'views.open', 'agents.sessions.setStatus', 'agents.sessions.rename', 'chat.startStream', 'chat.appendStream', 'chat.stopStream', 'agents.conversations.create', 'agents.conversations.setProperties', 'agents.conversations.setView', 'agents.conversations.archive'];
    expect([...used]).toEqual(expect.arrayContaining(['chat.postMessage', 'conversations.replies', 'views.publish'])); // the scan finds calls
    expect([...used].filter((m) => !allowed.includes(m))).toEqual([]);
  });
});
