/** Words as turn-taking counts them: lower case, punctuation stripped, hyphens kept ("mm-hmm"). */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** True when `text` has words and every one is an acknowledgement ("yeah", "mm-hmm"). */
export function isBackchannel(text: string, backchannel: ReadonlySet<string>): boolean {
  const w = words(text);
  if (w.length === 0) return false;
  // Multi-word entries ("got it") are matched as phrases first.
  let rest = ` ${w.join(' ')} `;
  for (const phrase of [...backchannel].sort((a, b) => b.length - a.length)) {
    rest = rest.split(` ${phrase} `).join(' ');
    while (rest.includes(` ${phrase} `)) rest = rest.split(` ${phrase} `).join(' ');
  }
  return rest.trim() === '';
}

/** The first `fraction` of `text`'s words, rounded to the nearest word. */
export function leadingWords(text: string, fraction: number): string {
  const parts = text.split(/\s+/).filter(Boolean);
  const n = Math.max(0, Math.min(parts.length, Math.round(parts.length * fraction)));
  return parts.slice(0, n).join(' ');
}
