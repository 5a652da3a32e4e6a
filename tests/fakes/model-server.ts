import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CompactionLedger } from './model-server-compact.js';
import { buildItems, buildResponse, itemEvents, type OutputSpec, type UsageSpec } from './model-server-events.js';

/**
 * A scripted OpenAI-compatible model server for tests: `POST /v1/responses`, streamed
 * (Server-Sent Events) or plain JSON, close enough to api.openai.com that the real `openai`
 * SDK parses it. Strict where the real one is: 401 without the right bearer key, 400 without
 * `model` or `input` or when function calls and their outputs do not pair up, 404 for an
 * unknown model when `models` is given, 400 `context_length_exceeded` past `contextWindowTokens`.
 * `POST /v1/responses/compact` compacts as the real endpoint does (model-server-compact.ts),
 * or answers 404 with `compact: 'missing'` (a server without it). Usage is computed from the
 * request: input tokens = body characters / 4, cached tokens = the prefix (instructions, tools,
 * input) shared with the previous `/responses` request of the same prompt_cache_key. Every
 * request is recorded (parsed body + headers, and the usage it was answered with).
 *
 * ```ts
 * const server = await startModelServer({
 *   apiKey: 'test-key',
 *   script: [
 *     reply(functionCall('shell', { command: 'cat README.md' })),
 *     (req) => reply(message(`Read: ${lastToolOutput(req)}`)),
 *   ],
 * });
 * const openai = new OpenAI({ apiKey: 'test-key', baseURL: server.url });
 * // … run the code under test, then:
 * expect(server.requests[1]!.body.input).toContainEqual(expect.objectContaining({ type: 'function_call_output' }));
 * await server.close();
 * ```
 *
 * A step may also answer with an HTTP error (`httpError(429, …, { headers: { 'retry-after': '1' } })`),
 * a failure inside the stream, a delay, or hang until the client goes away (`{ hang: true }`).
 * When the script runs out, the server answers 400 `script_exhausted` so the test fails loudly.
 */

/** What one request gets back. */
export interface ScriptReply {
  /** Output items, in order. */
  output?: OutputSpec[];
  /** Token counts; by default estimated from sizes, with cached tokens = the prefix shared with the previous request. */
  usage?: Partial<UsageSpec>;
  /** Answer with this HTTP error instead ({ error: { message, type, code } } body). */
  error?: { status: number; message?: string; type?: string; code?: string; headers?: Record<string, string> };
  /** End the stream with `response.failed` carrying this error instead of `response.completed`. */
  fail?: { code: string; message: string };
  /** End with `response.incomplete` instead of `response.completed`. */
  incomplete?: boolean;
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Wait this long between stream events. */
  eventDelayMs?: number;
  /** Never answer; the request stays open until the client aborts it or the server closes. */
  hang?: boolean;
  /** Cut the connection after this many stream events (a dropped stream). */
  dropAfterEvents?: number;
  /** The `model` the response names (the model that served it); the request's `model` otherwise. */
  model?: string;
}

/** A request as the server saw it. */
export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined if it was not JSON). */
  body: any;
  receivedAt: number;
  /** The usage the server answered with (set once answered). */
  usage?: UsageSpec;
}

export type ScriptStep = ScriptReply | ((req: RecordedRequest) => ScriptReply | Promise<ScriptReply>);
/** A list of steps, one per `POST /v1/responses` in order, or one function for all of them. */
export type Script = ScriptStep[] | ((req: RecordedRequest, index: number) => ScriptReply | Promise<ScriptReply>);

