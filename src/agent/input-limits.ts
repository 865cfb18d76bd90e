/**
 * What one turn accepts, the same for the chat UI and the OpenAI-compatible API. Each refusal
 * names the limit and by how much it was missed, so the person knows what to change.
 */

/** About five pages of text: plenty for a travel question, and bounded model cost per turn. */
export const MAX_MESSAGE_CHARS = 20_000;
/** Messages a /v1 client may send as history in one request. */
export const MAX_HISTORY_MESSAGES = 200;
/** Characters over all messages of one /v1 request. */
export const MAX_HISTORY_CHARS = 400_000;
/** Request bodies beyond this are refused before they are parsed (text limits plus JSON overhead). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

const count = (n: number) => n.toLocaleString('en-US');

/** Why a message cannot be sent, or undefined when it can. */
export function messageProblem(text: string): string | undefined {
  if (text.trim() === '') return 'The message is empty; type a question first.';
  if (text.length > MAX_MESSAGE_CHARS) {
    return `The message is ${count(text.length)} characters; the limit is ${count(MAX_MESSAGE_CHARS)} (${count(text.length - MAX_MESSAGE_CHARS)} too many). Shorten it, or split it over several messages.`;
  }
  return undefined;
}

/** Why a /v1 request's messages cannot be run, or undefined. */
export function historyProblem(messages: readonly { content: string }[]): string | undefined {
  if (messages.length > MAX_HISTORY_MESSAGES) {
    return `The request has ${count(messages.length)} messages; the limit is ${count(MAX_HISTORY_MESSAGES)} (${count(messages.length - MAX_HISTORY_MESSAGES)} too many). Drop or summarise the oldest ones.`;
  }
  const total = messages.reduce((sum, message) => sum + message.content.length, 0);
  if (total > MAX_HISTORY_CHARS) {
    return `The messages hold ${count(total)} characters in all; the limit is ${count(MAX_HISTORY_CHARS)} (${count(total - MAX_HISTORY_CHARS)} too many). Drop or summarise the oldest ones.`;
  }
  return undefined;
}

export function bodyTooLargeMessage(): string {
  return `The request body is larger than ${count(MAX_BODY_BYTES / 1024 / 1024)} MB; a message may hold at most ${count(MAX_MESSAGE_CHARS)} characters.`;
}
