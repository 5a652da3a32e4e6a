import type { ApprovalPolicy, BUILTIN_PERSONALITIES } from '../config.js';
import type { Attachments } from '../tasks/protocol.js';
import type { AgentsDoc } from './agents-docs.js';
import type { Skill } from './skills.js';

/*
 * Every text the agent writes to the model, by mode and turn: the instructions (the system
 * prompt), the opening message of a turn, and the notes it adds for steering, interrupts,
 * declined approvals and a resumed turn. People are named through `person`, which the front
 * end supplies (Slack renders a mention); the agent itself only knows user ids.
 *
 * The instructions are built once per task and sent unchanged with every call (the prompt
 * cache depends on it), so nothing in them may vary within a task: no clock, no counters.
 */

/** Names a person in text for the model; the default shows the bare id. */
export type DescribePerson = (userId: string) => string;
export const plainPerson: DescribePerson = (userId) => userId;

const BASE = `You are a coding agent working autonomously on a software repository for a team that talks to you through Slack. A person gave you a task; carry it out from start to finish on your own judgment. They can send you extra instructions while you work; those appear as user messages marked as steering, and take precedence over earlier instructions.

# Environment
- The repository is checked out at /workspace, on a branch made for this task. Commands run in an isolated Linux container (bash, git, rg, python3, node) as an unprivileged user, with the network off.
- You have four tools: shell (run a command), apply_patch (edit files), update_plan (show your plan on the task's status card), ask_people (ask the people in the Slack thread a question and wait for the answer).
- When you finish, the host commits your changes to the branch and shows the diff to the team for review. Never commit, push, create branches or open pull requests yourself, and never rewrite git history.

# How to work
1. Explore first: rg --files, rg <pattern>, ls, cat or sed -n on the relevant files, the README and the test setup. Read before you edit.
2. For anything beyond a trivial change, publish a short plan with update_plan and keep it current as you go.
3. Make focused changes with apply_patch, in the existing style of the code. Fix the root cause, keep the change as small as the task allows, and do not reformat unrelated code. Add or update tests when you change behaviour.
4. Run the relevant tests (and the linter or type checker if the project has one). If something fails, read the output, fix it and run again. Do not claim something works without having run it.
5. When you are done, reply with a concise summary for the team: what you changed and why (files and the key decisions), and the outcome of the tests you ran (what passed, what failed or could not be run and why). No preamble, no repetition of the plan.

# When to ask
Ask with ask_people only when you cannot decide something yourself and a wrong guess would waste the work or be hard to undo: the task can be read in two ways that lead to different changes, a choice belongs to the team (an API or behaviour others rely on, deleting or rewriting something large), or facts you need are in no file you can read. Do not ask what you can find out by reading the code, running the tests or trying; do not ask for permission to do what the task asks; do not ask to confirm a plan. Ask one clear question at a time, give up to five short choices when the answers are few, and say in it what you will do by default. While you wait the task is paused; if nobody answers in time you are told so, and you go on with your best judgment and say in your summary what you assumed.

Between tool calls you may write one or two short sentences about what you are doing; the team sees them live. Be direct and factual.`;

/** The built-in personalities (`--personality NAME`); config `personalities` adds more (or rewrites these). */
export const BUILTIN_PERSONALITY_TEXT: Record<(typeof BUILTIN_PERSONALITIES)[number], string> = {
  pragmatic: 'Pragmatic: terse and to the point. Narrate in a few words, only what matters. The summary is a short list of what changed and the test results, with no explanation beyond what a reviewer needs.',
  friendly: 'Friendly: warm and approachable. Narrate in full sentences and say why you take a step, not only what it is. The summary explains the change in plain words a newcomer to the code could follow, including why it fixes the problem and anything the team should double-check.',
};

/** A task's personality: its name and the text that goes into its instructions. */
export interface Personality {
  name: string;
  text: string;
}

/**
 * The personality of that name: the config's text (`personalities`) when it defines one, else
 * the built-in; undefined for none or a name neither knows (a config changed since the task began).
 */
export function personalityOf(name: string | undefined, configured: Readonly<Record<string, string>>): Personality | undefined {
  if (name === undefined) return undefined;
  const text = configured[name] ?? (Object.hasOwn(BUILTIN_PERSONALITY_TEXT, name) ? BUILTIN_PERSONALITY_TEXT[name as keyof typeof BUILTIN_PERSONALITY_TEXT] : undefined);
  return text === undefined ? undefined : { name, text };
}

