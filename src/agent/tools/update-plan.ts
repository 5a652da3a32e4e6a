import { z } from 'zod';
import { planStepSchema, type PlanStep } from '../../tasks/protocol.js';
import { defineTool, type Tool } from './tool.js';

const DESCRIPTION = `Shows the person who asked for this task your plan and your progress on it; they watch it on a live status card.

Use it for non-trivial work (several steps or files): a short list of steps of a few words each, with status pending, in_progress or completed. At most one step is in_progress at a time. Call it again as you finish steps (mark them completed and the next one in_progress) or when the plan changes (say why in explanation). Do not use it for a single trivial step, and do not repeat the plan in your messages.`;

const parameters = z.object({
  explanation: z.string().optional().describe('Why the plan changed, if it did.'),
  plan: z
    .array(planStepSchema.extend({ step: z.string().min(1).describe('A few words.') }))
    .min(1)
    .refine((steps) => steps.filter((s) => s.status === 'in_progress').length <= 1, { message: 'at most one step may be in_progress' }),
});

/** The latest plan the model published; read for budget summaries. */
export interface PlanState {
  steps: PlanStep[];
  explanation?: string;
}

/** The update_plan tool; it writes into `state` and emits plan_updated. */
export function createUpdatePlanTool(state: PlanState): Tool {
  const execute: Tool<typeof parameters>['execute'] = async (args, ctx) => {
    state.steps = args.plan;
    if (args.explanation === undefined) delete state.explanation;
    else state.explanation = args.explanation;
    await ctx.emit(args.explanation === undefined ? { type: 'plan_updated', steps: args.plan } : { type: 'plan_updated', steps: args.plan, explanation: args.explanation });
    return 'Plan updated.';
  };
  return defineTool({ name: 'update_plan', description: DESCRIPTION, parameters, execute }) as Tool;
}

/** The plan as plain text lines: "[x] done", "[>] doing", "[ ] to do". */
export function formatPlan(steps: readonly PlanStep[]): string {
  const mark = { completed: '[x]', in_progress: '[>]', pending: '[ ]' } as const;
  return steps.map((s) => `${mark[s.status]} ${s.step}`).join('\n');
}
