import type { CodeHost } from '../codehost/index.js';
import type { RepoConfig } from '../config.js';
import { CodexError, errorMessage } from '../errors.js';
import { reviewFindingSchema, type ReviewFinding, type TaskEventInput } from '../tasks/protocol.js';
import type { TaskRecord } from '../tasks/task-record.js';

/** What a review turn reviews: `head` against `base`, and the pull request when it is one. */
export interface ReviewTarget {
  label: string;
  head: string;
  base: string;
  pullRequest?: { number: number; url: string };
}

const SEVERITY_ORDER: Record<ReviewFinding['severity'], number> = { high: 0, medium: 1, low: 2 };

/** The branch or pull request a `/codex review` task asked for; a pull request is read from the code host. */
export async function resolveReviewTarget(task: TaskRecord, repo: RepoConfig, host: CodeHost | undefined): Promise<ReviewTarget> {
  const number = task.review?.pullRequest;
  if (number === undefined) {
    const head = task.review?.branch ?? task.baseBranch;
    return { label: `branch \`${head}\``, head, base: task.baseBranch };
  }
  if (!host) throw new CodexError('repo_removed', `repo ${repo.name} has no code host`, { userMessage: `The repo "${repo.name}" is not on GitHub in the repo config, so pull request #${number} cannot be read: review its branch by name instead.` });
  const pr = await host.getPullRequest(repo, number);
  return { label: `pull request #${pr.number}`, head: pr.head, base: pr.base, pullRequest: { number: pr.number, url: pr.url } };
}

/**
 * The verdict and findings from the model's last message (its final JSON code block), findings
 * most severe first; the text before the block is the summary when the JSON has none.
 */
export function parseReview(text: string): { verdict: 'approve' | 'request_changes' | 'comment'; summary: string; findings: ReviewFinding[] } {
  const blocks = [...text.matchAll(/```(?:json)?\s*\n([\s\S]*?)\n```/g)];
  const last = blocks.at(-1);
  const prose = (last ? text.slice(0, last.index) : text).trim();
  let json: { verdict?: unknown; summary?: unknown; findings?: unknown } = {};
  try {
    json = last ? JSON.parse(last[1]!) : {};
  } catch {
    json = {};
  }
  const findings = (Array.isArray(json.findings) ? json.findings : []).flatMap((f) => {
    const parsed = reviewFindingSchema.safeParse(f);
    return parsed.success ? [parsed.data] : [];
  });
  findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const verdict = json.verdict === 'approve' || json.verdict === 'request_changes' ? json.verdict : 'comment';
  const summary = typeof json.summary === 'string' && json.summary.trim() ? json.summary.trim() : prose || (last ? '' : text.trim());
  return { verdict, summary, findings };
}

/** Lines of each file's new side that the diff shows (a review comment must sit on one). */
export function diffLines(diff: string): Map<string, Set<number>> {
  const lines = new Map<string, Set<number>>();
  let file: string | undefined;
  for (const line of diff.split('\n')) {
    const f = /^\+\+\+ b\/(.*)$/.exec(line);
    if (f) {
      file = f[1]!;
      continue;
    }
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h && file) {
      const set = lines.get(file) ?? new Set<number>();
      const start = Number(h[1]);
      for (let n = start; n < start + (h[2] === undefined ? 1 : Number(h[2])); n++) set.add(n);
      lines.set(file, set);
    }
  }
  return lines;
}

const SEVERITY_LABEL: Record<ReviewFinding['severity'], string> = { high: '🔴 High', medium: '🟠 Medium', low: '🟡 Low' };

/**
 * Submits the review on the pull request (submitted, not pending): findings on lines of the
 * diff as line comments, the others in the body. Returns the `review_completed` event.
 */
export async function finishReview(input: { target: ReviewTarget; repo: RepoConfig; host?: CodeHost; text: string; diff: string; headSha: string }): Promise<Extract<TaskEventInput, { type: 'review_completed' }>> {
  const { target } = input;
  const review = parseReview(input.text);
  const event: Extract<TaskEventInput, { type: 'review_completed' }> = { type: 'review_completed', ...review, head: target.head, base: target.base, pullRequest: target.pullRequest };
  if (!target.pullRequest || !input.host) return event;
  const inDiff = diffLines(input.diff);
  const onLines = review.findings.filter((f) => f.line !== undefined && inDiff.get(f.file)?.has(f.line));
  const rest = review.findings.filter((f) => !onLines.includes(f));
  const body = [`**Codex review: ${review.verdict.replace('_', ' ')}**`, '', review.summary, ...rest.map((f) => `- ${SEVERITY_LABEL[f.severity]} \`${f.file}${f.line ? `:${f.line}` : ''}\` **${f.title}** ${f.body}`)].join('\n');
  try {
    const submitted = await input.host.submitReview(input.repo, target.pullRequest.number, {
      body,
      commitId: input.headSha,
      comments: onLines.map((f) => ({ path: f.file, line: f.line!, body: `${SEVERITY_LABEL[f.severity]}: **${f.title}**\n\n${f.body}` })),
    });
    return { ...event, reviewUrl: submitted.url };
  } catch (e) {
    return { ...event, hostError: CodexError.isInstance(e) ? e.userMessage : `The review could not be posted on GitHub (${errorMessage(e)}); the findings above stand.` };
  }
}