/**
 * The instructions of a task: the base prompt, the policy facts the model must know, the
 * personality (how it writes, never what it may do), and AGENTS.md. Built from the task's own
 * fields only, so they are the same bytes for every request of the task.
 */
export function buildInstructions(options: { repo: { name: string; baseBranch: string }; approval: ApprovalPolicy; agentsDocs: readonly AgentsDoc[]; personality?: Personality; webSearch?: boolean; skills?: readonly Skill[] }): string {
  const { repo, approval } = options;
  const facts = [`- Repository: ${repo.name} (base branch ${repo.baseBranch}).`];
  if (options.webSearch) facts.push('- You can also search the web (web_search) for documentation, error messages or release notes; the team sees each search. Commands in the container still have no network.');
  if (approval.network) facts.push('- Commands that need the network (with_network: true) wait for a person to approve them.');
  if (approval.push) facts.push('- Pushing or opening pull requests is not your job; such commands need approval and are usually declined.');
  if (approval.commandPatterns.length > 0) facts.push(`- Commands matching these patterns wait for approval: ${approval.commandPatterns.map((p) => `/${p}/`).join(', ')}.`);
  if (approval.changeLinesOver > 0) facts.push(`- Patches changing more than ${approval.changeLinesOver} lines wait for approval; prefer several smaller patches.`);
  if (approval.mode === 'on-request') facts.push('- You may ask for approval before a risky command (require_approval on the shell tool).');
  facts.push('- If a request is declined, do not retry it; find another way or explain in your summary.');
  let text = `${BASE}\n\n# Policy\n${facts.join('\n')}`;
  if (options.personality) {
    text += `\n\n# Personality\nThis sets the voice of your narration and your summary only. It never changes the rules above, the policy, or how you use your tools.\n\n${options.personality.text}`;
  }
  if (options.agentsDocs.length > 0) {
    const docs = options.agentsDocs.map((d) => `## ${d.path}\n\n${d.text}`).join('\n\n');
    text += `\n\n# Repository instructions (AGENTS.md)\nThe repository's maintainers wrote these for agents; follow them unless the task says otherwise.\n\n${docs}`;
  }
  if (options.skills && options.skills.length > 0) text += `\n\n${skillsSection(options.skills)}`;
  return text;
}

/** The first turn of a `/codex plan` task: explore and propose, change nothing. */
export const PLAN_ONLY = `Plan only, for now. Explore the repository and propose a concrete plan for the task below: which files to change and how, the tests to add or run, risks and open questions. Do not change any file: edits made in this turn are discarded. Publish the steps with update_plan, and end with the plan as your summary. The team will reply in the thread to carry it out or to change it.`;

/** Told to the model when a turn resumes on a fresh checkout after its worker stopped. */
export const RESUMED_NOTE = '[The worker running this task restarted. Changes you made in this turn may be gone: the checkout was rebuilt from the last commit of the branch. Check the files (git status, git diff, cat) before you go on, and redo what is missing.]';

/** What the opening messages of a turn need to know. */
export interface TurnText {
  mode: 'task' | 'plan';
  turn: number;
  /** The task's original ask. */
  prompt: string;
  /** This turn's words (a follow-up, turn > 1). */
  turnPrompt?: string;
  /** Earlier messages of the Slack thread, for the first turn. */
  context?: string;
  owner: string;
  /** Who asked for this turn (turn > 1); the owner otherwise. */
  by?: string;
}

/**
 * The user message that opens a turn: `firstMessage` when the task has no conversation yet (its
 * first turn, or a follow-up whose earlier turns failed before saving one, which restates the
 * original ask), `followUp` when it continues a saved one.
 */
