import { expect } from 'vitest';
import { BLOCKS_TEXT_BUDGET, FALLBACK_TEXT_MAX } from '../../src/blocks/limits.js';
import type { SlackMessage } from '../../src/blocks/message.js';
import { assertValidMessage, totalBlockText } from '../fakes/block-kit-validator.js';

/*
 * Test helpers for the builders: `preview` turns a message into readable lines for inline
 * snapshots (one line per block, buttons with their action ids and values), and `expectValid`
 * runs the fake Slack's independent validator plus the builders' own stricter budgets.
 */

type Obj = Record<string, unknown>;

function textOf(t: unknown): string {
  return typeof t === 'object' && t !== null ? String((t as Obj).text) : '';
}

function indent(text: string): string {
  return text.replace(/\n/g, '\n    ');
}

export function preview(message: SlackMessage): string {
  const lines = [`text: ${message.text}`];
  for (const block of message.blocks as unknown as Obj[]) {
    switch (block.type) {
      case 'section':
      case 'header':
        lines.push(`[${block.type}] ${indent(textOf(block.text))}`);
        break;
      case 'context':
        lines.push(`[context] ${(block.elements as Obj[]).map(textOf).join(' | ')}`);
        break;
      case 'actions':
        lines.push(
          `[actions] ${(block.elements as Obj[])
            .map((b) => {
              const extras = [b.action_id, b.value, b.style, b.confirm ? `confirm "${textOf((b.confirm as Obj).title)}"` : undefined].filter(Boolean);
              return `${textOf(b.text)} (${extras.join(', ')})`;
            })
            .join(' | ')}`,
        );
        break;
      default:
        lines.push(`[${String(block.type)}]`);
    }
  }
  return lines.join('\n');
}

const MARKUP = /<@[UW][A-Z0-9]+>|<#[CG][A-Z0-9]+(\|[^>]*)?>|<!date\^\d+\^[^|>]*\|[^>]*>|<https?:\/\/[^\s|<>]+(\|[^<>]*)?>/g;

/** Mrkdwn texts (and the fallback): the texts Slack parses for `<…>` markup and entities. */
function mrkdwnTexts(message: SlackMessage): string[] {
  const out: string[] = [message.text];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (typeof n === 'object' && n !== null) {
      if ((n as Obj).type === 'mrkdwn' && typeof (n as Obj).text === 'string') out.push((n as Obj).text as string);
      Object.values(n).forEach(walk);
    }
  };
  walk(message.blocks);
  return out;
}

/**
 * Every `<`, `>` and `&` in mrkdwn is either markup the builders mean (a mention, a date, a
 * link, a quote) or escaped. Slack would accept the rest, but render it as markup.
 */
function expectMarkupSafe(message: SlackMessage): void {
  for (const text of mrkdwnTexts(message)) {
    const rest = text.replace(MARKUP, '').replace(/^> /gm, '');
    expect(rest, `unescaped markup in: ${text.slice(0, 200)}`).not.toMatch(/[<>]|&(?!amp;|lt;|gt;)/);
  }
}

/** Valid for Slack (independent validator), within the builders' text budget, fallback short. */
export function expectValid(message: SlackMessage): void {
  assertValidMessage(message as { text: string; blocks: unknown[] });
  expectMarkupSafe(message);
  expect(totalBlockText(message.blocks)).toBeLessThanOrEqual(BLOCKS_TEXT_BUDGET);
  expect(message.text.length).toBeLessThanOrEqual(FALLBACK_TEXT_MAX);
}

/** Every mrkdwn/plain text of a message and its fallback, joined (for "nothing unescaped" checks). */
export function allText(message: SlackMessage): string {
  const out: string[] = [message.text];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (typeof n === 'object' && n !== null) {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'text' && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(message.blocks);
  return out.join('\n');
}

/** A 100 KB prompt with everything a user could try to inject. */
export const HUGE_PROMPT = `please <!channel> <@U0OTHER002> <https://evil.example|click> & fix\n${'lorem ipsum dolor sit amet '.repeat(4000)}`;
