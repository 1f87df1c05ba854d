// Builds the prompt of a query in a mode from the configured templates.
import type { Mode, PromptTemplates } from '../../schemas/rollout';

const BASE = 'User: {question}\nAssistant:';
const CHATML =
  '<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n';

export function renderPrompt(templates: PromptTemplates, question: string, mode: Mode): string {
  const instruction = templates.instructions[mode];
  const template =
    templates.format === 'custom'
      ? (templates.template as string)
      : templates.format === 'chatml'
        ? CHATML
        : BASE;
  // A template without its own {instruction} slot gets the instruction after the question.
  const body =
    instruction && !template.includes('{instruction}')
      ? `${question}${templates.separator}${instruction}`
      : question;
  // One pass, so braces inside the question are never read as placeholders.
  return template.replace(/\{(question|instruction|system)\}/g, (_, key: string) =>
    key === 'question' ? body : key === 'system' ? templates.system : instruction,
  );
}

/** Base templates want the tokenizer's BOS; chat formats carry their special tokens in the text. */
export function addSpecialTokens(templates: PromptTemplates): boolean {
  return templates.add_special_tokens ?? templates.format === 'base';
}