export function turnMessages(t: TurnText, person: DescribePerson = plainPerson): { firstMessage: string; followUp: string } {
  const planning = t.mode === 'plan' && t.turn === 1;
  let ask = planning ? `${PLAN_ONLY}\n\nThe task:\n${t.prompt}` : t.prompt;
  if (t.turn > 1 && t.turnPrompt) ask = `${t.prompt}\n\n(Follow-up from the thread:) ${t.turnPrompt}`;
  const parts = [`Task from ${person(t.owner)}:\n${ask}`];
  if (t.turn === 1 && t.context?.trim()) parts.push(`Earlier messages in the Slack thread, for context:\n${t.context.trim()}`);
  const words = t.turnPrompt ?? t.prompt;
  const followUp = t.mode === 'plan' && t.turn === 2 ? `The plan phase is over: you may change files now. Carry out the plan, adjusted by this reply:\n${words}` : words;
  return { firstMessage: parts.join('\n\n'), followUp: `Follow-up from ${person(t.by ?? t.owner)}:\n${followUp}` };
}

/** Marks words sent while the agent worked (or after a person stopped it). */
export function steeringNote(by: string, afterInterrupt: boolean, person: DescribePerson = plainPerson): string {
  return afterInterrupt ? `[${person(by)} interrupted you and says]` : `[Steering from ${person(by)} while you were working]`;
}

/** The tool output of a request a person declined, or that nobody decided in time. */
export function declinedNote(subject: string, outcome: { by?: string; timedOutAfter?: string }, person: DescribePerson = plainPerson): string {
  const advice = `Do not retry ${subject} or a variant of it; find another way, or explain in your summary why it is needed.`;
  if (outcome.timedOutAfter) return `No one approved ${subject} within ${outcome.timedOutAfter}, so it counts as declined and did not run. ${advice}`;
  return `The user${outcome.by ? ` ${person(outcome.by)}` : ''} declined ${subject}; it did not run. ${advice}`;
}

/** The output of a tool call that never ran because a person cancelled the task. */
export const NOT_RUN_CANCELLED = 'Not run: cancelled by user.';
/** The output of a tool call that never ran because the turn stopped before it (a resumed or continued conversation). */
export const NOT_RUN_STOPPED = 'Not run: the task was stopped before this call ran.';

/** The first turn of a `/codex review`: the change under review, whole, and the form of the findings. */
export function reviewPrompt(r: { label: string; head: string; base: string; diff: string; truncated: boolean }): string {
  return [
    `Review ${r.label}: the changes of branch \`${r.head}\` against \`${r.base}\`. The checkout is at \`${r.head}\`. Do not change any file (edits are discarded); you may read files and run the tests to check your findings.`,
    'Look for bugs, security problems, missing or wrong tests, and unclear code, most severe first. Only report real problems, each on a line the change added or kept (new-side line numbers).',
    'End your reply with the findings as one JSON code block, exactly this shape:',
    '```json\n{"verdict": "approve" | "request_changes" | "comment", "summary": "one paragraph", "findings": [{"severity": "high" | "medium" | "low", "file": "path/in/repo", "line": 12, "title": "short title", "body": "what is wrong and how to fix it"}]}\n```',
    `The diff${r.truncated ? ' (cut: it is larger than shown; read the rest from the checkout with git)' : ''}:`,
    `\`\`\`diff\n${r.diff}\n\`\`\``,
  ].join('\n\n');
}

/** Skills listed in the instructions at most, and the characters of each description kept. */
export const SKILLS_LISTED_MAX = 60;
const SKILL_DESCRIPTION_CHARS = 300;
const SKILLS_SECTION_CHARS = 10_000;

/** The skills section of the instructions: each skill's name, description and file; bounded. */
export function skillsSection(skills: readonly Skill[]): string {
  const head = `# Skills
Skills are instructions (and sometimes scripts beside them) the team wrote for recurring jobs. When one fits what you are doing, read its SKILL.md with the shell (cat <file>) and follow it; paths in a skill are relative to its folder. When a person writes $<name>, that skill's file is given to you in the conversation.`;
  const lines: string[] = [];
  let size = head.length;
  for (const skill of skills.slice(0, SKILLS_LISTED_MAX)) {
    const oneLine = skill.description.replace(/\s+/g, ' ');
    const description = oneLine.length > SKILL_DESCRIPTION_CHARS ? `${oneLine.slice(0, SKILL_DESCRIPTION_CHARS - 1)}…` : oneLine;
    const line = `- ${skill.name}: ${description} (file: ${skill.path})`;
    if (size + line.length + 1 > SKILLS_SECTION_CHARS) break;
    lines.push(line);
    size += line.length + 1;
  }
  const left = skills.length - lines.length;
  if (left > 0) lines.push(`- … and ${left} more: list them with ls /workspace/.codex/skills and the installation's skills folder of the files above.`);
  return `${head}\n${lines.join('\n')}`;
}

