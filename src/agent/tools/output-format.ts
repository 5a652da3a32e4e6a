/*
 * Keeping command output compact: the model gets the head and the tail of long output (errors
 * tend to be at one end or the other), the status card gets the last few lines.
 */

/** Output the model sees per command, in characters. */
export const MODEL_OUTPUT_CAP = 16 * 1024;

/** Keeps the first and last part of `text` within `cap` characters, saying how much was cut. */
export function headAndTail(text: string, cap = MODEL_OUTPUT_CAP): string {
  if (text.length <= cap) return text;
  const keep = cap - 64;
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  const omitted = text.length - head - tail;
  return `${text.slice(0, head)}\n[… ${omitted} characters omitted …]\n${text.slice(text.length - tail)}`;
}

/** The last `lines` lines of `text`, at most `cap` characters: what a status card shows. */
export function lastLines(text: string, lines = 20, cap = 1500): string {
  const all = text.replace(/\s+$/, '').split('\n');
  let out = all.slice(-lines).join('\n');
  if (out.length > cap) out = `…${out.slice(out.length - cap + 1)}`;
  return out;
}

/** Stdout then stderr, labelled only when both have something. */
export function joinStreams(stdout: string, stderr: string): string {
  if (stderr.trim() === '') return stdout;
  if (stdout.trim() === '') return stderr;
  return `${stdout.replace(/\n?$/, '\n')}[stderr]\n${stderr}`;
}
