import { z } from 'zod';
import { ASK_PEOPLE_DESCRIPTION } from '../prompts.js';
import type { QuestionDesk } from '../question-desk.js';
import { defineTool, type Tool } from './tool.js';

const parameters = z.object({
  question: z.string().trim().min(1).max(2000).describe('One clear question, with what you will do by default.'),
  choices: z.array(z.string().trim().min(1).max(75)).max(5).optional().describe('Up to five short answers, shown as buttons; leave out for a free-text answer.'),
});

/** The ask_people tool: a question to the thread, answered by a button or a reply (see QuestionDesk). */
export function createAskPeopleTool(desk: QuestionDesk): Tool {
  const execute: Tool<typeof parameters>['execute'] = async (args, ctx) => {
    const result = await desk.ask(args.question, args.choices ?? [], ctx.signal);
    return result.outcome === 'answered' ? result.output : 'Stopped before anyone answered.';
  };
  return defineTool({ name: 'ask_people', description: ASK_PEOPLE_DESCRIPTION, parameters, execute }) as Tool;
}