/** The user message that puts a skill named with `$<name>` whole into the conversation. */
export function skillMessage(skill: Skill): string {
  return `[Skill "${skill.name}" (${skill.path}), asked for with $${skill.name}. Follow it for this task; its folder may hold the scripts it mentions.]\n\n${skill.text}`;
}

/** The ask_people tool's description, for the model. */
export const ASK_PEOPLE_DESCRIPTION = `Asks the people in the task's Slack thread a question and waits for the first answer (a click on one of your choices, or a reply in the thread). Use it only as the instructions say (When to ask): for a decision you cannot make yourself, never for what you can find out. Give up to five short choices when the answers are few (each becomes a button; people may still reply in their own words), or none for a free-text answer. If nobody answers in time the output says so: then go on with your best judgment.`;

/** The output of ask_people once someone answered. */
export function questionAnsweredNote(answer: string, by: string, person: DescribePerson = plainPerson): string {
  return `${person(by)} answered:\n${answer}`;
}

/** The output of ask_people when nobody answered in time. */
export function questionTimedOutNote(waited: string): string {
  return `No answer: nobody answered within ${waited}. Go on with your best judgment, and say in your summary what you assumed.`;
}

const LEFT_OUT: Record<Attachments['others'][number]['why'], string> = {
  not_an_image: 'not an image',
  too_many: 'an image over the limit of images per message',
  too_large: 'an image too large to send',
  unreadable: 'an image that could not be read',
};

/**
 * What the model is told about a message's files: the images come as image parts after the
 * text; every other file is named (its content never reaches the model).
 */
export function attachmentsNote(files: Attachments | undefined, hadFiles: boolean): string {
  if (!files) return hadFiles ? '[Files were attached to this message, but they are no longer available.]' : '';
  const lines: string[] = [];
  if (files.images.length > 0) lines.push(`[Attached images, shown below: ${files.images.map((i) => i.name).join(', ')}]`);
  if (files.others.length > 0) lines.push(`[Also attached, not shown to you: ${files.others.map((f) => `${f.name} (${LEFT_OUT[f.why]})`).join(', ')}]`);
  return lines.join('\n');
}

/*
 * Context compaction (src/agent/compaction.ts). When the server has no compact endpoint, the
 * model writes a hand-off summary in-band (a request offering no tool calls), and the
 * conversation goes on from the original ask, the people's later words, that summary and the
 * latest items. The summary message starts with COMPACTION_SUMMARY_MARK, which is how a later
 * compaction knows to replace it rather than keep it as a person's words.
 */

/** The user message that asks for the hand-off summary. */
export const COMPACTION_REQUEST = `[The conversation is about to be compacted: it no longer fits the context window. Do not call any tool now. Write a hand-off summary for yourself, to continue this task from with only the original ask and the latest steps in view. Use these headings, be specific and brief (at most about 400 words):
Goal: what the task asks, with any decisions the people made since.
Done: what you did and learned, with the commands and their outcomes that matter.
Files touched: each path and what changed in it.
Remaining: the next steps, in order.
Open questions: what is still unclear or blocked.]`;

/** Starts the summary message, so a later compaction replaces it instead of keeping it. */
export const COMPACTION_SUMMARY_MARK = '[Hand-off summary of the earlier part of this task, written by you before the conversation was compacted.';

/** The message that carries the hand-off summary into the compacted conversation. */
export function compactionSummaryMessage(summary: string): string {
  return `${COMPACTION_SUMMARY_MARK} The steps it covers are no longer shown; the files are as they were left, so check them (git status, git diff) rather than trusting memory. Continue the task from here.]\n\n${summary.trim()}`;
}

/** Replaces the images of an earlier message kept through a compaction. */
export const IMAGES_DROPPED_NOTE = '[Images of this message were left out when the conversation was compacted.]';

/** Used when the model answered the summary request without any text. */
export const EMPTY_SUMMARY = 'No summary was written. Check git status and git diff to see what was done so far, then carry on with the task.';

/** Ends a hand-off summary cut to fit the compacted conversation. */
export const SUMMARY_CUT_NOTE = '[… the rest of this summary was cut to fit the context window.]';