export interface ModelServerOptions {
  /** The bearer key clients must send (default `test-key`). */
  apiKey?: string;
  /** Model names that exist; others get 404 model_not_found. Any model when absent. */
  models?: string[];
  /**
   * The model that serves a request asking for the key, as the response's `model` names it (like
   * an alias resolving to a snapshot, or a service answering with another model); a script
   * step's own `model` wins.
   */
  servedAs?: Record<string, string>;
  script: Script;
  /** `serve` (default): `POST /v1/responses/compact` works; `missing`: it answers 404, as on servers without it. */
  compact?: 'serve' | 'missing';
  /** Characters of each compaction item's encrypted content (default 1600, about 400 tokens). */
  compactSummaryChars?: number;
  /** Requests with more input tokens than this are refused with 400 context_length_exceeded. */
  contextWindowTokens?: number;
}

export interface ModelServer {
  /** Base URL for the SDK (`baseURL`), ending in /v1. */
  url: string;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Asked model → the model that serves it (starts as `options.servedAs`; a test may change it). */
  servedAs: Map<string, string>;
  /**
   * Starts an outage: every `POST /v1/responses` (past the checks of key and body) answers the
   * next of `replies` in turn (HTTP errors such as `httpError(503)` or `httpError(429, …,
   * { headers: { 'retry-after': '1' } })`) without using up the script, until `endOutage()` or,
   * with `forMs`, until that long has passed.
   */
  startOutage(replies: ScriptReply[], options?: { forMs?: number }): void;
  endOutage(): void;
  /** Requests answered by an outage so far. */
  readonly outageAnswers: number;
  /** Resolves once at least `n` requests have arrived (rejects after `timeoutMs`). */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 and a free port. */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const apiKey = options.apiKey ?? 'test-key';
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters: Array<() => void> = [];
  const previousByKey = new Map<string, string>();
  let responseCalls = 0;
  let outage: { replies: ScriptReply[]; until: number } | undefined;
  let outageAnswers = 0;
  const servedAs = new Map(Object.entries(options.servedAs ?? {}));
  const ledger = new CompactionLedger(options.compactSummaryChars ?? 1600);
  const tooLong = (tokens: number) =>
    options.contextWindowTokens !== undefined && tokens > options.contextWindowTokens
      ? { message: `Your input exceeds the context window of this model (${tokens} > ${options.contextWindowTokens} tokens). Please adjust your input and try again.`, type: 'invalid_request_error', param: 'input', code: 'context_length_exceeded' }
      : undefined;

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, { message: `model server error: ${String(e)}`, type: 'server_error', code: 'server_error' });
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: any;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = { index: requests.length, method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body, receivedAt: Date.now() };
    requests.push(recorded);
    waiters.splice(0).forEach((wake) => wake());

    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return sendError(res, 401, { message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', code: 'invalid_api_key' });
    }
    // GET /v1/models and /v1/models/{model}, as api.openai.com answers them: `models` are listed
    // and retrievable, others are 404 model_not_found (without `models`: an empty list, any model).
    const modelPath = req.method === 'GET' ? /^\/v1\/models(?:\/([^/?]+))?\/?(\?.*)?$/.exec(req.url ?? '') : null;
    if (modelPath) {
      const model = (name: string) => ({ id: name, object: 'model', created: 1_700_000_000, owned_by: 'system' });
      if (modelPath[1] === undefined) return sendJson(res, 200, { object: 'list', data: (options.models ?? []).map(model) });
      const name = decodeURIComponent(modelPath[1]);
      if (options.models && !options.models.includes(name)) {
        return sendError(res, 404, { message: `The model \`${name}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' });
      }
      return sendJson(res, 200, model(name));
    }
    if (req.method === 'POST' && /^\/v1\/responses\/compact\/?(\?.*)?$/.test(req.url ?? '') && options.compact !== 'missing') {
      const problem = ledger.check(body);
      if (problem) return sendError(res, problem.status, { message: problem.message, type: 'invalid_request_error', param: problem.param, code: problem.code });
      const pairing = checkCallPairs(body.input);
      if (pairing) return sendError(res, 400, { message: pairing, type: 'invalid_request_error', param: 'input', code: null });
      const inputTokens = Math.ceil(raw.length / 4);
      const over = tooLong(inputTokens);
      if (over) return sendError(res, 400, over);
      const output = ledger.compact(body.input);
      recorded.usage = { input_tokens: inputTokens, cached_tokens: 0, output_tokens: Math.ceil(JSON.stringify(output.at(-1)).length / 4) };
      const usage = { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: recorded.usage.output_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + recorded.usage.output_tokens };
      return sendJson(res, 200, { id: `resp_${randomUUID().replace(/-/g, '')}`, object: 'response.compaction', created_at: Math.floor(Date.now() / 1000), output, usage });
    }
    if (req.method !== 'POST' || !/^\/v1\/responses\/?(\?.*)?$/.test(req.url ?? '')) {
      return sendError(res, 404, { message: `Invalid URL (${req.method} ${req.url})`, type: 'invalid_request_error', code: null });
    }
    if (body === undefined || typeof body !== 'object') return sendError(res, 400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', code: null });
    if (typeof body.model !== 'string' || body.model === '') return sendError(res, 400, { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' });
    if (body.input === undefined) return sendError(res, 400, { message: "Missing required parameter: 'input'.", type: 'invalid_request_error', param: 'input', code: 'missing_required_parameter' });
    if (options.models && !options.models.includes(body.model)) {
      return sendError(res, 404, { message: `The model \`${body.model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' });
    }
    const toolProblem = checkTools(body.tools);
    if (toolProblem) return sendError(res, 400, { message: toolProblem.message, type: 'invalid_request_error', param: toolProblem.param, code: toolProblem.code });
    const pairing = checkCallPairs(body.input);
    if (pairing) return sendError(res, 400, { message: pairing, type: 'invalid_request_error', param: 'input', code: null });
    const forged = ledger.checkItems(body.input);
    if (forged) return sendError(res, forged.status, { message: forged.message, type: 'invalid_request_error', param: forged.param, code: forged.code });
    const over = tooLong(Math.ceil(raw.length / 4));
    if (over) return sendError(res, 400, over);

    if (outage && Date.now() >= outage.until) outage = undefined;
    if (outage) {
      return sendReplyError(res, outage.replies[outageAnswers++ % outage.replies.length]!.error!);
    }
    const index = responseCalls++;
    const script = options.script;
    const step = typeof script === 'function' ? (r: RecordedRequest) => script(r, index) : script[index];
    if (step === undefined) {
      return sendError(res, 400, { message: `model server: script exhausted at response #${index + 1}`, type: 'invalid_request_error', code: 'script_exhausted' });
    }
    const reply = typeof step === 'function' ? await step(recorded) : step;
    if (reply.delayMs) await pause(reply.delayMs);
    if (reply.hang) return; // left open; close() or the client ends it
    if (reply.error) return sendReplyError(res, reply.error);
    // Hosted tools run only when the request offers them: a script that searches the web
    // without the tool offered is a test bug (or a missing feature), not a response.
    const offered = new Set(Array.isArray(body.tools) ? (body.tools as Array<{ type?: string }>).map((t) => t.type) : []);
    if ((reply.output ?? []).some((o) => o.type === 'web_search_call') && !offered.has('web_search') && !offered.has('web_search_preview')) {
      return sendError(res, 400, { message: 'model server: the script answers with a web_search_call but the request does not offer the web_search tool', type: 'invalid_request_error', code: 'script_invalid' });
    }
    if (body.tool_choice === 'none' && (reply.output ?? []).some((o) => o.type === 'function_call')) {
      return sendError(res, 400, { message: 'model server: the script answers with a function_call but the request says tool_choice none', type: 'invalid_request_error', code: 'script_invalid' });
    }
    const usage = estimateUsage(body, raw, reply, previousByKey);
    recorded.usage = usage;
    const items = buildItems(reply.output ?? []);
    const id = `resp_${randomUUID().replace(/-/g, '')}`;
    const status = reply.fail ? 'failed' : reply.incomplete ? 'incomplete' : 'completed';
    const served = { ...body, model: reply.model ?? servedAs.get(body.model) ?? body.model };
    const final = buildResponse(id, served, status, items, reply.fail ? null : usage, reply.fail ?? null);
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${id}` });
      res.end(JSON.stringify(final));
      return;
    }
    const events = [
      { type: 'response.created', response: buildResponse(id, served, 'in_progress', [], null) },
      { type: 'response.in_progress', response: buildResponse(id, served, 'in_progress', [], null) },
      ...itemEvents(items),
      { type: `response.${status}`, response: final },
    ];
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': `req_${id}` });
    for (const [n, event] of events.entries()) {
      if (res.destroyed) return;
      if (reply.dropAfterEvents !== undefined && n >= reply.dropAfterEvents) {
        res.destroy();
        return;
      }
      res.write(`event: ${event.type}\ndata: ${JSON.stringify({ ...event, sequence_number: n })}\n\n`);
      if (reply.eventDelayMs) await pause(reply.eventDelayMs);
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    servedAs,
    startOutage(replies, options = {}) {
      if (replies.length === 0 || replies.some((r) => !r.error)) throw new Error('model server: an outage needs HTTP error replies');
      outage = { replies, until: options.forMs === undefined ? Infinity : Date.now() + options.forMs };
    },
    endOutage() {
      outage = undefined;
    },
    get outageAnswers() {
      return outageAnswers;
    },
    async waitForRequests(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`model server: expected ${n} requests, got ${requests.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendReplyError(res: ServerResponse, { status, message, type, code, headers }: NonNullable<ScriptReply['error']>): void {
  sendError(res, status, { message: message ?? `HTTP ${status}`, type: type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), code: code ?? null }, headers);
}

function sendError(res: ServerResponse, status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { param: null, ...error } }));
}

/** Tool types the Responses API knows; any other is refused as an invalid value. */
const TOOL_TYPES = ['function', 'file_search', 'computer_use_preview', 'web_search', 'web_search_2025_08_26', 'web_search_preview', 'web_search_preview_2025_03_11', 'mcp', 'code_interpreter', 'image_generation', 'local_shell', 'shell', 'custom', 'apply_patch'];

/** As the real API checks `tools`: an array of known types; functions need a name; hosted web search takes only its own options. */
function checkTools(tools: unknown): { message: string; param: string; code: string } | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return { message: "Invalid type for 'tools': expected an array.", param: 'tools', code: 'invalid_type' };
  for (const [i, tool] of (tools as Array<Record<string, unknown>>).entries()) {
    const type = tool?.type;
    if (typeof type !== 'string' || !TOOL_TYPES.includes(type)) {
      return { message: `Invalid value: '${String(type)}'. Supported values are: ${TOOL_TYPES.map((t) => `'${t}'`).join(', ')}.`, param: `tools[${i}].type`, code: 'invalid_value' };
    }
    if (type === 'function' && (typeof tool.name !== 'string' || tool.name === '')) {
      return { message: `Missing required parameter: 'tools[${i}].name'.`, param: `tools[${i}].name`, code: 'missing_required_parameter' };
    }
    if (type.startsWith('web_search')) {
      const allowed = ['type', 'filters', 'search_context_size', 'user_location', 'external_web_access'];
      const unknown = Object.keys(tool).find((k) => !allowed.includes(k));
      if (unknown) return { message: `Unknown parameter: 'tools[${i}].${unknown}'.`, param: `tools[${i}].${unknown}`, code: 'unknown_parameter' };
    }
  }
  return undefined;
}

