import { randomBytes, randomUUID } from 'node:crypto';

/*
 * The compact endpoint of the scripted model server (`POST /v1/responses/compact`), as
 * api.openai.com answers it: the output is every user message of the input, verbatim, followed
 * by one `compaction` item whose `encrypted_content` is opaque. The server remembers what it
 * issued, and `/v1/responses` refuses a compaction item it did not issue (as the real one
 * refuses content it cannot decrypt). Kept apart so model-server.ts stays about HTTP.
 */

type Json = Record<string, unknown>;

/** The body fields the SDK's `ResponseCompactParams` may send; anything else is refused. */
const COMPACT_PARAMS = ['model', 'input', 'instructions', 'previous_response_id', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'service_tier', 'image'];

export interface CompactProblem {
  status: number;
  message: string;
  param: string | null;
  code: string | null;
}

/** Compaction items this server issued, by encrypted content. */
export class CompactionLedger {
  readonly #issued = new Set<string>();
  /** Characters of each compaction item's encrypted content (what it costs in the next request). */
  constructor(private readonly summaryChars: number) {}

  /** The problem with a compact request's body, as the real endpoint words it. */
  check(body: unknown): CompactProblem | undefined {
    if (body === undefined || typeof body !== 'object' || body === null) return { status: 400, message: 'We could not parse the JSON body of your request.', param: null, code: null };
    const b = body as Json;
    const unknown = Object.keys(b).find((k) => !COMPACT_PARAMS.includes(k));
    if (unknown) return { status: 400, message: `Unknown parameter: '${unknown}'.`, param: unknown, code: 'unknown_parameter' };
    if (typeof b.model !== 'string' || b.model === '') return { status: 400, message: "Missing required parameter: 'model'.", param: 'model', code: 'missing_required_parameter' };
    if (b.previous_response_id !== undefined && b.previous_response_id !== null) {
      // Nothing is stored here (store: false everywhere), so there is nothing to find.
      return { status: 404, message: `Previous response with id '${String(b.previous_response_id)}' not found.`, param: 'previous_response_id', code: 'previous_response_not_found' };
    }
    if (!Array.isArray(b.input) || b.input.length === 0) return { status: 400, message: "Missing required parameter: 'input'.", param: 'input', code: 'missing_required_parameter' };
    return this.checkItems(b.input);
  }

  /** A compaction item in an input must be one this server issued. */
  checkItems(input: unknown): CompactProblem | undefined {
    if (!Array.isArray(input)) return undefined;
    for (const [i, item] of (input as Json[]).entries()) {
      if (item?.type !== 'compaction') continue;
      if (typeof item.encrypted_content !== 'string' || !this.#issued.has(item.encrypted_content)) {
        return { status: 400, message: `The encrypted content for item input[${i}] could not be verified.`, param: `input[${i}].encrypted_content`, code: 'invalid_encrypted_content' };
      }
    }
    return undefined;
  }

  /** The compacted output: the input's user messages, then one new compaction item. */
  compact(input: Json[]): Json[] {
    const users = input.filter((item) => item.role === 'user' && (item.type === undefined || item.type === 'message'));
    const filler = randomBytes(Math.ceil(this.summaryChars * 0.75)).toString('base64').slice(0, Math.max(0, this.summaryChars - 20));
    const content = `gAAAA${randomUUID().replace(/-/g, '')}${filler}`;
    this.#issued.add(content);
    return [...users.map((u) => ({ ...u, type: 'message' })), { id: `cmp_${randomUUID().replace(/-/g, '').slice(0, 24)}`, type: 'compaction', encrypted_content: content }];
  }
}
