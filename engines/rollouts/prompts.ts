// Builds the prompt of a query in a mode: the text of the configured templates (raw format), or the chat
// messages the server renders with the model's own template (chat format). Both put the mode's dictation
// suffix after the question, as the authors do.
import type { ChatMessage } from '../../schemas/inference';
import type { ResolvedPrompt } from '../../schemas/prompt';
import type { Mode, PromptTemplates } from '../../schemas/rollout';

const BASE = 'User: {question}\nAssistant:';
const CHATML =
  '<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n';

/** The question followed by the mode's instruction (the dictation suffix; none for native). */
export function userContent(templates: PromptTemplates, question: string, mode: Mode): string {
  const instruction = templates.instructions[mode];
  return instruction ? `${question}${templates.separator}${instruction}` : question;
}

export function renderPrompt(templates: PromptTemplates, question: string, mode: Mode): string {
  const instruction = templates.instructions[mode];
  const template =
    templates.format === 'custom'
      ? (templates.template as string)
      : templates.format === 'chatml'
        ? CHATML
        : BASE;
  // A template without its own {instruction} slot gets the instruction after the question.
  const body = template.includes('{instruction}') ? question : userContent(templates, question, mode);
  // One pass, so braces inside the question are never read as placeholders.
  return template.replace(/\{(question|instruction|system)\}/g, (_, key: string) =>
    key === 'question' ? body : key === 'system' ? templates.system : instruction,
  );
}

/** Base templates want the tokenizer's BOS; chat formats carry their special tokens in the text. */
export function addSpecialTokens(templates: PromptTemplates): boolean {
  return templates.add_special_tokens ?? templates.format === 'base';
}

/** The chat format's messages: the system message when there is one, then the user's. */
export function chatMessages(
  prompt: ResolvedPrompt,
  templates: PromptTemplates,
  question: string,
  mode: Mode,
): ChatMessage[] {
  const user: ChatMessage = { role: 'user', content: userContent(templates, question, mode) };
  return prompt.system === null ? [user] : [{ role: 'system', content: prompt.system }, user];
}