/** The real API refuses an output without its call, and a call without its output. */
function checkCallPairs(input: unknown): string | undefined {
  if (!Array.isArray(input)) return undefined;
  const calls = new Set<string>();
  const outputs = new Set<string>();
  for (const item of input as Array<Record<string, unknown>>) {
    if (item?.type === 'function_call') calls.add(String(item.call_id));
    if (item?.type === 'function_call_output') {
      if (!calls.has(String(item.call_id))) return `No tool call found for function call output with call_id ${String(item.call_id)}.`;
      outputs.add(String(item.call_id));
    }
  }
  for (const id of calls) if (!outputs.has(id)) return `No tool output found for function call ${id}.`;
  return undefined;
}

function estimateUsage(body: any, raw: string, reply: ScriptReply, previousByKey: Map<string, string>): UsageSpec {
  const prompt = JSON.stringify([body.instructions ?? null, body.tools ?? null, body.input]);
  const key = String(body.prompt_cache_key ?? '');
  const previous = previousByKey.get(key) ?? '';
  previousByKey.set(key, prompt);
  let shared = 0;
  while (shared < previous.length && shared < prompt.length && previous[shared] === prompt[shared]) shared += 1;
  const input = reply.usage?.input_tokens ?? Math.ceil(raw.length / 4);
  return {
    input_tokens: input,
    cached_tokens: reply.usage?.cached_tokens ?? Math.min(input, Math.floor(shared / 4)),
    output_tokens: reply.usage?.output_tokens ?? Math.ceil(JSON.stringify(reply.output ?? []).length / 4),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- Helpers to write scripts ----------------------------------------------------------------

/** A reply with these output items. */
export function reply(...output: OutputSpec[]): ScriptReply {
  return { output };
}

/** An assistant message. */
export function message(text: string, phase?: 'commentary' | 'final_answer'): OutputSpec {
  return phase ? { type: 'message', text, phase } : { type: 'message', text };
}

/** A function call; `args` as an object is JSON-encoded, as a string is sent verbatim (to test bad JSON). */
export function functionCall(name: string, args: unknown, callId?: string): OutputSpec {
  const spec: OutputSpec = { type: 'function_call', name, arguments: typeof args === 'string' ? args : JSON.stringify(args) };
  return callId ? { ...spec, call_id: callId } : spec;
}

/** A hosted web search the model ran (`web_search_call`), e.g. `webSearch('vitest fake timers')`. */
export function webSearch(query: string, status: 'completed' | 'failed' = 'completed'): OutputSpec {
  return { type: 'web_search_call', status, action: { type: 'search', query, queries: [query], sources: [] } };
}

/** A reasoning item with encrypted content (as with `include: ['reasoning.encrypted_content']`). */
export function reasoning(summary: string[] = [], encryptedContent?: string): OutputSpec {
  return encryptedContent ? { type: 'reasoning', summary, encrypted_content: encryptedContent } : { type: 'reasoning', summary };
}

/** An HTTP error reply, e.g. `httpError(429, 'Slow down', { code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } })`. */
export function httpError(status: number, message?: string, extra: { code?: string; type?: string; headers?: Record<string, string> } = {}): ScriptReply {
  return { error: { status, ...(message === undefined ? {} : { message }), ...extra } };
}

/** The `function_call_output` items of a request's input, oldest first. */
export function toolOutputs(req: RecordedRequest): Array<{ call_id: string; output: string }> {
  const input = Array.isArray(req.body?.input) ? (req.body.input as Array<Record<string, unknown>>) : [];
  return input.filter((i) => i.type === 'function_call_output').map((i) => ({ call_id: String(i.call_id), output: String(i.output) }));
}

/** The output of the latest function call in a request's input ('' when none). */
export function lastToolOutput(req: RecordedRequest): string {
  return toolOutputs(req).at(-1)?.output ?? '';
}

/** The text of every user message in a request's input, oldest first. */
export function userMessages(req: RecordedRequest): string[] {
  const input = Array.isArray(req.body?.input) ? (req.body.input as Array<Record<string, unknown>>) : [];
  return input
    .filter((i) => i.role === 'user')
    .map((i) => (typeof i.content === 'string' ? i.content : (i.content as Array<{ text?: string }>).map((p) => p.text ?? '').join('')));
}
