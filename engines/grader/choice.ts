// Multiple-choice letters: "C", "(C)", "\text{(C)}", "C.", "(C) 2\sqrt{3}", "option C".

const GOLD_LETTER = /^\(?([A-Z])\)?$/;
const PRED_LETTER = /^(?:option\s+|choice\s+|answer\s*:?\s*)?\(?([A-Za-z])\)?(?:$|[.:)\s])/i;

/** The letter when a gold answer is a bare choice letter. */
export function goldChoice(plainGold: string): string | null {
  const m = GOLD_LETTER.exec(plainGold.replace(/[{}]/g, '').trim());
  return m ? (m[1] as string) : null;
}

/** The letter a prediction opens with, if it names a choice. */
export function predChoice(plainPred: string): string | null {
  // Style wrappers leave braces behind: "\textbf{(C)} 2" normalizes to "{(C)} 2".
  const t = plainPred.replace(/[{}]/g, '').trim();
  const m = PRED_LETTER.exec(t);
  if (!m) return null;
  const letter = m[1] as string;
  // A lone lowercase letter is a choice only when nothing follows it ("c", "(c)").
  if (letter === letter.toLowerCase() && !/^\(?[a-z]\)?\.?$/.test(t)) return null;
  return letter.toUpperCase();
}

const LETTERS = /^\(?[A-Z]\)?(?:\s*(?:,|and|&)\s*\(?[A-Z]\)?)+$/;

/** The letters of a several-choice answer ("A, D", "(A) and (D)"), sorted; null otherwise. */
export function choiceLetters(plainAnswer: string): string | null {
  const t = plainAnswer.replace(/[{}]/g, '').trim();
  if (!LETTERS.test(t)) return null;
  return [...new Set(t.match(/[A-Z]/g) ?? [])].sort().join(',');
}
