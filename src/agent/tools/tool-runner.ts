import { z } from 'zod';
import { CodexError, errorMessage } from '../../errors.js';
import type { FunctionToolSpec } from '../model-client.js';
import type { Tool, ToolContext } from './tool.js';

/*
 * Between the model and the tools: turns tool definitions into API function tools, and runs
 * one function call. Whatever the model sends (bad JSON, wrong types, an unknown tool), the
 * answer is an output that tells it what to fix; the loop never crashes on a tool call.
 */

/** Function tools for the API. Built once per task so the bytes never change between calls. */
export function toFunctionTools(tools: readonly Tool[]): FunctionToolSpec[] {
  return tools.map((tool) => {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.parameters) as Record<string, unknown>;
    // Not strict: strict mode would force every optional argument to be required-but-nullable.
    return { type: 'function', name: tool.name, description: tool.description, parameters, strict: false };
  });
}

/** Runs one function call and returns the output for the model. Never throws. */
export async function runToolCall(tools: readonly Tool[], call: { name: string; arguments: string }, ctx: ToolContext): Promise<string> {
  const tool = tools.find((t) => t.name === call.name);
  if (!tool) {
    return `Error: there is no tool named "${call.name}". Available tools: ${tools.map((t) => t.name).join(', ')}.`;
  }
  let raw: unknown;
  try {
    raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (e) {
    return `Error: the arguments of ${tool.name} are not valid JSON (${errorMessage(e)}). Send one JSON object, for example ${exampleOf(tool)}.`;
  }
  const parsed = tool.parameters.safeParse(raw);
  if (!parsed.success) {
    return `Error: invalid arguments for ${tool.name}:\n${z.prettifyError(parsed.error)}\nFix them and call ${tool.name} again.`;
  }
  try {
    return await tool.execute(parsed.data, ctx);
  } catch (e) {
    // A run that lost its turn stops here: nothing more of it may reach the model or Redis.
    if (CodexError.isInstance(e) && e.code === 'run_superseded') throw e;
    // Nor one whose sandbox is gone for good (the Docker engine did not come back): its sentence ends the turn.
    if (CodexError.isInstance(e) && e.code === 'docker_unavailable') throw e;
    if (CodexError.isInstance(e)) return `Error: ${e.message}`;
    ctx.logger.error({ err: e, tool: tool.name }, 'tool failed');
    return `Error: ${tool.name} failed: ${errorMessage(e)}`;
  }
}

function exampleOf(tool: Tool): string {
  const schema = z.toJSONSchema(tool.parameters) as { required?: string[] };
  const fields = (schema.required ?? []).map((k) => `"${k}": …`).join(', ');
  return `{${fields}}`;
}
